// Search communities and parks by name through the features API. A CQL2 LIKE filter is
// asked for first; where the API has no `filter` parameter (400) the layer's names are
// fetched once (one page of up to 10,000 features) and matched in the browser, so a part
// of a name finds it either way.
import { type Ctx, h, stateMessage } from '../ctx';
import { featuresUrl, getJSON, nameLikeFilter } from '../api';
import { matchByName } from '../model';
import { bboxOf, setOverlayData, setOverlayVisible } from './overlays';
import { showFeaturePopup } from './popup';

type FC = GeoJSON.FeatureCollection;

const cache = new Map<string, Promise<GeoJSON.Feature[] | null>>();

async function find(layer: string, text: string): Promise<{ feats: GeoJSON.Feature[]; missing: boolean }> {
  const r = await getJSON<FC>(featuresUrl(layer, { filter: nameLikeFilter(text), limit: 8 }));
  if (r.ok) return { feats: r.data.features ?? [], missing: false };
  if (r.status !== 400) return { feats: [], missing: r.missing };
  if (!cache.has(layer)) {
    cache.set(layer, getJSON<FC>(featuresUrl(layer, { limit: 10000 })).then((x) => (x.ok ? x.data.features ?? [] : null)));
  }
  const all = await cache.get(layer)!;
  if (all === null) { cache.delete(layer); return { feats: [], missing: true }; }
  return { feats: matchByName(all, text), missing: false };
}

export function searchBox(ctx: Ctx): HTMLElement {
  const input = h('input', { type: 'search', id: 'search-input', 'data-i18n-placeholder': 'search.placeholder', autocomplete: 'off' });
  const results = h('div', { id: 'search-results', 'aria-live': 'polite' });
  const form = h('form', { class: 'card search', role: 'search' },
    h('label', { for: 'search-input', class: 'label', 'data-i18n': 'search.label' }),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'btn', id: 'search-go', 'data-i18n': 'search.button' })),
    results);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    stateMessage(results, ctx, 'loading');
    const [c, p] = await Promise.all([find('communities', text), find('parks', text)]);
    const all = [...c.feats.map((f) => ({ layer: 'communities', f })), ...p.feats.map((f) => ({ layer: 'parks', f }))];
    if (all.length === 0) { stateMessage(results, ctx, c.missing && p.missing ? 'unavailable' : 'empty'); return; }
    const i = ctx.i18n();
    const list = h('ul', { class: 'results', 'aria-label': i.t('search.results') });
    for (const { layer, f } of all) {
      const name = String(f.properties?.name ?? f.id ?? '?');
      const go = () => {
        const b = bboxOf([f]);
        if (!b) return;
        ctx.setLayerVisible(layer, true);
        const box = document.getElementById(`toggle-${layer}`) as HTMLInputElement | null;
        if (box) box.checked = true;
        ctx.map.fitBounds(b, { padding: 80, maxZoom: 16, duration: 600 });
        showFeaturePopup(ctx, layer, (f.properties ?? {}) as Record<string, unknown>, [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
        setOverlayData(ctx, 'hit', { type: 'FeatureCollection', features: [f] });
        setOverlayVisible(ctx, 'hit', true);
      };
      list.append(h('li', {}, h('button', { type: 'button', class: 'link', onclick: go }, name, h('small', {}, ` · ${i.t(`layer.${layer}`)}`))));
    }
    results.replaceChildren(list);
  });
  return form;
}
