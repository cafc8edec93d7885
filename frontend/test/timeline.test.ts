import { describe, it, expect } from 'vitest';
import { parseSeries, pointYears, decimalYear, layoutChart, type SeriesPoint } from '../src/timeline';

// An answer shaped like GET /api/v1/indicators/park-coverage/series?level=district (docs/editions.md).
const body = {
  indicator: 'park-coverage', city: 'baotou', level: 'district', caliber: 'gbt51346-2019', method: 'buffer',
  points: [
    { edition: '2024 现状', now: false, as_of: '2026-12-07T09:00:07Z', headline: 0.5, values: [{ id: 3, name: '昆都仑区', value: 0.4 }, { id: 4, name: '青山区', value: 0.7 }] },
    { edition: '2025 现状', now: false, as_of: '2026-12-07T09:00:08Z', headline: 0.6, values: [{ id: 3, name: '昆都仑区', value: 0.45 }] },
    { now: true, as_of: '2025-12-31T16:00:00Z', headline: 0.6, values: [{ id: 3, name: '昆都仑区', value: 0.45 }, { id: 4, name: '青山区', value: 0.8 }] },
  ],
  targets: [{ year: 2030, value: 1, source: '行动方案' }],
};

describe('parseSeries', () => {
  it('reads the headline per point, the targets and the units of the first point', () => {
    const s = parseSeries(body);
    expect(s.points.map((p) => [p.edition, p.now, p.value])).toEqual([['2024 现状', false, 0.5], ['2025 现状', false, 0.6], [null, true, 0.6]]);
    expect(s.targets).toEqual([{ year: 2030, value: 1, source: '行动方案' }]);
    expect(s.units).toEqual([{ id: 3, name: '昆都仑区' }, { id: 4, name: '青山区' }]);
    expect([s.caliber, s.method]).toEqual(['gbt51346-2019', 'buffer']);
  });
  it('with a unit, reads that unit and leaves a point without it empty', () => {
    expect(parseSeries(body, 4).points.map((p) => p.value)).toEqual([0.7, null, 0.8]);
  });
  it('a body that is not a series gives an empty one', () => {
    expect(parseSeries('nonsense')).toEqual({ indicator: '', caliber: null, method: null, points: [], targets: [], units: [] });
  });
});

describe('the time axis', () => {
  it('decimal years are Beijing time', () => {
    // 2025-12-31T16:00Z is 2026-01-01 00:00 in Beijing: exactly 2026.
    expect(decimalYear('2025-12-31T16:00:00Z')).toBe(2026);
    // 2025-07-02T12:00Z = 2 July 20:00 Beijing: 181 days (Jan–Jun) + 1 day + 20 h = 182.8333 d of 365.
    expect(decimalYear('2025-07-02T12:00:00Z')).toBeCloseTo(2025 + (182 + 20 / 24) / 365, 9);
    expect(decimalYear('not a date')).toBeNull();
  });
  it('an edition named after its year sits at that year; now at its instant; never left of the one before', () => {
    const pts: SeriesPoint[] = [
      { edition: '2024 现状', now: false, asOf: '2026-12-07T09:00:07Z', value: 0.5 },
      { edition: '2025 现状', now: false, asOf: '2026-12-07T09:00:08Z', value: 0.6 },
      { edition: null, now: true, asOf: '2024-12-31T16:00:00Z', value: 0.6 }, // 2025.0, not after 2025: 2025.5
    ];
    expect(pointYears(pts)).toEqual([2024, 2025, 2025.5]);
    // An edition without a year in its name: its as_of (2025-12-31T16:00Z = 2026.0 Beijing).
    expect(pointYears([{ edition: '现状调查', now: false, asOf: '2025-12-31T16:00:00Z', value: 1 }])).toEqual([2026]);
  });
});

describe('layoutChart', () => {
  // Box 320 × 150, margins left 40, right 12, top 12, bottom 30: plot 268 wide, 108 high.
  it('ratios: x 2024–2030 (the target year), y 0–1', () => {
    const s = parseSeries(body);
    const l = layoutChart(s.points, s.targets, true);
    expect(l.x).toEqual([2024, 2030]);
    expect(l.y).toEqual([0, 1]);
    // x: 40 + (year − 2024) × 268/6 → 2024: 40, 2025: 84.666… → 84.67, 2026: 129.333… → 129.33, 2030: 308.
    // y: 12 + (1 − v) × 108 → 0.5: 66, 0.6: 55.2, 1: 12.
    expect(l.points.map((p) => [p.x, p.y])).toEqual([[40, 66], [84.67, 55.2], [129.33, 55.2]]);
    expect(l.line).toBe('M40 66 L84.67 55.2 L129.33 55.2');
    expect(l.targets.map((t) => [t.x, t.y])).toEqual([[308, 12]]);
    expect(l.targetLine).toBe('M129.33 55.2 L308 12');
    expect(l.xTicks.map((t) => t.year)).toEqual([2024, 2025, 2026, 2027, 2028, 2029, 2030]);
    expect(l.yTicks).toEqual([{ y: 120, value: 0 }, { y: 66, value: 0.5 }, { y: 12, value: 1 }]);
  });
  it('a point without a value is left out of the line', () => {
    const s = parseSeries(body, 4); // 0.7, —, 0.8
    const l = layoutChart(s.points, s.targets, true);
    // 0.7 → 12 + 0.3 × 108 = 44.4; 0.8 → 12 + 0.2 × 108 = 33.6.
    expect(l.points[1].y).toBeNull();
    expect(l.line).toBe('M40 44.4 L129.33 33.6');
  });
  it('counts: y from 0 to the largest value or target rounded up to a multiple of 5', () => {
    const pts: SeriesPoint[] = [
      { edition: '2024 现状', now: false, asOf: '', value: 3 },
      { edition: '2025 现状', now: false, asOf: '', value: 7 },
    ];
    const l = layoutChart(pts, [{ year: 2027, value: 12, source: '' }], false);
    expect(l.y).toEqual([0, 15]);
    // x over 2024–2027: 268/3 per year → 2025: 40 + 89.333… = 129.33, 2027: 308.
    // y: 12 + (1 − v/15) × 108 → 3: 98.4, 7: 69.6, 12: 33.6.
    expect(l.line).toBe('M40 98.4 L129.33 69.6');
    expect(l.targetLine).toBe('M129.33 69.6 L308 33.6');
    // 15 / 2 = 7.5 is no count: gridlines at 0 and 15 only (y 120 and 12).
    expect(l.yTicks).toEqual([{ y: 120, value: 0 }, { y: 12, value: 15 }]);
    // No target and values up to 4: still 0–5.
    expect(layoutChart(pts.map((p) => ({ ...p, value: 4 })), [], false).y).toEqual([0, 5]);
  });
});
