// The MapLibre style, built from the service's own vector tiles: no remote style, sprite,
// glyph or tile URL ever appears in it. One source per layer, so a hidden layer costs no
// requests and a layer whose tiles are not served yet leaves the others drawing.
import type { StyleSpecification, LayerSpecification } from 'maplibre-gl';
import { tileUrl, glyphsUrl } from './api';
import { LAYER_COLORS } from './colors';

export const FONTSTACK = 'Noto Sans CJK SC Regular';

/** Baotou's central city, the demo data's extent: [west, south, east, north]. */
export const BAOTOU_BOUNDS: [number, number, number, number] = [109.75, 40.55, 110.1, 40.7];

export type Group = 'basemap' | 'planning';

export interface LayerDef {
  id: string;
  group: Group;
  geom: 'polygon' | 'line' | 'point';
  visible: boolean;
  /** Label field and the zoom it appears from; none when absent. */
  label?: { minzoom: number; size: number };
  /** Line-only rendering for boundary-like polygons. */
  outline?: boolean;
  dash?: number[];
  fillOpacity?: number;
  minzoom?: number;
  /**
   * First zoom of a filled polygon's outline. residential_land is drawn from generalised
   * blocks up to zoom 12 (docs/tiles.md); they are cut at the cells of the z14 grid, so
   * an outline there would draw that grid.
   */
  outlineMinzoom?: number;
}

/** Every registry layer (plus water when the tiles offer it), bottom to top. */
export const LAYER_DEFS: LayerDef[] = [
  { id: 'water', group: 'basemap', geom: 'polygon', visible: true, fillOpacity: 0.8 },
  { id: 'districts', group: 'basemap', geom: 'polygon', visible: true, outline: true, label: { minzoom: 0, size: 15 } },
  { id: 'subdistricts', group: 'planning', geom: 'polygon', visible: false, outline: true, dash: [3, 2], label: { minzoom: 12, size: 12 } },
  { id: 'communities', group: 'planning', geom: 'polygon', visible: false, outline: true, dash: [1, 1], label: { minzoom: 14, size: 11 } },
  { id: 'basic_farmland', group: 'planning', geom: 'polygon', visible: false, fillOpacity: 0.35 },
  { id: 'eco_redlines', group: 'planning', geom: 'polygon', visible: false, fillOpacity: 0.25 },
  { id: 'eco_corridors', group: 'planning', geom: 'polygon', visible: false, fillOpacity: 0.45 },
  { id: 'growth_boundaries', group: 'planning', geom: 'polygon', visible: false, outline: true, dash: [4, 2] },
  { id: 'residential_land', group: 'basemap', geom: 'polygon', visible: true, fillOpacity: 0.35, outlineMinzoom: 13 },
  { id: 'parks', group: 'basemap', geom: 'polygon', visible: true, fillOpacity: 0.75, label: { minzoom: 13, size: 12 } },
  { id: 'network_edges', group: 'basemap', geom: 'line', visible: true },
  { id: 'park_entrances', group: 'planning', geom: 'point', visible: false, minzoom: 13 },
  { id: 'facilities', group: 'planning', geom: 'point', visible: false, minzoom: 12 },
];

/** The MapLibre layer ids drawn for def; all start with `${def.id}-`. */
export function styleLayerIds(def: LayerDef): string[] {
  if (def.geom === 'point') return [`${def.id}-circle`];
  if (def.geom === 'line') return [`${def.id}-line`];
  const ids = def.outline ? [`${def.id}-line`] : [`${def.id}-fill`, `${def.id}-line`];
  if (def.label) ids.push(`${def.id}-label`);
  return ids;
}

/** The layers a click can pick. */
export function clickableLayerIds(defs: LayerDef[]): string[] {
  return defs.flatMap((d) => (d.geom === 'polygon' ? (d.outline ? [] : [`${d.id}-fill`]) : styleLayerIds(d)));
}

function layersFor(def: LayerDef, sourceLayer: string, lang: 'zh' | 'en'): LayerSpecification[] {
  const color = LAYER_COLORS[def.id] ?? '#888';
  const visibility = def.visible ? 'visible' : 'none';
  const base = { source: def.id, 'source-layer': sourceLayer, layout: { visibility }, ...(def.minzoom ? { minzoom: def.minzoom } : {}) } as const;
  const out: LayerSpecification[] = [];
  if (def.geom === 'point') {
    out.push({ ...base, id: `${def.id}-circle`, type: 'circle', paint: {
      'circle-color': color, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 2.5, 16, 6],
      'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } } as LayerSpecification);
    return out;
  }
  if (def.geom === 'line') {
    out.push({ ...base, id: `${def.id}-line`, type: 'line', paint: {
      'line-color': color,
      'line-width': ['interpolate', ['linear'], ['zoom'], 10, ['match', ['get', 'highway'], ['primary', 'trunk', 'secondary'], 1.2, 0.4], 16, ['match', ['get', 'highway'], ['primary', 'trunk', 'secondary'], 4, 1.5]],
    } } as LayerSpecification);
    return out;
  }
  if (!def.outline) {
    out.push({ ...base, id: `${def.id}-fill`, type: 'fill', paint: { 'fill-color': color, 'fill-opacity': def.fillOpacity ?? 0.4 } } as LayerSpecification);
  }
  const outlineMin = Math.max(def.minzoom ?? 0, def.outline ? 0 : def.outlineMinzoom ?? 0);
  out.push({ ...base, ...(outlineMin ? { minzoom: outlineMin } : {}), id: `${def.id}-line`, type: 'line', paint: {
    'line-color': color, 'line-width': def.outline ? 1.6 : 0.6, ...(def.dash ? { 'line-dasharray': def.dash } : {}) } } as LayerSpecification);
  if (def.label) {
    out.push({ ...base, id: `${def.id}-label`, type: 'symbol', minzoom: def.label.minzoom, layout: {
      visibility, 'text-field': lang === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name']] : ['coalesce', ['get', 'name'], ''],
      'text-font': [FONTSTACK], 'text-size': def.label.size, 'text-max-width': 8, 'symbol-placement': 'point' },
      paint: { 'text-color': def.id === 'parks' ? '#0d4a22' : '#2b3440', 'text-halo-color': '#fff', 'text-halo-width': 1.4 } } as LayerSpecification);
  }
  return out;
}

export interface SourceInfo {
  sourceLayer: string;
  minzoom: number;
  maxzoom: number;
  /** Set when the tiles carry an id property; otherwise the MVT feature id is used. */
  promoteId?: string;
}

/** Builds the style for defs; info holds what TileJSON said about each layer (defaults otherwise). */
export function buildStyle(origin: string, defs: LayerDef[], info: Record<string, SourceInfo>, lang: 'zh' | 'en'): StyleSpecification {
  const sources: StyleSpecification['sources'] = {};
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': '#f3f1ec' } }];
  for (const def of defs) {
    const i = info[def.id] ?? { sourceLayer: def.id, minzoom: 0, maxzoom: 16 };
    sources[def.id] = { type: 'vector', tiles: [tileUrl(origin, [def.id])], minzoom: i.minzoom, maxzoom: i.maxzoom, ...(i.promoteId ? { promoteId: i.promoteId } : {}) };
    layers.push(...layersFor(def, i.sourceLayer, lang));
  }
  return { version: 8, name: 'cityreach', glyphs: glyphsUrl(origin), sources, layers };
}
