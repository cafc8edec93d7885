import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { parseCoverage, parseCalibers, parseLivingCircle, parseIsochrone, parseSites, parseCountCheck, asRatio, matchByName, polygonMinutes, parseSiting } from '../src/model';
import { getJSON, coverageUrl, livingCircleUrl, isochroneUrl, coverageSitesUrl, calibersUrl } from '../src/api';
import { startMock, type Mock } from './mockServer';

let mock: Mock;
beforeAll(async () => {
  mock = await startMock({
    '/api/v1/indicators/park-coverage': 'coverage-district.json',
    '/api/v1/indicators/living-circle': 'living-circle-city.json',
    '/api/v1/isochrones': 'isochrone.json',
    '/api/v1/indicators/park-coverage/sites': 'sites.json',
    '/api/v1/calibers': 'calibers.json',
  });
});
afterAll(() => mock.close());

async function get(url: string): Promise<unknown> {
  const r = await getJSON<unknown>(mock.origin + url);
  if (!r.ok) throw new Error(r.message);
  return r.data;
}

describe('answers of the indicator endpoints', () => {
  it('reads park coverage: the city figure and one row per district', async () => {
    const c = parseCoverage(await get(coverageUrl({ level: 'district' })));
    expect(c.caliber).toBe('gb55014-2021');
    expect(c.method).toBe('buffer');
    expect(c.target).toBe(1);
    expect(c.city).toMatchObject({ name: '包头市', areaRatio: 0.8234, popShare: 0.86092715 });
    expect(c.units.map((u) => [u.id, u.name, u.areaRatio])).toEqual([['3', '昆都仑区', 0.975], ['4', '青山区', 0.8], ['5', '九原区', 0.64466683]]);
  });

  it('reads calibers with both languages', async () => {
    const list = parseCalibers(await get(calibersUrl()));
    expect(list[0].id).toBe('gb55014-2021');
    expect(list[0].name).toMatch(/GB 55014/);
    expect(list[0].nameEn).toMatch(/Landscaping/);
  });

  it('reads the living circle: categories from the city area, complete circles against 30', async () => {
    const lc = parseLivingCircle(await get(livingCircleUrl({ level: 'city' })));
    expect(lc.completeCircles).toBe(17);
    expect(lc.target).toBe(30);
    expect(lc.categories).toEqual([
      { category: 'clinic', areaRatio: 0.9, popShare: 0.92715 },
      { category: 'kindergarten', areaRatio: 0.55, popShare: 0.5298 },
    ]);
  });

  it('reads an isochrone: polygons by minutes and facilities by category, not counted twice', async () => {
    const iso = parseIsochrone(await get(isochroneUrl(109.85, 40.63)));
    expect(iso.polygons.map(polygonMinutes)).toEqual([15, 10]);
    expect(iso.reached.map((r) => [r.category, r.items.length])).toEqual([['clinic', 1], ['kindergarten', 2]]);
    expect(iso.reached[0].items[0]).toEqual({ name: '友谊社区卫生服务站', minutes: null, distance: 240.5 });
    expect(iso.points).toHaveLength(1);
  });

  it('reads candidate sites as ranked points', async () => {
    const s = parseSites(await get(coverageSitesUrl({ n: 2 })));
    expect(s.map((x) => [x.rank, x.gain, x.reach])).toEqual([[1, 52000.5, 0.8286], [2, 41000, 0.8327]]);
    expect(s[0].feature.geometry).toEqual({ type: 'Point', coordinates: [109.851, 40.632] });
  });

  it('falls back to facility points when the answer has no facilities member', () => {
    const iso = parseIsochrone({ type: 'FeatureCollection', features: [
      { type: 'Feature', geometry: { type: 'Point', coordinates: [0, 0] }, properties: { category: 'pharmacy', name: 'A', minutes: 3 } }] });
    expect(iso.reached).toEqual([{ category: 'pharmacy', items: [{ name: 'A', minutes: 3, distance: null }] }]);
  });

  it('survives empty and odd answers', () => {
    expect(parseCoverage(null).units).toEqual([]);
    expect(parseCoverage({ coverage: 87.5 }).city.areaRatio).toBe(0.875); // percentages read as such
    expect(parseLivingCircle('x').completeCircles).toBeNull();
    expect(parseCountCheck({ summary: { complete_communities: 12 } }, 40)).toEqual({ count: 12, target: 40 });
    expect(asRatio(null)).toBeNull();
    expect(asRatio(1)).toBe(1);
  });
});

describe('name search', () => {
  const f = (name: string) => ({ type: 'Feature', geometry: null, properties: { name } }) as unknown as GeoJSON.Feature;
  it('ranks exact, then prefix, then substring matches', () => {
    const all = ['八一公园', '公园南社区', '阿尔丁植物园', '劳动公园', '公园'].map(f);
    expect(matchByName(all, '公园').map((x) => x.properties!.name)).toEqual(['公园', '公园南社区', '八一公园', '劳动公园']);
    expect(matchByName(all, '  ')).toEqual([]);
    expect(matchByName(all, '公园', 2)).toHaveLength(2);
  });
});

describe('parseSiting', () => {
  it('reads the best k, its bound and the cost–coverage curve, and marks each site at its square’s centre', () => {
    const body = {
      city: 'baotou', weight: 'area', now: 0.5, reachable: 0.97, candidates: 12,
      best: { k: 2, predicted: 0.62, greedy: 0.6, bound: 0.625, gap: 0.04, optimal: false, sites: [
        { rank: 1, name: 'Pocket park site 1', coverage_after: 0.58, geometry: { type: 'Polygon', coordinates: [[[110, 40], [110.002, 40], [110.002, 40.002], [110, 40.002], [110, 40]]] } },
        { rank: 2, name: 'no geometry' },
      ] },
      curve: [{ target: 0.9, share: 0.9, capped: false, parks_low: 5, parks_high: 6, optimal: false, greedy: 7 },
        { target: 1, share: 0.97, capped: true, parks_low: 9, parks_high: 9, optimal: true, greedy: 11 }],
    };
    const s = parseSiting(body);
    expect([s.k, s.predicted, s.greedy, s.bound, s.gap, s.optimal, s.now]).toEqual([2, 0.62, 0.6, 0.625, 0.04, false, 0.5]);
    expect(s.curve).toEqual([
      { target: 0.9, share: 0.9, capped: false, low: 5, high: 6, optimal: false, greedy: 7 },
      { target: 1, share: 0.97, capped: true, low: 9, high: 9, optimal: true, greedy: 11 },
    ]);
    expect(s.sites).toHaveLength(1);
    const c = (s.sites[0].geometry as GeoJSON.Point).coordinates;
    expect(c[0]).toBeCloseTo(110.001, 9);
    expect(c[1]).toBeCloseTo(40.001, 9);
    expect(s.sites[0].properties?.rank).toBe(1);
  });
  it('survives an empty or hostile body', () => {
    for (const b of [null, 42, 'x', { best: 'no', curve: [null, { target: 'x' }] }]) {
      const s = parseSiting(b);
      expect(s.curve).toEqual([]);
      expect(s.sites).toEqual([]);
      expect(s.optimal).toBe(false);
    }
  });
});
