// Place names: one label per 区/旗/县, 街道, 社区 and park, at a point the server computes
// (GET /api/v1/labels: the centre of the largest inscribed circle). Polygon labels from the
// tiles would repeat in every tile a polygon crosses (宏达公园 six times); a point is one
// label. Each level has its zooms, and the larger areas win a collision (symbol-sort-key).
import type { LayerSpecification } from 'maplibre-gl';
import type { Ctx } from '../ctx';
import { getJSON, labelsUrl, DEFAULT_CITY } from '../api';
import { FONTSTACK, textField } from '../style';

export interface PlaceLevel { layer: 'districts' | 'subdistricts' | 'communities' | 'parks'; minzoom: number; maxzoom: number; size: number; color: string }

/** Which level is named at which zooms (a district from the city view to the street view). */
export const PLACE_LEVELS: PlaceLevel[] = [
  { layer: 'districts', minzoom: 0, maxzoom: 14, size: 17, color: '#3b4657' },
  { layer: 'subdistricts', minzoom: 12, maxzoom: 15.5, size: 13, color: '#4f5b6c' },
  { layer: 'communities', minzoom: 14, maxzoom: 24, size: 11.5, color: '#6f5f4b' },
  { layer: 'parks', minzoom: 14, maxzoom: 24, size: 11, color: '#256335' },
];

export const placeLayerId = (layer: string) => `place-${layer}`;

/** Loads the label points and adds one symbol layer per level, above everything else. */
export async function placeLabels(ctx: Ctx): Promise<void> {
  const m = ctx.map;
  await Promise.all(PLACE_LEVELS.map(async (lv) => {
    const r = await getJSON<GeoJSON.FeatureCollection>(labelsUrl(DEFAULT_CITY, lv.layer));
    if (!r.ok) return;
    const names = new Map<number, { name: string; nameEn: string | null }>();
    for (const f of r.data.features) names.set(Number(f.properties?.id), { name: String(f.properties?.name ?? ''), nameEn: (f.properties?.name_en as string | undefined) ?? null });
    ctx.names[lv.layer] = names;
    if (r.data.features.some((f) => f.properties?.synthetic === true)) ctx.sawSynthetic();
    const src = `labels-${lv.layer}`;
    m.addSource(src, { type: 'geojson', data: r.data });
    m.addLayer({ id: placeLayerId(lv.layer), type: 'symbol', source: src, minzoom: lv.minzoom, maxzoom: lv.maxzoom,
      layout: { 'text-field': textField(ctx.lang()), 'text-font': [FONTSTACK], 'text-size': lv.size, 'text-max-width': 7,
        'symbol-sort-key': ['-', 0, ['get', 'area_m2']], 'text-padding': 4,
        ...(lv.layer === 'districts' ? { 'text-letter-spacing': 0.15, 'text-allow-overlap': false } : {}) },
      paint: { 'text-color': lv.color, 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': lv.layer === 'districts' ? 2 : 1.5 } } as unknown as LayerSpecification);
  }));
  // Districts above the other levels, so they win where their zooms overlap.
  if (m.getLayer(placeLayerId('districts'))) m.moveLayer(placeLayerId('districts'));
}
