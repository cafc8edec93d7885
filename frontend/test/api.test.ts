import { describe, it, expect, afterAll } from 'vitest';
import {
  tileUrl, tileJsonUrl, featuresUrl, nameLikeFilter, coverageUrl, coverageGapsUrl, coverageSitesUrl, coverageSitingUrl,
  isochroneUrl, livingCircleUrl, checkUrl, seriesUrl, gapTileUrl, glyphsUrl, getJSON, isMissingStatus,
} from '../src/api';
import { startMock, type Mock } from './mockServer';

describe('URL builders', () => {
  it('builds tile templates, single and composite, on the page origin', () => {
    expect(tileUrl('http://127.0.0.1:8080', ['parks'])).toBe('http://127.0.0.1:8080/tiles/parks/{z}/{x}/{y}.mvt');
    expect(tileUrl('http://h', ['districts', 'parks'])).toBe('http://h/tiles/districts,parks/{z}/{x}/{y}.mvt');
    expect(tileUrl('http://h', ['parks'], '2024 现状')).toBe('http://h/tiles/parks/{z}/{x}/{y}.mvt?city=baotou&as_of=2024+%E7%8E%B0%E7%8A%B6');
    expect(tileUrl('http://h', ['parks'], '2025-01-01', 'hohhot')).toBe('http://h/tiles/parks/{z}/{x}/{y}.mvt?city=hohhot&as_of=2025-01-01');
    expect(tileUrl('http://h', ['parks'], null)).toBe('http://h/tiles/parks/{z}/{x}/{y}.mvt');
    expect(tileJsonUrl('parks')).toBe('/tiles/parks.json');
    expect(glyphsUrl('http://h')).toBe('http://h/glyphs/{fontstack}/{range}.pbf');
  });

  it('refuses layer names that are not identifiers', () => {
    for (const bad of ['../etc', 'parks/1', 'Parks', '', 'a b', "x';--", 'a'.repeat(64)]) {
      expect(() => tileUrl('http://h', [bad]), bad).toThrow();
      expect(() => featuresUrl(bad), bad).toThrow();
    }
    expect(() => tileUrl('http://h', [])).toThrow();
  });

  it('encodes feature queries', () => {
    expect(featuresUrl('parks')).toBe('/api/v1/layers/parks/features');
    expect(featuresUrl('parks', { bbox: [109.8, 40.6, 109.9, 40.7], limit: 5 })).toBe('/api/v1/layers/parks/features?bbox=109.8%2C40.6%2C109.9%2C40.7&limit=5');
    const u = new URL(featuresUrl('communities', { filter: nameLikeFilter('阿尔丁'), limit: 8 }), 'http://x');
    expect(u.searchParams.get('filter')).toBe("name LIKE '%阿尔丁%'");
    expect(u.searchParams.get('filter-lang')).toBe('cql2-text');
    expect(new URL(featuresUrl('parks', { properties: { name: 'a&b=c' } }), 'http://x').searchParams.get('name')).toBe('a&b=c');
  });

  it('escapes quotes and wildcards in the name filter', () => {
    expect(nameLikeFilter("O'Hare")).toBe("name LIKE '%O''Hare%'");
    expect(nameLikeFilter('50%_off')).toBe("name LIKE '%50\\%\\_off%'");
    expect(nameLikeFilter("  x' OR 1=1 --  ")).toBe("name LIKE '%x'' OR 1=1 --%'");
  });

  it('builds indicator URLs with the default city', () => {
    expect(coverageUrl({ caliber: 'gb55014-2021', method: 'network', level: 'district' }))
      .toBe('/api/v1/indicators/park-coverage?city=baotou&caliber=gb55014-2021&method=network&level=district');
    expect(coverageUrl({})).toBe('/api/v1/indicators/park-coverage?city=baotou');
    expect(coverageGapsUrl({ city: 'helsinki', method: 'buffer' })).toBe('/api/v1/indicators/park-coverage/gaps?city=helsinki&method=buffer');
    expect(coverageSitesUrl({ n: 10, caliber: 'who-300m' })).toBe('/api/v1/indicators/park-coverage/sites?city=baotou&caliber=who-300m&n=10');
    expect(coverageSitingUrl({ k: 5, caliber: 'gbt51346-2019', method: 'network', weight: 'population' })).toBe('/api/v1/indicators/park-coverage/siting?city=baotou&caliber=gbt51346-2019&method=network&k=5&weight=population');
    expect(livingCircleUrl({ level: 'community' })).toBe('/api/v1/indicators/living-circle?city=baotou&level=community');
    expect(checkUrl('complete-communities')).toBe('/api/v1/checks/complete-communities?city=baotou');
    expect(() => checkUrl('../x')).toThrow();
  });

  it('builds isochrone URLs and refuses positions that are not WGS84', () => {
    expect(isochroneUrl(109.8512345678, 40.63)).toBe('/api/v1/isochrones?lon=109.851235&lat=40.63&minutes=5%2C10%2C15');
    expect(isochroneUrl(1, 2, [15])).toBe('/api/v1/isochrones?lon=1&lat=2&minutes=15');
    for (const [x, y] of [[NaN, 1], [181, 0], [0, 91], [Infinity, 0]]) expect(() => isochroneUrl(x, y)).toThrow();
  });
});

describe('getJSON against the fixture server', () => {
  let mock: Mock;
  afterAll(() => mock?.close());

  it('tells a missing endpoint from a failure', async () => {
    mock = await startMock({
      '/api/v1/calibers': 'calibers.json',
      '/api/v1/broken': { status: 500, body: { title: 'Internal Server Error', detail: 'internal error; see the log' } },
      '/api/v1/bad': { status: 400, body: { title: 'Bad Request', detail: 'unknown parameter "filter"' } },
    });
    const ok = await getJSON<{ calibers: unknown[] }>(`${mock.origin}/api/v1/calibers`);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.data.calibers.length).toBe(3);
    const missing = await getJSON(`${mock.origin}/api/v1/indicators/park-coverage`);
    expect(missing).toMatchObject({ ok: false, missing: true, status: 404 });
    const broken = await getJSON(`${mock.origin}/api/v1/broken`);
    expect(broken).toMatchObject({ ok: false, missing: false, status: 500, message: 'internal error; see the log' });
    const bad = await getJSON(`${mock.origin}/api/v1/bad`);
    expect(bad).toMatchObject({ ok: false, missing: false, status: 400 });
    const down = await getJSON('http://127.0.0.1:1/nothing');
    expect(down).toMatchObject({ ok: false, missing: false, status: 0 });
  });

  it('counts 404, 405 and 501 as not built yet', () => {
    expect([404, 405, 501].every(isMissingStatus)).toBe(true);
    expect([400, 401, 403, 500, 503].some(isMissingStatus)).toBe(false);
  });
  it('as_of goes on the indicators, the gap tiles and the sites; the series carry caliber and method for coverage only', () => {
    expect(coverageUrl({ level: 'city', asOf: '2024 现状' })).toBe('/api/v1/indicators/park-coverage?city=baotou&level=city&as_of=2024+%E7%8E%B0%E7%8A%B6');
    expect(coverageUrl({ asOf: null })).toBe('/api/v1/indicators/park-coverage?city=baotou');
    expect(gapTileUrl('http://h', { caliber: 'c', method: 'buffer', asOf: '2024 现状' })).toBe('http://h/tiles/park_coverage_gaps/{z}/{x}/{y}.mvt?city=baotou&caliber=c&method=buffer&as_of=2024+%E7%8E%B0%E7%8A%B6');
    expect(gapTileUrl('http://h', { caliber: 'c', method: 'buffer', asOf: null })).toBe('http://h/tiles/park_coverage_gaps/{z}/{x}/{y}.mvt?city=baotou&caliber=c&method=buffer');
    expect(livingCircleUrl({ level: 'city', asOf: '2025-01-01' })).toBe('/api/v1/indicators/living-circle?city=baotou&level=city&as_of=2025-01-01');
    expect(seriesUrl('park-coverage', { level: 'district', unit: 3, caliber: 'c', method: 'buffer' })).toBe('/api/v1/indicators/park-coverage/series?city=baotou&level=district&unit=3&caliber=c&method=buffer');
    expect(seriesUrl('living-circle', { level: 'city', caliber: 'c', method: 'buffer' })).toBe('/api/v1/indicators/living-circle/series?city=baotou&level=city');
  });
});
