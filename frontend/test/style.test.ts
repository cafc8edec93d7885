import { describe, it, expect } from 'vitest';
import { buildStyle, planningTileUrls, LAYER_DEFS } from '../src/style';

describe('map style', () => {
  const info = Object.fromEntries(LAYER_DEFS.map((d) => [d.id, { sourceLayer: d.id, minzoom: 0, maxzoom: 16 }]));
  const style = buildStyle('http://localhost:8080', LAYER_DEFS, info, 'zh');
  const layer = (id: string) => style.layers.find((l) => l.id === id) as { minzoom?: number } | undefined;

  it('starts the residential outline at zoom 13, above the cell-cut blocks of zoom 0–12', () => {
    expect(layer('residential_land-fill')?.minzoom).toBeUndefined();
    expect(layer('residential_land-line')?.minzoom).toBe(13);
  });

  it('keeps the other outlines at every zoom', () => {
    expect(layer('parks-line')?.minzoom).toBeUndefined();
    expect(layer('districts-line')?.minzoom).toBeUndefined();
  });

  it('keeps a layer minzoom on its outline', () => {
    const defs = [{ id: 'x', group: 'planning' as const, geom: 'polygon' as const, visible: true, minzoom: 14, outlineMinzoom: 13 }];
    const s = buildStyle('http://localhost:8080', defs, { x: { sourceLayer: 'x', minzoom: 0, maxzoom: 16 } }, 'en');
    expect((s.layers.find((l) => l.id === 'x-line') as { minzoom?: number }).minzoom).toBe(14);
  });

  it('points every planning-layer source at a data edition, and back at now', () => {
    const past = planningTileUrls('http://h', LAYER_DEFS, '2024 现状');
    // One URL per vector source of the style: water shares the network's tiles.
    expect(Object.keys(past).sort()).toEqual(Object.keys(style.sources).sort());
    expect(Object.keys(past)).not.toContain('water');
    expect(past.parks).toBe('http://h/tiles/parks/{z}/{x}/{y}.mvt?city=baotou&as_of=2024+%E7%8E%B0%E7%8A%B6');
    expect(past.residential_land).toBe('http://h/tiles/residential_land/{z}/{x}/{y}.mvt?city=baotou&as_of=2024+%E7%8E%B0%E7%8A%B6');
    expect(past.districts).toBe('http://h/tiles/districts/{z}/{x}/{y}.mvt?city=baotou&as_of=2024+%E7%8E%B0%E7%8A%B6');
    for (const url of Object.values(past)) expect(new URL(url.replace(/\{[xyz]\}/g, '0')).searchParams.get('as_of')).toBe('2024 现状');
    // Now: the very URLs of the style as built, so the current tiles keep their cache.
    const now = planningTileUrls('http://localhost:8080', LAYER_DEFS, null);
    for (const [src, url] of Object.entries(now)) expect((style.sources[src] as { tiles: string[] }).tiles).toEqual([url]);
    expect(now.parks).toBe('http://localhost:8080/tiles/parks/{z}/{x}/{y}.mvt');
  });
});
