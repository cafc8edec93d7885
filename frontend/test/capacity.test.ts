import { describe, it, expect } from 'vitest';
import { capacityUrl, capacityMapUrl, coverageUrl, livingCircleUrl, ageBandsUrl } from '../src/api';
import { parseCapacity, parseAgeBands, capacityClass, capacityFillExpression, CAPACITY_CLASSES } from '../src/model';
import { formatSupply, formatNorm, formatAttainment } from '../src/ui/capacity';
import { scenarioMoved } from '../src/ctx';

describe('band and profile on the requests', () => {
  it('puts band= and profile= where the APIs take them', () => {
    const u = (s: string) => new URL(s, 'http://x').searchParams;
    expect(u(coverageUrl({ band: '60-80,80-' })).get('band')).toBe('60-80,80-');
    expect(u(coverageUrl({})).has('band')).toBe(false);
    const lc = u(livingCircleUrl({ level: 'city', band: '6-12', profile: 'elderly' }));
    expect([lc.get('band'), lc.get('profile'), lc.get('level')]).toEqual(['6-12', 'elderly', 'city']);
    expect(u(livingCircleUrl({ profile: null })).has('profile')).toBe(false);
    expect(capacityUrl({ category: 'primary_school', band: '6-12', profile: 'slow', level: 'city' }))
      .toBe('/api/v1/indicators/capacity?city=baotou&category=primary_school&band=6-12&profile=slow&level=city');
    expect(capacityMapUrl({ category: 'park_square', level: 'parcel' })).toBe('/api/v1/indicators/capacity/map.geojson?city=baotou&category=park_square&level=parcel');
    expect(ageBandsUrl()).toBe('/api/v1/age-bands');
  });
});

describe('capacity on a scenario', () => {
  it('asks the figures and the layer with scenario= when a scenario is open, and without it otherwise', () => {
    expect(capacityMapUrl({ category: 'kindergarten', level: 'parcel', scenario: 12 }))
      .toBe('/api/v1/indicators/capacity/map.geojson?city=baotou&category=kindergarten&level=parcel&scenario=12');
    expect(capacityUrl({ category: 'kindergarten', band: '3-6', profile: 'elderly', level: 'city', scenario: 7 }))
      .toBe('/api/v1/indicators/capacity?city=baotou&category=kindergarten&band=3-6&profile=elderly&level=city&scenario=7');
    for (const none of [null, undefined]) {
      expect(new URL(capacityMapUrl({ category: 'park_square', level: 'community', scenario: none }), 'http://x').searchParams.has('scenario')).toBe(false);
      expect(new URL(capacityUrl({ category: 'park_square', scenario: none }), 'http://x').searchParams.has('scenario')).toBe(false);
    }
  });
  it('reloads when the open scenario moves: another one, none, or a change added or undone', () => {
    expect(scenarioMoved(null, null)).toBe(false);
    expect(scenarioMoved(null, { id: 3, changes: 0 })).toBe(true);
    expect(scenarioMoved({ id: 3, changes: 0 }, { id: 3, changes: 0 })).toBe(false);
    expect(scenarioMoved({ id: 3, changes: 0 }, { id: 3, changes: 1 })).toBe(true);
    expect(scenarioMoved({ id: 3, changes: 1 }, { id: 3, changes: 0 })).toBe(true);
    expect(scenarioMoved({ id: 3, changes: 1 }, { id: 4, changes: 1 })).toBe(true);
    expect(scenarioMoved({ id: 3, changes: 1 }, null)).toBe(true);
  });
});

describe('capacity answers', () => {
  // The shape of internal/capacity.Report's JSON (its struct tags), written out by hand.
  const report = {
    city: { id: 1, slug: 'baotou' },
    category: { code: 'park_square', name_zh: '公园绿地、广场', name_en: 'Parks and squares', reach_m: 300, demand_bands: null, unit_zh: '平方米', unit_en: 'm²' },
    bands: ['60-80'], d0_m: 270, decay: 'none', profile: 'elderly', norm: { per_1000: 8000, basis: 'bands', source: 'GB 55014-2021' }, norm_per_resident: 8,
    level: 'city', method: '2sfca-network',
    totals: { demand: 1500, served: 8000, ratio: 8000 / 1500, need: 12000, attainment: 2 / 3, gap: 4000, shortfall: 4800, parcels: 3 },
    capacity: 8000, idle_capacity: 0, facilities: [], areas: [],
  };

  it('reads the report and the map layer\'s capacity member alike', () => {
    const c = parseCapacity(report);
    expect(c).toEqual({ category: 'park_square', unitZh: '平方米', unitEn: 'm²', bands: ['60-80'], profile: 'elderly', d0: 270,
      norm: { perThousand: 8000, basis: 'bands', source: 'GB 55014-2021' }, capacity: 8000,
      totals: { demand: 1500, served: 8000, ratio: 8000 / 1500, need: 12000, attainment: 2 / 3, gap: 4000, shortfall: 4800 } });
    const layer = { type: 'FeatureCollection', features: [], capacity: { category: report.category, bands: [], d0_m: 300, decay: 'none', level: 'parcel',
      norm: { per_1000: 4.5, basis: 'residents', source: '十四五' }, norm_per_resident: 0.0045, totals: report.totals } };
    expect(parseCapacity(layer).norm).toEqual({ perThousand: 4.5, basis: 'residents', source: '十四五' });
    expect(parseCapacity(layer).totals.gap).toBe(4000);
    expect(parseCapacity({}).norm).toEqual({ perThousand: 1000, basis: 'bands', source: '' }); // a seat per resident of the bands unless told
  });

  it('reads the age bands', () => {
    expect(parseAgeBands({ bands: [{ code: '0-3', name_zh: '0–3岁 (托育)', name_en: 'Ages 0–3 (nursery)' }, { code: '80-', name_zh: '80岁及以上', name_en: 'Ages 80 and over' }, { name_zh: 'no code' }] }))
      .toEqual([{ code: '0-3', nameZh: '0–3岁 (托育)', nameEn: 'Ages 0–3 (nursery)' }, { code: '80-', nameZh: '80岁及以上', nameEn: 'Ages 80 and over' }]);
  });

  it('formats a supply ratio with its unit', () => {
    expect(formatSupply(55 / 52, '学位', 'zh')).toBe('1.06 学位/人');
    expect(formatSupply(8000 / 1500, 'm²', 'en')).toBe('5.33 m² per resident');
    expect(formatSupply(null, '学位', 'zh')).toBe('—');
  });

  it('formats a norm per 1,000 and the share of it met', () => {
    expect(formatNorm(4.5, 'zh')).toBe('4.5');
    expect(formatNorm(8000, 'en')).toBe('8,000');
    expect(formatAttainment(540 / 590.25, 'en')).toBe('91.5 %');
    expect(formatAttainment(null, 'zh')).toBe('—');
  });
});

// A small evaluator of the expression operators capacityFillExpression uses, after the
// MapLibre style specification's definitions of case, step, get, to-number, / and <=.
function evaluate(e: unknown, props: Record<string, unknown>): unknown {
  if (!Array.isArray(e)) return e;
  const [op, ...a] = e as [string, ...unknown[]];
  const ev = (x: unknown) => evaluate(x, props);
  switch (op) {
    case 'get': return props[a[0] as string] ?? null;
    case 'to-number': { for (const x of a) { const v = ev(x); if (v !== null && Number.isFinite(Number(v))) return Number(v); } throw new Error('to-number'); }
    case '/': return (ev(a[0]) as number) / (ev(a[1]) as number);
    case '<=': return (ev(a[0]) as number) <= (ev(a[1]) as number);
    case 'case': { for (let i = 0; i + 1 < a.length; i += 2) if (ev(a[i])) return ev(a[i + 1]); return ev(a[a.length - 1]); }
    case 'step': {
      const x = ev(a[0]) as number;
      let out = ev(a[1]);
      for (let i = 2; i + 1 < a.length; i += 2) if (x >= (a[i] as number)) out = ev(a[i + 1]);
      return out;
    }
  }
  throw new Error(`operator ${op}`);
}

describe('the capacity layer classes', () => {
  it('class the share of the norm met: below half, below 80 %, below the norm, at or above it', () => {
    expect(capacityClass(0.49, 10)).toBe(0);
    expect(capacityClass(0.5, 10)).toBe(1);
    expect(capacityClass(0.79, 10)).toBe(1);
    expect(capacityClass(0.8, 10)).toBe(2);
    expect(capacityClass(0.99, 10)).toBe(2);
    expect(capacityClass(1, 10)).toBe(3);
    expect(capacityClass(3, 0.5)).toBe(3);
    expect(capacityClass(0, 0)).toBe(-1); // nothing needed: no known demand
  });

  it('paints every parcel with the colour of its class', () => {
    const expr = capacityFillExpression();
    // Elderly care at 30 beds per 1,000 older residents: a parcel of 200 of them needs 6 beds.
    for (const served of [0, 1, 2.9, 3, 4.7, 4.8, 5.99, 6, 18]) {
      const attainment = served / 6;
      expect(evaluate(expr, { attainment, need: 6, ratio: served / 200, demand: 200 }), `${served} of 6`).toBe(CAPACITY_CLASSES[capacityClass(attainment, 6)].color);
    }
    expect(evaluate(expr, { attainment: 0, need: 0, demand: 0 })).toBe('rgba(0,0,0,0)');
  });
});
