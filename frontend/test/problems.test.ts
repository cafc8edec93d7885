import { describe, it, expect } from 'vitest';
import { parseLedger, keepProblem, problemLayerFilter, countByStatus, statusColorExpression, STATUS_COLORS } from '../src/problems';
import { problemsUrl } from '../src/api';

// A ledger as GET /api/v1/problems?format=geojson answers it for the hand-worked fixture of
// internal/problems (three communities, 2024 → 2025): coverage A fixed, B new, C persisting;
// the living circle A fixed, B and C persisting; a site in B and one in C.
const sq = { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]]] };
const prob = (id: string, indicator: string, status: string, unit: string, value: number) => ({ type: 'Feature', id, geometry: sq,
  properties: { kind: 'problem', id, indicator, status, unit_code: unit, unit_name: `社区${unit.slice(-1)}`, district_code: '150201', district_name: '西区', value, threshold: 0.8, remedy_text: 'r' } });
const body = {
  type: 'FeatureCollection',
  features: [
    prob('P1', 'park-coverage', 'fixed', '150201001001', 0), prob('P2', 'park-coverage', 'new', '150201001002', 0),
    prob('P3', 'park-coverage', 'persisting', '150201001003', 0.5), prob('P4', 'living-circle', 'fixed', '150201001001', 1 / 13),
    prob('P5', 'living-circle', 'persisting', '150201001002', 0), prob('P6', 'living-circle', 'persisting', '150201001003', 0),
    { type: 'Feature', geometry: { type: 'Point', coordinates: [0.5, 0.5] }, properties: { kind: 'site', problem_id: 'P2', indicator: 'park-coverage', status: 'new' } },
    { type: 'Feature', geometry: { type: 'Point', coordinates: [0.6, 0.5] }, properties: { kind: 'site', problem_id: 'P3', indicator: 'park-coverage', status: 'persisting' } },
  ],
  from: { at: '2024-12-31T16:00:00Z', edition: '2024 现状' }, to: { at: '2025-12-31T16:00:00Z', edition: '2025 现状' }, to_now: false,
  rate: { level: 'city', code: 'tj', name: '体检城', earlier: 5, fixed: 2, persisting: 3, new: 1, rate: 0.4 },
  districts: [{ level: 'district', code: '150201', name: '西区', earlier: 5, fixed: 2, persisting: 3, new: 1, rate: 0.4 }],
};

describe('problem ledger', () => {
  it('reads the problems, the sites and the rates', () => {
    const led = parseLedger(body);
    expect(led.from).toBe('2024 现状');
    expect(led.to).toBe('2025 现状');
    expect(led.problems.map((p) => p.status)).toEqual(['fixed', 'new', 'persisting', 'fixed', 'persisting', 'persisting']);
    expect(led.sites).toBe(2);
    expect(led.rate?.rate).toBe(0.4);
    expect(led.districts[0].fixed).toBe(2);
    expect(parseLedger({ ...body, to_now: true, from: null }).to).toBeNull();
    expect(parseLedger({ ...body, from: null }).from).toBeNull();
    expect(parseLedger('nonsense').problems).toEqual([]);
  });

  it('filters and counts by hand', () => {
    const led = parseLedger(body);
    const f = { indicator: 'park-coverage', status: '', district: '' };
    expect(countByStatus(led.problems.filter((p) => keepProblem(p, f)))).toEqual({ new: 1, persisting: 1, fixed: 1, open: 0 });
    expect(countByStatus(led.problems.filter((p) => keepProblem(p, { indicator: '', status: 'persisting', district: '150201' })))).toEqual({ new: 0, persisting: 3, fixed: 0, open: 0 });
    expect(led.problems.filter((p) => keepProblem(p, { indicator: '', status: '', district: '150202' }))).toEqual([]);
  });

  it('builds the map filter and colours', () => {
    expect(problemLayerFilter({ indicator: '', status: '', district: '' }, 'site')).toEqual(['all', ['==', ['get', 'kind'], 'site']]);
    expect(problemLayerFilter({ indicator: 'living-circle', status: 'fixed', district: '150201' }, 'problem')).toEqual(['all',
      ['==', ['get', 'kind'], 'problem'], ['==', ['get', 'indicator'], 'living-circle'], ['==', ['get', 'status'], 'fixed'], ['==', ['get', 'district_code'], '150201']]);
    const e = statusColorExpression();
    expect(e.slice(0, 2)).toEqual(['match', ['get', 'status']]);
    expect(e[e.indexOf('fixed') + 1]).toBe(STATUS_COLORS.fixed);
  });

  it('asks the service with the pair of editions', () => {
    expect(problemsUrl({ from: '2024 现状', to: null, format: 'geojson', lang: 'zh' }))
      .toBe('/api/v1/problems?city=baotou&from=2024+%E7%8E%B0%E7%8A%B6&format=geojson&lang=zh');
  });
});
