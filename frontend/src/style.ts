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
  /** The tile source when it is another layer's (water is the network's river edges). */
  source?: string;
  /** A MapLibre filter on the source's features. */
  filter?: unknown[];
}

/** Walking-network classes that are not streets: drawn as water and railway, not roads. */
export const NOT_ROADS = ['river', 'railway'];

/** Every registry layer (plus water when the tiles offer it), bottom to top. */
export const LAYER_DEFS: LayerDef[] = [
  // The Yellow River is stored as the walking network's non-walkable 'river' edges (internal/seed).
  { id: 'water', group: 'basemap', geom: 'line', visible: true, source: 'network_edges', filter: ['==', ['get', 'highway'], 'river'] },
  { id: 'districts', group: 'basemap', geom: 'polygon', visible: true, outline: true },
  { id: 'subdistricts', group: 'planning', geom: 'polygon', visible: false, outline: true, dash: [3, 2] },
  { id: 'communities', group: 'planning', geom: 'polygon', visible: false, outline: true, dash: [1, 1] },
  { id: 'basic_farmland', group: 'planning', geom: 'polygon', visible: false, fillOpacity: 0.35 },
  { id: 'eco_redlines', group: 'planning', geom: 'polygon', visible: false, fillOpacity: 0.25 },
  { id: 'eco_corridors', group: 'planning', geom: 'polygon', visible: false, fillOpacity: 0.45 },
  { id: 'growth_boundaries', group: 'planning', geom: 'polygon', visible: false, outline: true, dash: [4, 2] },
  { id: 'residential_land', group: 'basemap', geom: 'polygon', visible: true, fillOpacity: 0.35, outlineMinzoom: 13 },
  { id: 'parks', group: 'basemap', geom: 'polygon', visible: true, fillOpacity: 0.7 },
  { id: 'network_edges', group: 'basemap', geom: 'line', visible: true },
  { id: 'park_entrances', group: 'planning', geom: 'point', visible: false, minzoom: 13 },
  { id: 'facilities', group: 'planning', geom: 'point', visible: false, minzoom: 12, label: { minzoom: 16, size: 10.5 } },
];

/** The MapLibre layer ids drawn for def; all start with `${def.id}-`. */
export function styleLayerIds(def: LayerDef): string[] {
  if (def.geom === 'point') return def.label ? [`${def.id}-circle`, `${def.id}-label`] : [`${def.id}-circle`];
  if (def.id === 'network_edges') return ['network_edges-casing', 'network_edges-line', 'network_edges-rail', 'network_edges-label'];
  if (def.geom === 'line') return [`${def.id}-line`, `${def.id}-label`];
  const ids = def.outline ? [`${def.id}-line`] : [`${def.id}-fill`, `${def.id}-line`];
  if (def.label) ids.push(`${def.id}-label`);
  return ids;
}

/** The layers a click can pick. */
export function clickableLayerIds(defs: LayerDef[]): string[] {
  return defs.flatMap((d) => (d.geom === 'polygon' ? (d.outline ? [] : [`${d.id}-fill`]) : styleLayerIds(d).filter((l) => !/-(label|casing)$/.test(l))));
}

/** Road widths by class (px at zoom 10 and 16): a planning base map, muted so that the
 *  indicators stand out; main roads a little wider, paths thin. */
const ROAD_WIDTH: [string[], number, number][] = [
  [['motorway', 'trunk', 'primary'], 1.4, 9],
  [['secondary'], 1.1, 7],
  [['tertiary'], 0.8, 5.5],
  [['residential', 'living_street', 'unclassified'], 0.4, 3.5],
  [['service'], 0.25, 2.2],
];

function roadColor(street: string): unknown[] {
  return ['match', ['get', 'highway'], ['motorway', 'trunk', 'primary'], '#f2d49b', ['secondary'], '#f7e5bd', ['footway', 'path', 'pedestrian', 'steps', 'cycleway'], '#cbc3b5', street];
}

function roadWidth(zoom: 10 | 16): unknown[] {
  const i = zoom === 10 ? 1 : 2;
  return ['match', ['get', 'highway'], ...ROAD_WIDTH.flatMap((r) => [r[0], r[i] as number]), zoom === 10 ? 0.2 : 1.2];
}

/** A label's text: the English name in English where one exists, else the name. */
export const textField = (lang: 'zh' | 'en'): unknown[] => (lang === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name']] : ['coalesce', ['get', 'name'], '']);

/** The river's name, in English where the map knows it. */
export const waterText = (lang: 'zh' | 'en'): unknown[] => (lang === 'en' ? ['match', ['get', 'name'], '黄河', 'Yellow River', ['get', 'name']] : ['get', 'name']);

/** text-field of a label layer of the style in lang (every symbol layer with a name). */
export function textFieldFor(layerId: string, lang: 'zh' | 'en'): unknown[] | null {
  if (layerId === 'water-label') return waterText(lang);
  if (/^(place-|network_edges-label|facilities-label)/.test(layerId)) return textField(lang);
  return null;
}

/** The base map drawn from the walking network: roads by class with casings for the main
 *  ones, the railway, and street names along the lines from zoom 15. */
function networkLayers(base: Record<string, unknown>, visibility: string, lang: 'zh' | 'en'): LayerSpecification[] {
  const roads = ['!', ['in', ['get', 'highway'], ['literal', NOT_ROADS]]];
  const main = ['in', ['get', 'highway'], ['literal', ['motorway', 'trunk', 'primary', 'secondary']]];
  return [
    // Casings: the main roads from zoom 10, every street from 14.
    { ...base, id: 'network_edges-casing', type: 'line', filter: roads, layout: { visibility, 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['step', ['zoom'], ['case', main, '#b9b1a3', 'rgba(0,0,0,0)'], 14, '#b9b1a3'], 'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 10, ['+', roadWidth(10), 1], 16, ['+', roadWidth(16), 2]] } },
    { ...base, id: 'network_edges-line', type: 'line', filter: roads, layout: { visibility, 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        // Main roads pale amber, streets white (grey while too thin for a casing), paths grey.
        'line-color': ['step', ['zoom'], roadColor('#cfc8bb'), 14, roadColor('#ffffff')],
        'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 10, roadWidth(10), 16, roadWidth(16)],
      } },
    { ...base, id: 'network_edges-rail', type: 'line', filter: ['==', ['get', 'highway'], 'railway'], layout: { visibility },
      paint: { 'line-color': '#7d7d7d', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1.2, 16, 3], 'line-dasharray': [4, 3] } },
    { ...base, id: 'network_edges-label', type: 'symbol', minzoom: 15, filter: ['all', roads, ['has', 'name']],
      layout: { visibility, 'symbol-placement': 'line', 'text-field': textField(lang), 'text-font': [FONTSTACK], 'text-size': 11, 'symbol-spacing': 400 },
      paint: { 'text-color': '#6b6357', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } },
  ] as unknown as LayerSpecification[];
}

function layersFor(def: LayerDef, sourceLayer: string, lang: 'zh' | 'en'): LayerSpecification[] {
  const color = LAYER_COLORS[def.id] ?? '#888';
  const visibility = def.visible ? 'visible' : 'none';
  const base = { source: def.source ?? def.id, 'source-layer': sourceLayer, layout: { visibility }, ...(def.minzoom ? { minzoom: def.minzoom } : {}), ...(def.filter ? { filter: def.filter } : {}) } as const;
  const out: LayerSpecification[] = [];
  if (def.id === 'network_edges') return networkLayers(base, visibility, lang);
  if (def.geom === 'point') {
    out.push({ ...base, id: `${def.id}-circle`, type: 'circle', paint: {
      'circle-color': color, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 2.5, 16, 6],
      'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } } as unknown as LayerSpecification);
    if (def.label) {
      out.push({ ...base, id: `${def.id}-label`, type: 'symbol', minzoom: def.label.minzoom, layout: {
        visibility, 'text-field': textField(lang), 'text-font': [FONTSTACK], 'text-size': def.label.size, 'text-anchor': 'top', 'text-offset': [0, 0.6], 'text-max-width': 8, 'text-optional': true },
        paint: { 'text-color': '#1d4f7a', 'text-halo-color': '#fff', 'text-halo-width': 1.4 } } as unknown as LayerSpecification);
    }
    return out;
  }
  if (def.geom === 'line') {
    // Water: the river as a wide blue line, named along it.
    out.push({ ...base, id: `${def.id}-line`, type: 'line', layout: { visibility, 'line-cap': 'round', 'line-join': 'round' }, paint: {
      'line-color': color, 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 9, 3, 12, 9, 16, 70] } } as unknown as LayerSpecification);
    out.push({ ...base, id: `${def.id}-label`, type: 'symbol', minzoom: 11, layout: {
      visibility, 'symbol-placement': 'line', 'text-field': waterText(lang),
      'text-font': [FONTSTACK], 'text-size': 13, 'text-letter-spacing': 0.3, 'symbol-spacing': 500 },
      paint: { 'text-color': '#2d6a93', 'text-halo-color': 'rgba(255,255,255,0.8)', 'text-halo-width': 1.2 } } as unknown as LayerSpecification);
    return out;
  }
  if (!def.outline) {
    out.push({ ...base, id: `${def.id}-fill`, type: 'fill', paint: { 'fill-color': color, 'fill-opacity': def.fillOpacity ?? 0.4 } } as unknown as LayerSpecification);
  }
  const outlineMin = Math.max(def.minzoom ?? 0, def.outline ? 0 : def.outlineMinzoom ?? 0);
  out.push({ ...base, ...(outlineMin ? { minzoom: outlineMin } : {}), id: `${def.id}-line`, type: 'line', paint: {
    'line-color': color, 'line-width': def.outline ? 1.6 : 0.6, ...(def.dash ? { 'line-dasharray': def.dash } : {}) } } as unknown as LayerSpecification);
  return out;
}

export interface SourceInfo {
  sourceLayer: string;
  minzoom: number;
  maxzoom: number;
  /** Set when the tiles carry an id property; otherwise the MVT feature id is used. */
  promoteId?: string;
}

/**
 * The tile URL of every vector source that defs draw (one per layer; a layer drawn from
 * another's tiles, as water from the network, shares them), as of the data edition asOf, or
 * now when it is null. The timeline points the map's planning layers at an edition with it.
 */
export function planningTileUrls(origin: string, defs: LayerDef[], asOf: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of defs) {
    const src = def.source ?? def.id;
    out[src] ??= tileUrl(origin, [src], asOf);
  }
  return out;
}

/** Builds the style for defs; info holds what TileJSON said about each layer (defaults otherwise). */
export function buildStyle(origin: string, defs: LayerDef[], info: Record<string, SourceInfo>, lang: 'zh' | 'en'): StyleSpecification {
  const sources: StyleSpecification['sources'] = {};
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': '#f2efe9' } }];
  const urls = planningTileUrls(origin, defs, null);
  for (const def of defs) {
    const src = def.source ?? def.id;
    const i = info[src] ?? { sourceLayer: src, minzoom: 0, maxzoom: 16 };
    sources[src] ??= { type: 'vector', tiles: [urls[src]], minzoom: i.minzoom, maxzoom: i.maxzoom, ...(i.promoteId ? { promoteId: i.promoteId } : {}) };
    layers.push(...layersFor(def, i.sourceLayer, lang));
  }
  return { version: 8, name: 'cityreach', glyphs: glyphsUrl(origin), sources, layers };
}
