// Growth-boundary editions side by side: pick two editions, show A, B or both outlined,
// with the area B adds (green) and removes (red) and its size. The editions come from the
// features API; the change is computed in the browser until the checks API's diff lands.
import { type Ctx, h, stateMessage } from '../ctx';
import { featuresUrl, getJSON, checkUrl } from '../api';
import { parseGrowthDiff } from '../model';
import { unionOf, editionChange } from '../geo';
import { formatArea } from '../format';
import { bboxOf, setOverlayData, setOverlayVisible } from './overlays';
import type { MultiPolygon } from 'polygon-clipping';

const mp = (coords: MultiPolygon, props: Record<string, unknown> = {}): GeoJSON.Feature => ({ type: 'Feature', properties: props, geometry: { type: 'MultiPolygon', coordinates: coords } });

export function growthTool(ctx: Ctx): HTMLElement {
  const body = h('div', { id: 'growth-out' });
  const el = h('section', { class: 'card', id: 'tool-growth', 'aria-labelledby': 'growth-h' }, h('h2', { id: 'growth-h', 'data-i18n': 'tool.growth' }), body);
  let editions: { name: string; union: MultiPolygon; from: string }[] = [];
  let a = 0, b = 1;
  let mode: 'A' | 'B' | 'both' = 'both';
  let change: ReturnType<typeof editionChange> | null = null;
  let active = false;
  // The service's figures for the pair shown, measured in the city's metric CRS (the checks
  // API); null until they arrive or when the API has no diff, when the browser's stand.
  let served: { addedM2: number | null; removedM2: number | null } | null = null;

  const apply = () => {
    if (editions.length < 2) return;
    setOverlayData(ctx, 'growthA', { type: 'FeatureCollection', features: [mp(editions[a].union)] });
    setOverlayData(ctx, 'growthB', { type: 'FeatureCollection', features: [mp(editions[b].union)] });
    change = editionChange(editions[a].union, editions[b].union);
    served = null;
    const pair = [a, b];
    getJSON<unknown>(checkUrl('growth-boundary/diff', { from: editions[a].name, to: editions[b].name })).then((r) => {
      if (r.ok && pair[0] === a && pair[1] === b) { served = parseGrowthDiff(r.data); render(); }
    });
    setOverlayData(ctx, 'growthDiff', { type: 'FeatureCollection', features: [mp(change.added, { change: 'added', area_m2: change.addedM2 }), mp(change.removed, { change: 'removed', area_m2: change.removedM2 })] });
    setOverlayVisible(ctx, 'growthA', active && mode !== 'B');
    setOverlayVisible(ctx, 'growthB', active && mode !== 'A');
    setOverlayVisible(ctx, 'growthDiff', active);
  };

  const render = () => {
    const i = ctx.i18n();
    if (editions.length < 2) { if (editions.length) body.replaceChildren(h('p', {}, i.t('tool.noEditions'))); return; }
    const sel = (id: string, cur: number, set: (k: number) => void) => {
      const s = h('select', { id }, ...editions.map((e, k) => h('option', { value: k, selected: k === cur }, e.name)));
      s.addEventListener('change', () => { set(+s.value); apply(); render(); });
      return s;
    };
    const show = h('input', { type: 'checkbox', id: 'growth-show', checked: active });
    show.addEventListener('change', () => {
      active = show.checked; apply();
      const bb = bboxOf({ type: 'FeatureCollection', features: [mp(editions[a].union), mp(editions[b].union)] });
      if (active && bb) ctx.map.fitBounds(bb, { padding: 40, duration: 500 });
    });
    const modes = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': i.t('tool.show') }, ...(['A', 'B', 'both'] as const).map((m) => {
      const r = h('input', { type: 'radio', name: 'growth-mode', id: `growth-mode-${m}`, value: m, checked: m === mode });
      r.addEventListener('change', () => { mode = m; apply(); });
      return h('label', { for: `growth-mode-${m}` }, r, i.t(m === 'A' ? 'tool.showA' : m === 'B' ? 'tool.showB' : 'tool.showBoth'));
    }));
    const L = ctx.lang();
    if (!change) return;
    const added = served?.addedM2 ?? change.addedM2;
    const removed = served?.removedM2 ?? change.removedM2;
    body.replaceChildren(
      h('label', {}, show, i.t('tool.show')),
      h('div', { class: 'row wrap' }, h('label', {}, h('span', { class: 'swatch', style: 'border:2px dashed #1f78b4' }), i.t('tool.editionA'), sel('growth-a', a, (k) => (a = k))),
        h('label', {}, h('span', { class: 'swatch', style: 'border:2px solid #6a3d9a' }), i.t('tool.editionB'), sel('growth-b', b, (k) => (b = k)))),
      modes,
      h('p', { id: 'growth-change', 'data-source': served ? 'service' : 'browser' },
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: 'background:#33a02c;opacity:.6' }), `${i.t('tool.added')} ${formatArea(added, L)}`),
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: 'background:#e31a1c;opacity:.6' }), `${i.t('tool.removed')} ${formatArea(removed, L)}`),
        h('span', { class: 'legend-item' }, `${i.t('tool.changed')} ${formatArea(added + removed, L)}`)));
  };

  (async () => {
    stateMessage(body, ctx, 'loading');
    const r = await getJSON<GeoJSON.FeatureCollection>(featuresUrl('growth_boundaries', { limit: 500 }));
    if (!r.ok) { stateMessage(body, ctx, r.missing ? 'unavailable' : 'error'); return; }
    const by = new Map<string, { feats: GeoJSON.Feature[]; from: string }>();
    for (const f of r.data.features ?? []) {
      const e = String(f.properties?.edition ?? '?');
      if (!by.has(e)) by.set(e, { feats: [], from: String(f.properties?.valid_from ?? '') });
      by.get(e)!.feats.push(f);
    }
    editions = [...by.entries()].map(([name, v]) => ({ name, union: unionOf(v.feats), from: v.from })).sort((x, y) => x.from.localeCompare(y.from) || x.name.localeCompare(y.name));
    if (editions.length < 2) { stateMessage(body, ctx, 'empty'); body.append(h('p', {}, ctx.i18n().t('tool.noEditions'))); return; }
    a = editions.length - 2; b = editions.length - 1;
    apply(); render();
  })();
  ctx.onLang(render);
  return el;
}
