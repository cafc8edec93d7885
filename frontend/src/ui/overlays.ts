// GeoJSON overlays drawn above the tiles: the coverage gaps, candidate sites, isochrones,
// growth-boundary editions and their change, the community choropleth and search hits.
import type { GeoJSONSource, LayerSpecification, VectorTileSource } from 'maplibre-gl';
import { gapTileUrl, type CoverageQuery } from '../api';
import type { Ctx } from '../ctx';
import { LAYER_COLORS, ISO_COLORS } from '../colors';
import { FONTSTACK, planningTileUrls } from '../style';
import { statusColorExpression } from '../problems';

export const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

/** Overlay id → its MapLibre layer ids, for toggling. */
export const OVERLAY_LAYERS: Record<string, string[]> = {
  gaps: ['gaps-fill', 'gaps-line'],
  sites: ['sites-circle', 'sites-label'],
  iso: ['iso-fill', 'iso-line', 'iso-origin'],
  growthA: ['growthA-line'],
  growthB: ['growthB-line'],
  growthDiff: ['growthDiff-fill'],
  choropleth: ['choropleth-fill'],
  capacity: ['capacity-fill', 'capacity-line'],
  hit: ['hit-line'],
  problems: ['problems-fill', 'problems-line', 'problems-sites'],
};

export function addOverlays(ctx: Ctx): void {
  const m = ctx.map;
  for (const id of ['sites', 'iso', 'growthA', 'growthB', 'growthDiff', 'hit', 'measure', 'problems', 'capacity']) m.addSource(id, { type: 'geojson', data: EMPTY });
  // The gaps come as the park_coverage_gaps tiles; setGapTiles points them at a caliber and method.
  m.addSource('gaps', { type: 'vector', tiles: [gapTileUrl(ctx.origin, {})], minzoom: 0, maxzoom: 16 });
  const before = m.getLayer('network_edges-line') ? 'network_edges-line' : undefined;
  const none = { visibility: 'none' as const };
  const add = (l: LayerSpecification, under?: string) => m.addLayer(l, under);
  // The choropleth paints the communities' own tiles by feature-state, under the parks.
  if (m.getSource('communities')) {
    add({ id: 'choropleth-fill', type: 'fill', source: 'communities', 'source-layer': ctx.sources.communities?.sourceLayer ?? 'communities', layout: none,
      paint: { 'fill-color': 'rgba(0,0,0,0)', 'fill-opacity': 0.7 } }, m.getLayer('parks-fill') ? 'parks-fill' : before);
  }
  // The capacity layer (per-parcel 2SFCA supply ratio against the norm); its colours are set per category (setCapacityLayer).
  add({ id: 'capacity-fill', type: 'fill', source: 'capacity', layout: none, paint: { 'fill-color': 'rgba(0,0,0,0)', 'fill-opacity': 0.7 } }, before);
  add({ id: 'capacity-line', type: 'line', source: 'capacity', minzoom: 13, layout: none, paint: { 'line-color': '#555', 'line-width': 0.4 } }, before);
  add({ id: 'growthDiff-fill', type: 'fill', source: 'growthDiff', layout: none, paint: {
    'fill-color': ['match', ['get', 'change'], 'added', '#33a02c', 'removed', '#e31a1c', '#999'], 'fill-opacity': 0.45 } }, before);
  add({ id: 'growthA-line', type: 'line', source: 'growthA', layout: none, paint: { 'line-color': '#1f78b4', 'line-width': 2.5, 'line-dasharray': [3, 2] } });
  add({ id: 'growthB-line', type: 'line', source: 'growthB', layout: none, paint: { 'line-color': '#6a3d9a', 'line-width': 2.5 } });
  add({ id: 'gaps-fill', type: 'fill', source: 'gaps', 'source-layer': 'park_coverage_gaps', layout: none, paint: { 'fill-color': LAYER_COLORS.gaps, 'fill-opacity': 0.45 } });
  add({ id: 'gaps-line', type: 'line', source: 'gaps', 'source-layer': 'park_coverage_gaps', minzoom: 13, layout: none, paint: { 'line-color': LAYER_COLORS.gaps, 'line-width': 0.8 } });
  add({ id: 'iso-fill', type: 'fill', source: 'iso', filter: ['!=', ['geometry-type'], 'Point'], layout: none, paint: {
    'fill-color': ['step', ['to-number', ['coalesce', ['get', 'minutes'], 15]], ISO_COLORS[0], 7.5, ISO_COLORS[1], 12.5, ISO_COLORS[2]],
    'fill-opacity': 0.35 } });
  add({ id: 'iso-line', type: 'line', source: 'iso', filter: ['!=', ['geometry-type'], 'Point'], layout: none, paint: { 'line-color': '#333', 'line-width': 1 } });
  add({ id: 'iso-origin', type: 'circle', source: 'iso', filter: ['==', ['geometry-type'], 'Point'], layout: none, paint: {
    'circle-radius': ['case', ['==', ['get', 'origin'], true], 7, 4], 'circle-color': ['case', ['==', ['get', 'origin'], true], '#000', LAYER_COLORS.facilities],
    'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
  add({ id: 'sites-circle', type: 'circle', source: 'sites', layout: none, paint: { 'circle-radius': 9, 'circle-color': LAYER_COLORS.sites, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  add({ id: 'sites-label', type: 'symbol', source: 'sites', layout: { ...none, 'text-field': ['to-string', ['get', 'rank']], 'text-font': [FONTSTACK], 'text-size': 11, 'text-allow-overlap': true },
    paint: { 'text-color': '#fff' } });
  // The 问题清单: each problem's community by status, and its remedy's candidate sites.
  add({ id: 'problems-fill', type: 'fill', source: 'problems', filter: ['==', ['get', 'kind'], 'problem'], layout: none,
    paint: { 'fill-color': statusColorExpression() as never, 'fill-opacity': 0.35 } });
  add({ id: 'problems-line', type: 'line', source: 'problems', filter: ['==', ['get', 'kind'], 'problem'], layout: none,
    paint: { 'line-color': statusColorExpression() as never, 'line-width': 1.5 } });
  add({ id: 'problems-sites', type: 'circle', source: 'problems', filter: ['==', ['get', 'kind'], 'site'], layout: none,
    paint: { 'circle-radius': 6, 'circle-color': LAYER_COLORS.sites, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
  add({ id: 'hit-line', type: 'line', source: 'hit', layout: none, paint: { 'line-color': '#ff00aa', 'line-width': 3 } });
  add({ id: 'measure-fill', type: 'fill', source: 'measure', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ff7f00', 'fill-opacity': 0.15 } });
  add({ id: 'measure-line', type: 'line', source: 'measure', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#d35400', 'line-width': 2.5, 'line-dasharray': [2, 1] } });
  add({ id: 'measure-point', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#fff', 'circle-stroke-color': '#d35400', 'circle-stroke-width': 2 } });
}

/** Points the gap tiles at the dashboard's caliber and method. */
export function setGapTiles(ctx: Ctx, q: CoverageQuery): void {
  (ctx.map.getSource('gaps') as VectorTileSource | undefined)?.setTiles([gapTileUrl(ctx.origin, q)]);
}

/** Points every planning-layer source of the map at the data edition asOf (null: now). */
export function setPlanningTiles(ctx: Ctx, asOf: string | null): void {
  for (const [src, url] of Object.entries(planningTileUrls(ctx.origin, ctx.defs, asOf))) {
    (ctx.map.getSource(src) as VectorTileSource | undefined)?.setTiles([url]);
  }
}

export function setOverlayData(ctx: Ctx, id: string, data: GeoJSON.FeatureCollection): void {
  (ctx.map.getSource(id) as GeoJSONSource | undefined)?.setData(data);
}

export function setOverlayVisible(ctx: Ctx, id: string, visible: boolean): void {
  for (const l of OVERLAY_LAYERS[id] ?? []) if (ctx.map.getLayer(l)) ctx.map.setLayoutProperty(l, 'visibility', visible ? 'visible' : 'none');
}

/** The [w, s, e, n] box of a FeatureCollection's coordinates, or null when empty. */
export function bboxOf(fc: GeoJSON.FeatureCollection | GeoJSON.Feature[]): [number, number, number, number] | null {
  const feats = Array.isArray(fc) ? fc : fc.features;
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = c as number[];
      if (x < w) w = x; if (x > e) e = x; if (y < s) s = y; if (y > n) n = y;
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  for (const f of feats) {
    const g = f.geometry as GeoJSON.Geometry | null;
    if (!g) continue;
    if (g.type === 'GeometryCollection') g.geometries.forEach((gg) => walk((gg as GeoJSON.Point).coordinates));
    else walk(g.coordinates);
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}
