import { describe, it, expect } from 'vitest';
import { parseCompare, parseCircle, formatPP } from '../src/ui/scenario';

describe('scenario compare', () => {
  it('reads park-coverage rows by level and the newly covered land', () => {
    const r = parseCompare({
      indicators: [{ id: 'complete-communities', levels: [] }, { id: 'park-coverage', levels: [
        { level: 'city', areas: [{ id: 1, name: '包头市', baseline: { ratio: 0.5, covered_m2: 100 }, scenario: { ratio: 0.6, covered_m2: 120 }, delta: { ratio: 0.1, covered_m2: 20 } }] },
        { level: 'district', areas: [{ id: 7, name: '昆区', baseline: {}, scenario: {}, delta: { ratio: 0.2 } }] }] }],
      newly_covered: { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: null, properties: { area_m2: 20 } }] },
    });
    expect(r.rows.map((x) => [x.level, x.id, x.delta.ratio, x.delta.covered])).toEqual([['city', 1, 0.1, 20], ['district', 7, 0.2, null]]);
    expect(r.newly.features).toHaveLength(1);
    expect(r.uncovered.features).toHaveLength(0);
  });
  it('formats percentage points with a sign', () => {
    expect(formatPP(0.00123)).toBe('+0.123');
    expect(formatPP(-0.01)).toBe('−1.000');
    expect(formatPP(0)).toBe('±0.000');
    expect(formatPP(null)).toBe('—');
  });
  it('reads the living circle: the city row and the communities that flip', () => {
    const c = parseCircle({
      indicators: [{ id: 'park-coverage', levels: [] }, { id: 'living-circle', levels: [
        { level: 'city', areas: [{ id: 0, name: '包头市', baseline: { complete_communities: 3, 'share.kindergarten': 0.5 }, scenario: { complete_communities: 4, 'share.kindergarten': 0.6 }, delta: { complete_communities: 1, 'share.kindergarten': 0.1, bogus: 'x' } }] },
        { level: 'community', areas: [] }],
      status_changes: [{ level: 'community', id: 12, name: '阿尔丁社区', from: false, to: true, value: 0.93 }] }],
    });
    expect(c?.baseline.complete_communities).toBe(3);
    expect(c?.scenario.complete_communities).toBe(4);
    expect(c?.delta).toEqual({ complete_communities: 1, 'share.kindergarten': 0.1 });
    expect(c?.flips).toEqual([{ level: 'community', id: 12, name: '阿尔丁社区', to: true }]);
    expect(parseCircle({ indicators: [{ id: 'park-coverage', levels: [] }] })).toBeNull();
    expect(parseCircle(null)).toBeNull();
  });
});
