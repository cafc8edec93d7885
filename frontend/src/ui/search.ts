// Search by name across 区/旗/县, 街道, 社区, parks and facilities through GET /api/v1/search
// (internal/search: an indexed substring lookup ranked exact > prefix > substring, then by
// type), one request per page; choosing a hit flies to its box and outlines it.
import { type Ctx, h, stateMessage } from '../ctx';
import { getJSON, searchUrl } from '../api';
import { valueLabel } from '../i18n';
import { setOverlayData, setOverlayVisible } from './overlays';
import { showFeaturePopup } from './popup';

export interface SearchHit {
  type: 'district' | 'subdistrict' | 'community' | 'park' | 'facility';
  id: number; name: string; name_en?: string; match: string; within?: string; kind?: string;
  point: [number, number]; bbox: [number, number, number, number];
}
interface SearchAnswer { total: number; limit: number; offset: number; results: SearchHit[] }

/** The layer a hit type is drawn by. */
export const TYPE_LAYER: Record<SearchHit['type'], string> = { district: 'districts', subdistrict: 'subdistricts', community: 'communities', park: 'parks', facility: 'facilities' };

const PAGE = 10;

export function searchBox(ctx: Ctx): HTMLElement {
  const input = h('input', { type: 'search', id: 'search-input', 'data-i18n-placeholder': 'search.placeholder', autocomplete: 'off' });
  const results = h('div', { id: 'search-results', 'aria-live': 'polite' });
  const form = h('form', { class: 'card search', role: 'search' },
    h('label', { for: 'search-input', class: 'label', 'data-i18n': 'search.label' }),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'btn', id: 'search-go', 'data-i18n': 'search.button' })),
    results);
  let text = '';
  let list: HTMLUListElement | null = null;

  const go = (hit: SearchHit) => {
    const layer = TYPE_LAYER[hit.type];
    ctx.setLayerVisible(layer, true);
    const box = document.getElementById(`toggle-${layer}`) as HTMLInputElement | null;
    if (box) box.checked = true;
    const [w, s, e, n] = hit.bbox;
    if (e - w < 1e-9 && n - s < 1e-9) ctx.map.flyTo({ center: hit.point, zoom: 17, duration: 600 });
    else ctx.map.fitBounds(hit.bbox, { padding: 80, maxZoom: 17, duration: 600 });
    const props: Record<string, unknown> = { name: hit.name, ...(hit.name_en ? { name_en: hit.name_en } : {}), id: hit.id,
      ...(hit.kind ? { [hit.type === 'park' ? 'park_class' : hit.type === 'facility' ? 'category' : 'kind']: hit.kind } : {}) };
    showFeaturePopup(ctx, layer, props, hit.point);
    const outline: GeoJSON.Feature = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] } };
    setOverlayData(ctx, 'hit', { type: 'FeatureCollection', features: hit.type === 'facility' ? [] : [outline] });
    setOverlayVisible(ctx, 'hit', true);
  };

  const page = async (offset: number) => {
    const r = await getJSON<SearchAnswer>(searchUrl({ q: text, limit: PAGE, offset }));
    if (!r.ok) { stateMessage(results, ctx, r.missing ? 'unavailable' : 'error', r.missing ? undefined : r.message); return; }
    const i = ctx.i18n();
    const L = ctx.lang();
    if (offset === 0) {
      if (r.data.total === 0) { stateMessage(results, ctx, 'empty'); return; }
      list = h('ul', { class: 'results', 'aria-label': i.t('search.results') });
      results.replaceChildren(h('p', { class: 'help', id: 'search-total', 'data-total': r.data.total }, i.t('search.total', { n: r.data.total })), list);
    }
    results.querySelector('#search-more')?.remove();
    for (const hit of r.data.results) {
      const name = L === 'en' && hit.name_en ? hit.name_en : hit.name;
      const kind = hit.kind ? valueLabel(hit.type === 'park' ? 'park_class' : hit.type === 'facility' ? 'category' : 'kind', hit.kind, L) ?? hit.kind : null;
      const meta = [i.t(`search.types.${hit.type}`), kind, hit.within].filter(Boolean).join(' · ');
      list!.append(h('li', { 'data-type': hit.type, 'data-id': hit.id }, h('button', { type: 'button', class: 'link', onclick: () => go(hit) }, name, h('small', {}, ` · ${meta}`))));
    }
    const next = offset + r.data.results.length;
    if (next < r.data.total) {
      results.append(h('button', { type: 'button', class: 'btn', id: 'search-more', onclick: () => page(next) }, `${i.t('search.more')} (${next}/${r.data.total})`));
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    text = input.value.trim();
    if (!text) return;
    stateMessage(results, ctx, 'loading');
    await page(0);
  });
  return form;
}
