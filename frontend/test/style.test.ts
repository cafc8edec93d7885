import { describe, it, expect } from 'vitest';
import { buildStyle, LAYER_DEFS } from '../src/style';

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
});
