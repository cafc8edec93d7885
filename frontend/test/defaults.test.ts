import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCalibers, parseCityDefault, methodFor, initialSelection, whyNotCounted, parseSitePlan, parseSites, type Caliber } from '../src/model';
import { calibersUrl, coverageSitesUrl } from '../src/api';

// The six built-in calibers as GET /api/v1/calibers?city=baotou lists them: the definitions of
// internal/caliber/builtin.json with default_method, and Baotou's default (migration 0013).
const builtin = JSON.parse(readFileSync(new URL('../../internal/caliber/builtin.json', import.meta.url), 'utf8')) as Record<string, unknown>[];
const answer = {
  calibers: builtin.map((c) => ({ ...c, default_method: c.method })),
  city: { city: 'baotou', default_caliber: 'gbt51346-2019', default_method: 'buffer' },
};
const list: Caliber[] = parseCalibers(answer);
const rule = (id: string) => list.find((c) => c.id === id)!.rule!;

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
  const park = (parkClass: string, pocket: boolean, areaM2: number, openStatus = 'open') => ({ parkClass, pocket, openStatus, areaM2 });

  it('follows the caliber rules of builtin.json', () => {
    // GB/T 51346 counts no 游园: a garden, pocket or not, adds nothing; a community park counts.
    expect(whyNotCounted(rule('gbt51346-2019'), park('garden', false, 400))?.key).toBe('why.class');
    expect(whyNotCounted(rule('gbt51346-2019'), park('garden', true, 400))?.key).toBe('why.class');
    expect(whyNotCounted(rule('gbt51346-2019'), park('community', false, 400))).toBeNull();
    // GB/T 50563 counts parks of 2000 m² and up (1000 m² only in a historic district).
    expect(whyNotCounted(rule('gbt50563-2010'), park('garden', true, 400))).toEqual({ key: 'why.small', params: { area: 400, min: 2000 } });
    expect(whyNotCounted(rule('gbt50563-2010'), { ...park('garden', true, 1500), historic: true })).toBeNull();
    expect(whyNotCounted(rule('gbt50563-2010'), park('garden', true, 1500))).toEqual({ key: 'why.small', params: { area: 1500, min: 2000 } });
    expect(whyNotCounted(rule('gbt50563-2010'), park('garden', true, 2000))).toBeNull();
    // TD/T 1063 counts every park, pocket ones and squares, of any size; never a closed one.
    expect(whyNotCounted(rule('tdt1063-walk5'), park('square', false, 50))).toBeNull();
    expect(whyNotCounted(rule('tdt1063-walk5'), park('garden', true, 400, 'closed'))?.key).toBe('why.status');
    // WHO counts 0.5 ha and up.
    expect(whyNotCounted(rule('who-300m'), park('comprehensive', false, 4999))?.params).toEqual({ area: 4999, min: 5000 });
  });

  it('names the pocket flag when only it is at fault', () => {
    const r = { ...rule('tdt1063-walk5'), pocketParks: false };
    expect(whyNotCounted(r, park('garden', true, 400))?.key).toBe('why.pocket');
    expect(whyNotCounted(r, park('garden', false, 400))).toBeNull();
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

  it('reads the park every site stands for and its square', () => {
    expect(parseSitePlan(body)).toEqual({ caliber: 'gbt51346-2019', method: 'network', parkClass: 'community', pocket: false, areaM2: 400.04, radiusM: 500, note: 'gbt51346-2019 does not count 游园' });
    const [s] = parseSites(body);
    expect(s.polygon?.type).toBe('Polygon');
    expect(s.feature.geometry).toEqual({ type: 'Point', coordinates: [109.9, 40.6] });
    expect(s.reach).toBe(0.75);
  });
});
