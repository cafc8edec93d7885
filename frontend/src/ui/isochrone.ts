// The isochrone tool: pick a point (a map click, or the map centre from the keyboard) →
// 5/10/15-minute walking reach drawn, with the facilities reached listed by category.
import { type Ctx, h, stateMessage } from '../ctx';
import { getJSON, isochroneUrl } from '../api';
import { parseIsochrone, polygonMinutes, type Isochrone } from '../model';
import { ISO_COLORS } from '../colors';
import { formatCount, formatDistance } from '../format';
import { bboxOf, setOverlayData, setOverlayVisible, EMPTY } from './overlays';

export const MINUTES = [5, 10, 15];

export function isochroneTool(ctx: Ctx): HTMLElement {
  const toggle = h('button', { type: 'button', class: 'btn primary', id: 'iso-toggle', 'aria-pressed': 'false', 'data-i18n': 'tool.isoStart' });
  const centre = h('button', { type: 'button', class: 'btn', id: 'iso-centre', 'data-i18n': 'tool.isoCentre' });
  const clear = h('button', { type: 'button', class: 'btn', id: 'iso-clear', 'data-i18n': 'tool.isoClear' });
  const legend = h('div', { class: 'legend', id: 'iso-legend' });
  const out = h('div', { id: 'iso-out', 'aria-live': 'polite' });
  let last: Isochrone | null = null;

  const renderLegend = () => legend.replaceChildren(...MINUTES.map((m, k) => h('span', { class: 'legend-item' },
    h('span', { class: 'swatch', style: `background:${ISO_COLORS[k]};opacity:.7` }), ctx.i18n().t('tool.minutes', { m }))));

  const render = () => {
    if (!last) return;
    const i = ctx.i18n();
    const L = ctx.lang();
    if (last.reached.length === 0) { out.replaceChildren(h('p', { id: 'iso-none' }, i.t('tool.none'))); return; }
    out.replaceChildren(h('h3', {}, i.t('tool.reached')), h('ul', { class: 'reached', id: 'iso-reached' }, ...last.reached.map((r) => h('li', { 'data-category': r.category },
      h('details', {}, h('summary', {}, `${i.t(`cat.${r.category}`)} · ${formatCount(r.items.length, L)}`),
        h('ul', {}, ...r.items.slice(0, 50).map((it) => h('li', {}, `${it.name}${it.minutes !== null ? ` · ${i.t('tool.minutes', { m: it.minutes.toFixed(1) })}` : ''}${it.distance !== null ? ` · ${formatDistance(it.distance, L)}` : ''}`))))))));
  };

  const run = async (lngLat: { lng: number; lat: number }) => {
    stateMessage(out, ctx, 'loading');
    const r = await getJSON<unknown>(isochroneUrl(lngLat.lng, lngLat.lat, MINUTES));
    if (!r.ok) { last = null; stateMessage(out, ctx, r.missing ? 'unavailable' : 'error', r.missing ? undefined : r.message); return; }
    last = parseIsochrone(r.data);
    // Largest first so the 5-minute polygon draws on top.
    const polys = [...last.polygons].map((f) => ({ ...f, properties: { ...f.properties, minutes: polygonMinutes(f) ?? 15 } }))
      .sort((a, b) => (b.properties.minutes as number) - (a.properties.minutes as number));
    const origin: GeoJSON.Feature = { type: 'Feature', geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] }, properties: { origin: true } };
    setOverlayData(ctx, 'iso', { type: 'FeatureCollection', features: [...polys, ...last.points, origin] });
    setOverlayVisible(ctx, 'iso', true);
    const b = bboxOf(polys);
    if (b) ctx.map.fitBounds(b, { padding: 60, maxZoom: 16, duration: 500 });
    out.dataset.polygons = String(polys.length);
    render();
  };

  const setPicking = (on: boolean) => {
    ctx.clickTool = on ? (ll) => run(ll) : null;
    toggle.setAttribute('aria-pressed', String(on));
    toggle.dataset.i18n = on ? 'tool.isoStop' : 'tool.isoStart';
    toggle.textContent = ctx.i18n().t(toggle.dataset.i18n);
    ctx.map.getCanvas().style.cursor = on ? 'crosshair' : '';
  };
  toggle.addEventListener('click', () => setPicking(ctx.clickTool === null));
  centre.addEventListener('click', () => run(ctx.map.getCenter()));
  clear.addEventListener('click', () => { last = null; setOverlayData(ctx, 'iso', EMPTY); setOverlayVisible(ctx, 'iso', false); out.replaceChildren(); });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && ctx.clickTool) setPicking(false); });
  renderLegend();
  ctx.onLang(() => { renderLegend(); render(); });
  return h('section', { class: 'card', id: 'tool-isochrone', 'aria-labelledby': 'iso-h' },
    h('h2', { id: 'iso-h', 'data-i18n': 'tool.isochrone' }), h('p', { class: 'help', 'data-i18n': 'tool.isoHelp' }),
    h('div', { class: 'row wrap' }, toggle, centre, clear), legend, out);
}
