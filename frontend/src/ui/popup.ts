// Click a feature → its attributes in a popup, titled with its name, marked 示例数据 when synthetic.
import { Popup, type MapGeoJSONFeature } from 'maplibre-gl';
import { type Ctx, h } from '../ctx';
import { clickableLayerIds } from '../style';
import { formatValue } from '../format';
import { setOverlayVisible } from './overlays';
import { STRINGS, valueLabel } from '../i18n';

const HIDDEN = new Set(['city_id', 'version', 'created_at', 'updated_at', 'updated_by', 'name', 'synthetic']);
const OVERLAYS = ['sites-circle', 'gaps-fill', 'capacity-fill', 'iso-origin', 'iso-fill', 'growthDiff-fill'];

/**
 * Which feature a click means when several are under it: points first, then parks and the
 * analysis polygons, then lines, then the large polygons (land, corridors, boundaries). A
 * click inside a park picks the park, not the footpath crossing it.
 */
export const CLICK_PRIORITY = [
  'sites-circle', 'iso-origin', 'facilities-circle', 'park_entrances-circle', 'parks-fill', 'gaps-fill',
  'capacity-fill', 'growthDiff-fill', 'residential_land-fill', 'network_edges-line', 'eco_corridors-fill', 'eco_redlines-fill',
  'basic_farmland-fill', 'iso-fill',
];

/** Orders layer ids by CLICK_PRIORITY (unlisted ones last, in their given order). */
export function byClickPriority<T extends { layer: { id: string } }>(features: T[]): T[] {
  const rank = (id: string) => { const i = CLICK_PRIORITY.indexOf(id); return i < 0 ? CLICK_PRIORITY.length : i; };
  return features.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f.layer.id) - rank(b.f.layer.id) || a.i - b.i).map((x) => x.f);
}

/** The layer id a rendered feature came from: parks-fill → parks. */
export function layerOf(f: MapGeoJSONFeature): string {
  return f.layer.id.replace(/-(fill|line|circle|label)$/, '');
}

/** Attributes that are another feature's id, shown by that feature's name. */
const REFS: Record<string, string> = { subdistrict_id: 'subdistricts', district_id: 'districts', park_id: 'parks', community_id: 'communities' };

/** The name behind an id attribute (所属街道 58 → 阿尔丁街道), when the label points know it. */
export function refName(ctx: Pick<Ctx, 'names' | 'lang'>, k: string, v: unknown): string | null {
  const layer = REFS[k];
  if (!layer || v === null || v === undefined) return null;
  const n = ctx.names[layer]?.get(Number(v));
  if (!n) return null;
  return ctx.lang() === 'en' && n.nameEn ? n.nameEn : n.name;
}

export function popupContent(ctx: Ctx, layer: string, props: Record<string, unknown>): HTMLElement {
  const i = ctx.i18n();
  const titles = ctx.attrTitles[layer] ?? {};
  const rows = Object.entries(props).filter(([k]) => !HIDDEN.has(k));
  // A gap tile's area_m2 is the parcel's uncovered area (the GeoJSON answer calls it gap_m2).
  const label = (k: string) => (layer === 'gaps' && k === 'area_m2' ? i.t('attr.gap_m2') : STRINGS[`attr.${k}`] ? i.t(`attr.${k}`) : titles[k]?.[ctx.lang()] ?? k);
  const shownName = ctx.lang() === 'en' && typeof props.name_en === 'string' && props.name_en ? props.name_en : props.name;
  const value = (k: string, v: unknown) => refName(ctx, k, v) ?? valueLabel(k, v, ctx.lang()) ?? formatValue(v, ctx.lang(), i.t('yes'), i.t('no'));
  const synthetic = props.synthetic === true || props.synthetic === 'true';
  return h('div', { class: 'popup', role: 'dialog', 'aria-label': i.t('popup.title') },
    h('div', { class: 'popup-layer' }, STRINGS[`layer.${layer}`] ? i.t(`layer.${layer}`) : layer, synthetic ? h('span', { class: 'badge synthetic' }, i.t('app.synthetic')) : null),
    shownName ? h('h3', { class: 'popup-name' }, String(shownName)) : null,
    h('table', {}, h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, label(k)), h('td', {}, value(k, v)))))));
}

export function installPopup(ctx: Ctx): Popup {
  const popup = new Popup({ closeButton: true, maxWidth: '320px', focusAfterOpen: true });
  ctx.map.on('click', (e) => {
    if (ctx.clickTool) { ctx.clickTool(e.lngLat); return; }
    const layers = [...OVERLAYS, ...clickableLayerIds(ctx.defs).reverse()].filter((l) => ctx.map.getLayer(l) && ctx.map.getLayoutProperty(l, 'visibility') !== 'none');
    const pad = 4;
    const feats = ctx.map.queryRenderedFeatures([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]], { layers });
    if (feats.length === 0) { popup.remove(); return; }
    const f = byClickPriority(feats)[0];
    const props = (f.properties ?? {}) as Record<string, unknown>;
    if (props.synthetic === true) ctx.sawSynthetic();
    popup.setLngLat(e.lngLat).setDOMContent(popupContent(ctx, layerOf(f), props)).addTo(ctx.map);
  });
  for (const l of [...OVERLAYS, ...clickableLayerIds(ctx.defs)]) {
    ctx.map.on('mouseenter', l, () => (ctx.map.getCanvas().style.cursor = 'pointer'));
    ctx.map.on('mouseleave', l, () => (ctx.map.getCanvas().style.cursor = ''));
  }
  ctx.onLang(() => popup.remove());
  popup.on('close', () => setOverlayVisible(ctx, 'hit', false)); // a search hit's outline goes with its popup
  shown = popup;
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') popup.remove(); });
  return popup;
}

// The one popup of the page, shared by map clicks and search results.
let shown: Popup | null = null;

/** Opens the popup for a feature found outside the map (the search). */
export function showFeaturePopup(ctx: Ctx, layer: string, props: Record<string, unknown>, at: [number, number]): void {
  (shown ??= new Popup({ closeButton: true, maxWidth: '320px' })).setLngLat(at).setDOMContent(popupContent(ctx, layer, props)).addTo(ctx.map);
}
