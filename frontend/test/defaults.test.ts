import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCalibers, parseCityDefault, methodFor, initialSelection, whyNotCounted, parseVerdicts, parseSitePlan, parseSites, sitePlanNotes, type Caliber } from '../src/model';
import { calibersUrl, coverageSitesUrl } from '../src/api';

// The six built-in calibers as GET /api/v1/calibers?city=baotou lists them: the definitions of
// internal/caliber/builtin.json with default_method, and Baotou's default (migration 0013).
const builtin = JSON.parse(readFileSync(new URL('../../internal/caliber/builtin.json', import.meta.url), 'utf8')) as Record<string, unknown>[];
const answer = {
  calibers: builtin.map((c) => ({ ...c, default_method: c.method })),
  city: { city: 'baotou', default_caliber: 'gbt51346-2019', default_method: 'buffer' },
};
const list: Caliber[] = parseCalibers(answer);

describe('one default per city, one method per caliber', () => {
  it('asks for the city with the calibers', () => {
    expect(calibersUrl('baotou')).toBe('/api/v1/calibers?city=baotou');
    expect(calibersUrl()).toBe('/api/v1/calibers');
  });

  it('starts on the city default caliber with its method', () => {
    expect(parseCityDefault(answer)).toEqual({ caliber: 'gbt51346-2019', method: 'buffer' });
    expect(initialSelection(list, parseCityDefault(answer))).toEqual({ caliber: 'gbt51346-2019', method: 'buffer' });
    // A city default the list does not know: the first caliber, with its method.
    expect(initialSelection(list, { caliber: 'nowhere' })).toEqual({ caliber: 'gbt50563-2010', method: 'buffer' });
  });

  it('switching caliber resets the method to the caliber default', () => {
    // Network chosen by hand under GB/T 51346, then TD/T 1063 (walking-time caliber): network.
    expect(methodFor(list, 'tdt1063-walk5', 'buffer')).toBe('network');
    // Back from TD/T 1063 (network) to GB/T 50563: buffer, not the network left over.
    expect(methodFor(list, 'gbt50563-2010', 'network')).toBe('buffer');
    expect(methodFor(list, 'tpl-10min', 'buffer')).toBe('network');
    expect(methodFor(list, 'who-300m', 'network')).toBe('buffer');
    // A caliber the list does not know keeps the method chosen.
    expect(methodFor(list, 'user-caliber', 'network')).toBe('network');
  });
});

describe('why a drawn park adds nothing', () => {
  // A compare answer's changes[] as internal/scenario/verdict.go writes them.
  const body = { changes: [
    { n: 1, layer: 'parks', op: 'add', id: -1, counted: true, radius_m: 300, park_class: 'garden', open_status: 'open', pocket: true, area_m2: 2400 },
    { n: 2, layer: 'parks', op: 'add', id: -2, counted: false, reason: 'class', park_class: 'garden', open_status: 'open', pocket: false, area_m2: 400 },
    { n: 3, layer: 'parks', op: 'add', id: -3, counted: false, reason: 'too_small', min_area_m2: 2000, park_class: 'garden', open_status: 'open', pocket: true, area_m2: 1499.6 },
    { n: 4, layer: 'parks', op: 'add', id: -4, counted: true, radius_m: 300, reason: 'out_of_reach', park_class: 'garden', open_status: 'open', pocket: false, area_m2: 2000 },
    { n: 5, layer: 'parks', op: 'modify', id: 7, counted: false, reason: 'flooded', park_class: 'garden', open_status: 'open', pocket: false, area_m2: 2000 },
  ] };

  it('words the server\'s reason code, never a rule of its own', () => {
    const v = parseVerdicts(body);
    expect(v.map((x) => x.n)).toEqual([1, 2, 3, 4, 5]);
    expect(whyNotCounted(v[0])).toBeNull();
    expect(whyNotCounted(v[1])).toEqual({ key: 'why.class', params: { cls: 'garden', status: 'open', area: 400, min: 0 } });
    expect(whyNotCounted(v[2])).toEqual({ key: 'why.small', params: { cls: 'garden', status: 'open', area: 1500, min: 2000 } });
    expect(whyNotCounted(v[3])?.key).toBe('why.outOfReach');
    // A code the page does not know is shown as it is.
    expect(whyNotCounted(v[4])).toEqual({ key: 'why.unknown', params: { code: 'flooded' } });
    expect(parseVerdicts({})).toEqual([]);
  });
});

describe('sites', () => {
  const body = {
    city: 'baotou', caliber: 'gbt51346-2019', method: 'network', caliber_from: 'city default', method_from: 'request',
    park: { park_class: 'community', pocket: false, open_status: 'open', area_m2: 400.04, side_m: 20.001, radius_m: 500 },
    note: 'gbt51346-2019 does not count 游园', candidates: 12,
    sites: [{ rank: 1, gain_m2: 1200, coverage_after: 0.75, lon: 109.9, lat: 40.6,
      geometry: { type: 'Polygon', coordinates: [[[109.9, 40.6], [109.9001, 40.6], [109.9001, 40.6001], [109.9, 40.6001], [109.9, 40.6]]] } }],
  };

  it('asks with the method', () => {
    expect(coverageSitesUrl({ caliber: 'tdt1063-walk5', method: 'network', n: 5 })).toBe('/api/v1/indicators/park-coverage/sites?city=baotou&caliber=tdt1063-walk5&method=network&n=5');
  });

  it('says why the sites are not pocket parks in the page\'s language, as the API\'s English note does', () => {
    // The API's notes (coverage.SiteModel), one per case, and the plan they come with.
    const cases = [
      { park: { park_class: 'community', pocket: false, area_m2: 400.04, radius_m: 500 }, caliber: 'gbt51346-2019',
        note: 'gbt51346-2019 does not count 游园 (pocket parks are 游园) of this size; each site is a community park of 400 m², which it counts at 500 m' },
      { park: { park_class: 'garden', pocket: false, area_m2: 400.04, radius_m: 300 }, caliber: 'x',
        note: 'x does not count pocket parks; each site is a 游园 (garden, not pocket) of 400 m²' },
      { park: { park_class: 'garden', pocket: true, area_m2: 1000.06, radius_m: 300 }, caliber: 'y',
        note: 'y counts no park of 400 m²; sites are sized 1000 m², the smallest it counts' },
      { park: { park_class: 'garden', pocket: true, area_m2: 400.04, radius_m: 300 }, caliber: 'z', note: undefined },
    ];
    const en: Record<string, string> = {
      'sites.noteClass': '{caliber} does not count 游园 (pocket parks are 游园) of this size; each site is a {park} of {area} m², which it counts at {r} m',
      'sites.noteNotPocket': '{caliber} does not count pocket parks; each site is a 游园 (garden, not pocket) of {area} m²',
      'sites.noteRaised': '{caliber} counts no park of {asked} m²; sites are sized {area} m², the smallest it counts',
    };
    const fill = (k: string, p: Record<string, string | number>) => en[k].replace(/\{(\w+)\}/g, (_, n) => String(n === 'park' ? `${p.cls} park` : p[n]));
    for (const c of cases) {
      const notes = sitePlanNotes(parseSitePlan({ caliber: c.caliber, park: c.park, note: c.note }));
      expect(notes.map((n) => fill(n.key, n.params)).join('; ') || undefined).toBe(c.note);
    }
  });

  it('reads the park every site stands for and its square', () => {
    expect(parseSitePlan(body)).toEqual({ caliber: 'gbt51346-2019', method: 'network', parkClass: 'community', pocket: false, areaM2: 400.04, radiusM: 500, note: 'gbt51346-2019 does not count 游园' });
    const [s] = parseSites(body);
    expect(s.polygon?.type).toBe('Polygon');
    expect(s.feature.geometry).toEqual({ type: 'Point', coordinates: [109.9, 40.6] });
    expect(s.reach).toBe(0.75);
  });
});
