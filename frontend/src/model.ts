// Reads the indicator endpoints' answers into the shapes the dashboard draws. The parsers
// accept the field names the indicator issues use and a few synonyms, so a renamed field
// shows up as "—" rather than an exception; docs/frontend.md lists the contract.

export type Json = Record<string, unknown>;

const RATIO_KEYS = ['area_ratio', 'coverage', 'coverage_ratio', 'area_coverage', 'ratio', 'value'];
const POP_KEYS = ['population_share', 'population_ratio', 'pop_share', 'population_coverage'];

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first finite number among obj's keys, or null. */
export function pickNumber(obj: unknown, keys: string[]): number | null {
  if (!isObj(obj)) return null;
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(+v)) return +v;
    if (isObj(v)) { // {"area_ratio": {"value": 0.8}}
      const inner = pickNumber(v, ['value', 'ratio']);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/** A ratio as a fraction: values above 1 are read as percentages (87.3 → 0.873). */
export function asRatio(v: number | null): number | null {
  if (v === null) return null;
  return v > 1.0000001 ? v / 100 : v;
}

function pickString(obj: unknown, keys: string[]): string | null {
  if (!isObj(obj)) return null;
  for (const k of keys) if (typeof obj[k] === 'string' || typeof obj[k] === 'number') return String(obj[k]);
  return null;
}

function pickArray(obj: unknown, keys: string[]): unknown[] {
  if (Array.isArray(obj)) return obj;
  if (!isObj(obj)) return [];
  for (const k of keys) if (Array.isArray(obj[k])) return obj[k] as unknown[];
  return [];
}

/** GeoJSON features' properties, or the objects themselves. */
function rows(arr: unknown[]): Json[] {
  return arr.filter(isObj).map((r) => (r.type === 'Feature' && isObj(r.properties) ? { id: r.id, ...r.properties } : r));
}

export interface CoverageUnit {
  id: string | null;
  name: string;
  areaRatio: number | null;
  popShare: number | null;
  totalM2?: number | null;
  coveredM2?: number | null;
  population?: number | null;
  coveredPopulation?: number | null;
}

export interface Coverage {
  caliber: string | null;
  method: string | null;
  /** Where the caliber and the method came from: request, city default, caliber default. */
  caliberFrom: string | null;
  methodFrom: string | null;
  target: number;
  city: CoverageUnit;
  units: CoverageUnit[];
  /** The caliber's own thresholds (targets[].label, ratio, met). */
  thresholds: { label: string; ratio: number | null; met: boolean | null }[];
  /** Per-capita park area of the city (m² per resident), against GB 55014-2021. */
  perCapita: { park: number | null; comprehensive: number | null; community: number | null };
  /** Residential land of the city not covered, m² (total_m2 − covered_m2). */
  gapM2: number | null;
  /** The run that computed the figure: its data version and when. */
  run: { dataHash: string | null; computedAt: string | null };
}

function unit(r: Json, fallbackName: string): CoverageUnit {
  // An area without residential land (or residents) has no coverage, not 0 %.
  const noLand = pickNumber(r, ['total_m2', 'residential_m2']) === 0;
  const noPeople = pickNumber(r, ['population']) === 0;
  return {
    id: pickString(r, ['id', 'unit_id', 'code', 'adcode', 'community_id', 'district_id']),
    name: pickString(r, ['name', 'unit_name', 'district', 'community']) ?? fallbackName,
    areaRatio: noLand ? null : asRatio(pickNumber(r, RATIO_KEYS)),
    popShare: noPeople ? null : asRatio(pickNumber(r, POP_KEYS)),
    totalM2: pickNumber(r, ['total_m2', 'residential_m2']),
    coveredM2: pickNumber(r, ['covered_m2']),
    population: pickNumber(r, ['population']),
    coveredPopulation: pickNumber(r, ['covered_population']),
  };
}

/** Parses GET /api/v1/indicators/park-coverage. */
export function parseCoverage(body: unknown): Coverage {
  const b = isObj(body) ? body : {};
  const cityObj = [b.city_figure, b.total, b.city_total, b.summary, b.overall, b.city].find(isObj) ?? b;
  const units = rows(pickArray(b, ['areas', 'units', 'results', 'rows', 'districts', 'communities', 'items', 'features']));
  return {
    caliber: pickString(b, ['caliber', 'caliber_id']) ?? pickString(b.caliber, ['id']),
    method: pickString(b, ['method']),
    caliberFrom: pickString(b, ['caliber_from']),
    methodFrom: pickString(b, ['method_from']),
    target: asRatio(pickNumber(b, ['target', 'target_2030'])) ?? 1,
    city: unit(cityObj as Json, ''),
    units: units.map((r, i) => unit(r, `#${i + 1}`)),
    thresholds: rows(pickArray(b, ['targets'])).map((t) => ({ label: pickString(t, ['label']) ?? '', ratio: asRatio(pickNumber(t, ['ratio'])), met: typeof t.met === 'boolean' ? t.met : null })),
    perCapita: {
      park: pickNumber((cityObj as Json).per_capita, ['park_m2_per_capita']),
      comprehensive: pickNumber((cityObj as Json).per_capita, ['comprehensive_m2_per_capita']),
      community: pickNumber((cityObj as Json).per_capita, ['community_m2_per_capita']),
    },
    gapM2: (() => { const t = pickNumber(cityObj, ['total_m2']), c = pickNumber(cityObj, ['covered_m2']); return t === null || c === null ? null : Math.max(0, t - c); })(),
    run: { dataHash: pickString(b.run, ['data_hash']) ?? pickString(isObj(b.run) ? b.run.data_version : null, ['hash']), computedAt: pickString(b.run, ['computed_at']) },
  };
}

export type Method = 'buffer' | 'network';

export interface Caliber {
  id: string; name: string; nameEn: string;
  /** The method a figure under this caliber uses when none is chosen (default_method). */
  defaultMethod: Method | null;
}

const asMethod = (v: string | null): Method | null => (v === 'buffer' || v === 'network' ? v : null);

/** Parses GET /api/v1/calibers: an array or {calibers: [...]} of {id, name|title}. */
export function parseCalibers(body: unknown): Caliber[] {
  return rows(pickArray(body, ['calibers', 'items'])).map((r) => {
    const id = pickString(r, ['id', 'code', 'name']) ?? '';
    const name = pickString(r, ['name_zh', 'title_zh', 'title', 'name']) ?? id;
    return { id, name, nameEn: pickString(r, ['title_en', 'name_en']) ?? name, defaultMethod: asMethod(pickString(r, ['default_method', 'method'])) };
  }).filter((c) => c.id !== '');
}

/** The city's defaults of GET /api/v1/calibers?city=: {city: {default_caliber, default_method}}. */
export function parseCityDefault(body: unknown): { caliber: string | null; method: Method | null } {
  const c = isObj(body) && isObj(body.city) ? body.city : {};
  return { caliber: pickString(c, ['default_caliber']), method: asMethod(pickString(c, ['default_method'])) };
}

/** The method that goes with caliber id: its default, else the one chosen before (a caliber
 *  the list does not know), else buffer. Switching caliber resets the method to this, so a
 *  figure is never shown under a method its caliber does not define by default unless the
 *  planner picks it afterwards. */
export function methodFor(calibers: Caliber[], id: string, previous: Method = 'buffer'): Method {
  return calibers.find((c) => c.id === id)?.defaultMethod ?? previous;
}

/** The dashboard's first caliber and method: the city's default caliber when the list has it
 *  (else the first), with that caliber's default method. */
export function initialSelection(calibers: Caliber[], city: { caliber: string | null }): { caliber: string; method: Method } {
  const caliber = calibers.find((c) => c.id === city.caliber)?.id ?? calibers[0]?.id ?? '';
  return { caliber, method: methodFor(calibers, caliber) };
}

/** A park a scenario change adds or modifies as the compare answer judges it under the
 *  compared caliber (`changes[]`, internal/scenario/verdict.go: the caliber's own rule,
 *  caliber.Judge, which the coverage computation applies). */
export interface ParkVerdict { n: number; counted: boolean; reason: string; parkClass: string; openStatus: string; areaM2: number; minAreaM2: number | null }

/** The park verdicts of GET /scenarios/{id}/compare (empty when the server sends none). */
export function parseVerdicts(body: unknown): ParkVerdict[] {
  return rows(pickArray(body, ['changes'])).filter((c) => c.layer === undefined || c.layer === 'parks').map((c) => ({
    n: pickNumber(c, ['n']) ?? 0, counted: c.counted === true, reason: pickString(c, ['reason']) ?? '',
    parkClass: pickString(c, ['park_class']) ?? '', openStatus: pickString(c, ['open_status']) ?? '',
    areaM2: pickNumber(c, ['area_m2']) ?? 0, minAreaM2: pickNumber(c, ['min_area_m2']),
  }));
}

const WHY: Record<string, string> = { class: 'why.class', status: 'why.status', pocket: 'why.pocket', too_small: 'why.small', out_of_reach: 'why.outOfReach' };

/** Why the server says v's park adds nothing: an i18n key under why.* and its parameters, or
 *  null when it gave no reason. A code this page does not know is shown as the code
 *  (why.unknown). The rule itself is the server's; the page only words the code. */
export function whyNotCounted(v: ParkVerdict): { key: string; params: Record<string, string | number> } | null {
  if (!v.reason) return null;
  const key = WHY[v.reason];
  if (!key) return { key: 'why.unknown', params: { code: v.reason } };
  return { key, params: { cls: v.parkClass, status: v.openStatus, area: Math.round(v.areaM2), min: v.minAreaM2 ?? 0 } };
}

/** The calibers of shared/docs/standards.md §1, used until /api/v1/calibers answers. */
export const DEFAULT_CALIBERS: Caliber[] = [
  { id: 'gb55014-2021', name: 'GB 55014-2021', nameEn: 'GB 55014-2021', defaultMethod: 'buffer' },
  { id: 'gbt51346-2019', name: 'GB/T 51346-2019', nameEn: 'GB/T 51346-2019', defaultMethod: 'buffer' },
  { id: 'gbt50563-2010', name: 'GB/T 50563-2010', nameEn: 'GB/T 50563-2010', defaultMethod: 'buffer' },
  { id: 'tdt1063-walk5', name: 'TD/T 1063 步行5分钟', nameEn: 'TD/T 1063 5-minute walk', defaultMethod: 'network' },
  { id: 'who-300m', name: 'WHO 300 m', nameEn: 'WHO 300 m', defaultMethod: 'buffer' },
  { id: 'tpl-10min', name: 'TPL 步行10分钟', nameEn: 'TPL 10-minute walk', defaultMethod: 'network' },
];

export interface CategoryCoverage { category: string; areaRatio: number | null; popShare: number | null }

export interface LivingCircle {
  categories: CategoryCoverage[];
  completeCircles: number | null;
  target: number;
  /** Share of residents that must reach a category (default 0.9). */
  share: number;
  communities: { id: string | null; name: string; reached: number | null; complete: boolean | null }[];
}

/** Parses GET /api/v1/indicators/living-circle. The per-category figures come from the
 *  city-level area (areas[level=city].coverage) or from categories[] when they carry shares. */
export function parseLivingCircle(body: unknown): LivingCircle {
  const b = isObj(body) ? body : {};
  const areas = rows(pickArray(b, ['areas', 'units']));
  const cityArea = areas.find((a) => a.level === 'city') ?? (areas.length === 1 ? areas[0] : null);
  let cats = rows(pickArray(cityArea, ['coverage']));
  if (cats.length === 0) cats = rows(pickArray(b, ['categories', 'category_coverage']));
  if (cats.length === 0 && isObj(b.categories)) {
    cats = Object.entries(b.categories).map(([k, v]) => ({ category: k, ...(isObj(v) ? v : { value: v }) }));
  }
  return {
    categories: cats.map((c) => ({
      category: pickString(c, ['category', 'code', 'id', 'name']) ?? '?',
      areaRatio: asRatio(pickNumber(c, ['area_share', ...RATIO_KEYS])),
      popShare: asRatio(pickNumber(c, POP_KEYS)),
    })),
    completeCircles: pickNumber(b, ['complete_communities', 'complete_circles', 'complete', 'complete_count']),
    target: pickNumber(b, ['target', 'complete_target']) ?? 30,
    share: asRatio(pickNumber(b, ['share'])) ?? 0.9,
    communities: areas.filter((a) => a.level === undefined || a.level === 'community').map((r) => ({
      id: pickString(r, ['id', 'community_id', 'code']),
      name: pickString(r, ['name']) ?? '',
      reached: Array.isArray(r.reached) ? (r.reached as unknown[]).length : pickNumber(r, ['categories_reached', 'reached', 'reached_count']),
      complete: typeof r.complete === 'boolean' ? r.complete : null,
    })),
  };
}

/** The complete-community rule of the checks answer: the walking tier (m) and the number of items. */
export function parseCompleteRule(body: unknown): { tierM: number | null; items: number | null } {
  const b = isObj(body) ? body : {};
  return { tierM: pickNumber(b, ['tier_m']), items: Array.isArray(b.items) ? b.items.length : null };
}

/** Parses a count-against-target check (complete communities): {complete, target}. */
export function parseCountCheck(body: unknown, defTarget: number): { count: number | null; target: number } {
  const b = isObj(body) ? body : {};
  const s = isObj(b.summary) ? b.summary : b;
  return {
    count: pickNumber(s, ['complete', 'complete_communities', 'count', 'complete_count']),
    target: pickNumber(s, ['target']) ?? defTarget,
  };
}

/** Parses a ratio check (corridor compliance): {ratio|share}. */
export function parseRatioCheck(body: unknown): number | null {
  const b = isObj(body) ? body : {};
  const s = isObj(b.summary) ? b.summary : b;
  return asRatio(pickNumber(s, ['compliance_share', 'compliance', 'share', 'ratio', 'meeting_share', ...RATIO_KEYS]));
}

export interface Reached { category: string; items: { name: string; minutes: number | null; distance: number | null }[] }

export interface Isochrone {
  polygons: GeoJSON.Feature[];
  /** Reached facilities as points, when the answer carries them (drawn on the map). */
  points: GeoJSON.Feature[];
  reached: Reached[];
}

/** Parses GET /api/v1/isochrones: polygon features with a minutes property, facilities as
 *  point features with a category, or as a facilities/reached member (array or by category). */
export function parseIsochrone(body: unknown): Isochrone {
  const b = isObj(body) ? body : {};
  const feats = pickArray(b, ['features']).filter(isObj) as unknown as GeoJSON.Feature[];
  const polygons = feats.filter((f) => f.geometry && /Polygon$/.test(f.geometry.type));
  const byCat = new Map<string, Reached['items']>();
  const add = (cat: string, r: Json) => {
    if (!byCat.has(cat)) byCat.set(cat, []);
    byCat.get(cat)!.push({
      name: pickString(r, ['name']) ?? `#${pickString(r, ['id']) ?? '?'}`,
      minutes: pickNumber(r, ['minutes', 'min', 'time_min']),
      distance: pickNumber(r, ['distance_m', 'distance', 'walk_m']),
    });
  };
  const fac = b.facilities ?? b.reached ?? b.reached_facilities;
  if (fac === undefined || fac === null) {
    for (const f of feats) {
      if (f.geometry?.type === 'Point' && isObj(f.properties) && f.properties.category !== undefined) add(pickString(f.properties, ['category']) ?? '?', f.properties);
    }
  }
  if (Array.isArray(fac)) {
    for (const r of rows(fac)) add(pickString(r, ['category']) ?? '?', r);
  } else if (isObj(fac)) {
    for (const [cat, v] of Object.entries(fac)) {
      if (Array.isArray(v)) rows(v).forEach((r) => add(cat, r));
      else if (typeof v === 'number') byCat.set(cat, Array.from({ length: v }, () => ({ name: '', minutes: null, distance: null })));
    }
  }
  const reached = [...byCat.entries()].map(([category, items]) => ({ category, items })).sort((a, b) => a.category.localeCompare(b.category));
  const points = feats.filter((f) => f.geometry?.type === 'Point' && isObj(f.properties) && f.properties.category !== undefined);
  return { polygons, points, reached };
}

/** The minutes a polygon stands for (properties.minutes, or seconds / 60). */
export function polygonMinutes(f: GeoJSON.Feature): number | null {
  const m = pickNumber(f.properties, ['minutes', 'min', 'cutoff_min']);
  if (m !== null) return m;
  const s = pickNumber(f.properties, ['seconds', 'cutoff_s']);
  return s === null ? null : s / 60;
}

export interface Site { rank: number; gain: number | null; reach: number | null; feature: GeoJSON.Feature; polygon: GeoJSON.Polygon | null }

/** The park every site of a sites answer stands for, and what the figures are under. */
export interface SitePlan { caliber: string | null; method: string | null; parkClass: string | null; pocket: boolean; areaM2: number | null; radiusM: number | null; note: string | null }

export function parseSitePlan(body: unknown): SitePlan {
  const b = isObj(body) ? body : {};
  const p = isObj(b.park) ? b.park : {};
  return {
    caliber: pickString(b, ['caliber']), method: pickString(b, ['method']),
    parkClass: pickString(p, ['park_class']), pocket: p.pocket === true,
    areaM2: pickNumber(p, ['area_m2']), radiusM: pickNumber(p, ['radius_m']), note: pickString(b, ['note']),
  };
}

/** The site area the sites route uses when none is asked (coverage.DefaultSiteAreaM2). */
export const DEFAULT_SITE_AREA_M2 = 400;

/** Why a plan's sites are not pocket parks of the area asked, as messages in the page's
 *  language built from its park (the API's `note` says the same in English): the area raised
 *  to the smallest the caliber counts, and the class the caliber counts the site as. Empty
 *  when the plan has no note. The UI fills `park` from `cls`. */
export function sitePlanNotes(plan: SitePlan, askedM2: number = DEFAULT_SITE_AREA_M2): { key: string; params: Record<string, string | number> }[] {
  if (!plan.note) return [];
  const out: { key: string; params: Record<string, string | number> }[] = [];
  const caliber = plan.caliber ?? '';
  const area = Math.round(plan.areaM2 ?? 0);
  if (plan.areaM2 != null && area > askedM2 + 1) out.push({ key: 'sites.noteRaised', params: { caliber, asked: askedM2, area } });
  if (plan.parkClass && plan.parkClass !== 'garden') out.push({ key: 'sites.noteClass', params: { caliber, cls: plan.parkClass, area, r: plan.radiusM ?? 0 } });
  else if (plan.parkClass === 'garden' && !plan.pocket) out.push({ key: 'sites.noteNotPocket', params: { caliber, area } });
  return out;
}

/** Parses GET /api/v1/indicators/park-coverage/sites: {sites: [{rank, gain_m2, coverage_after,
 *  lon, lat}]} or a FeatureCollection of points, ranked by gain. */
export function parseSites(body: unknown): Site[] {
  const arr = pickArray(body, ['sites', 'features']).filter(isObj);
  return arr.map((r, i) => {
    const isFeature = r.type === 'Feature';
    const p = (isFeature ? r.properties : r) as Json;
    const lon = pickNumber(p, ['lon', 'lng', 'x']);
    const lat = pickNumber(p, ['lat', 'y']);
    const feature: GeoJSON.Feature = isFeature ? (r as unknown as GeoJSON.Feature)
      : { type: 'Feature', properties: { ...p }, geometry: { type: 'Point', coordinates: [lon ?? 0, lat ?? 0] } };
    return {
      rank: pickNumber(p, ['rank']) ?? i + 1,
      gain: pickNumber(p, ['gain_m2', 'gain', 'covered_m2', 'gain_area_m2']),
      reach: asRatio(pickNumber(p, ['coverage_after', 'cumulative_coverage', 'reach'])),
      feature: isFeature ? feature : { ...feature, properties: { ...p, geometry: undefined } },
      polygon: isObj(p.geometry) && p.geometry.type === 'Polygon' ? p.geometry as unknown as GeoJSON.Polygon : null,
    };
  }).filter((s) => s.feature.geometry !== null);
}

/** One point of the siting's cost–coverage curve: the parks a target share needs, proven
 *  at least low, found high (equal when optimal); capped when the target is beyond every
 *  candidate's reach (share is then the reachable one). */
export interface SitingPoint { target: number; share: number; capped: boolean; low: number; high: number; optimal: boolean; greedy: number | null }

/** The optimal siting's answer (GET /api/v1/indicators/park-coverage/siting). */
export interface Siting {
  weight: string | null; now: number | null; reachable: number | null; candidates: number | null;
  k: number | null; predicted: number | null; greedy: number | null; bound: number | null; gap: number | null; optimal: boolean;
  curve: SitingPoint[]; sites: GeoJSON.Feature[];
}

export function parseSiting(body: unknown): Siting {
  const b = isObj(body) ? body : {};
  const best = isObj(b.best) ? b.best : {};
  const curve = pickArray(b, ['curve']).filter(isObj).map((p) => ({
    target: pickNumber(p, ['target']) ?? 0, share: pickNumber(p, ['share']) ?? 0, capped: p.capped === true,
    low: pickNumber(p, ['parks_low']) ?? 0, high: pickNumber(p, ['parks_high']) ?? 0, optimal: p.optimal === true, greedy: pickNumber(p, ['greedy']),
  })).filter((p) => p.target > 0);
  // A site is drawn at the mean of its park's outer ring (the candidate-site markers are points).
  const centre = (g: unknown): [number, number] | null => {
    const ring = isObj(g) && g.type === 'Polygon' && Array.isArray(g.coordinates) && Array.isArray(g.coordinates[0]) ? g.coordinates[0] as unknown[] : null;
    const pts = (ring ?? []).slice(0, -1).filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number');
    if (pts.length === 0) return null;
    return [pts.reduce((a, p) => a + p[0], 0) / pts.length, pts.reduce((a, p) => a + p[1], 0) / pts.length];
  };
  const sites = pickArray(best, ['sites']).filter(isObj).flatMap((s): GeoJSON.Feature[] => {
    const c = centre(s.geometry);
    return c === null ? [] : [{ type: 'Feature', geometry: { type: 'Point', coordinates: c },
      properties: { rank: pickNumber(s, ['rank']), name: pickString(s, ['name']), coverage_after: pickNumber(s, ['coverage_after']) } }];
  });
  return {
    weight: pickString(b, ['weight']), now: pickNumber(b, ['now']), reachable: pickNumber(b, ['reachable']), candidates: pickNumber(b, ['candidates']),
    k: pickNumber(best, ['k']), predicted: pickNumber(best, ['predicted']), greedy: pickNumber(best, ['greedy']), bound: pickNumber(best, ['bound']),
    gap: pickNumber(best, ['gap']), optimal: best.optimal === true, curve, sites,
  };
}

/** Features whose name contains text (case-insensitive), best first: exact, prefix, then the rest. */
export function matchByName(features: GeoJSON.Feature[], text: string, limit = 8): GeoJSON.Feature[] {
  const t = text.trim().toLowerCase();
  if (!t) return [];
  const score = (f: GeoJSON.Feature) => {
    const n = String(f.properties?.name ?? '').toLowerCase();
    return n === t ? 0 : n.startsWith(t) ? 1 : n.includes(t) ? 2 : 3;
  };
  return features.map((f) => ({ f, s: score(f) })).filter((x) => x.s < 3)
    .sort((a, b) => a.s - b.s || String(a.f.properties?.name).localeCompare(String(b.f.properties?.name), 'zh')).slice(0, limit).map((x) => x.f);
}

/** Parses GET /api/v1/checks/control-lines: the overlaps and their total area (m²). */
export function parseControlLines(body: unknown): { count: number; areaM2: number | null; conforms: boolean | null } {
  const b = isObj(body) ? body : {};
  const list = pickArray(b, ['overlaps', 'features']);
  const area = pickNumber(b, ['total_overlap_m2', 'area_m2']) ?? (list.length ? rows(list).reduce((s, r) => s + (pickNumber(r, ['area_m2']) ?? 0), 0) : null);
  return { count: list.length, areaM2: area, conforms: typeof b.conforms === 'boolean' ? b.conforms : null };
}

/** Parses GET /api/v1/checks/growth-boundary/diff: added and removed areas (m²). */
export function parseGrowthDiff(body: unknown): { addedM2: number | null; removedM2: number | null } {
  return { addedM2: pickNumber(body, ['added_area_m2', 'added_m2']), removedM2: pickNumber(body, ['removed_area_m2', 'removed_m2']) };
}

/** One configured age band (GET /api/v1/age-bands). */
export interface AgeBand { code: string; nameZh: string; nameEn: string }

export function parseAgeBands(body: unknown): AgeBand[] {
  return rows(pickArray(body, ['bands'])).map((b) => ({ code: pickString(b, ['code']) ?? '', nameZh: pickString(b, ['name_zh']) ?? '', nameEn: pickString(b, ['name_en']) ?? '' }))
    .filter((b) => b.code !== '');
}

/** A capacity figure: demand (residents of the bands), places available under 2SFCA, ratio = served / demand,
 *  need = what the category's norm asks for, attainment = served / need, gap = need − served. */
export interface CapacityFigure { demand: number | null; served: number | null; ratio: number | null; need: number | null; attainment: number | null; gap: number | null; shortfall: number | null }

/** The category's capacity norm (facility_categories.capacity_norm): perThousand units per 1,000 residents of the basis. */
export interface CapacityNorm { perThousand: number; basis: 'bands' | 'residents'; source: string }

export interface Capacity {
  category: string;
  unitZh: string;
  unitEn: string;
  bands: string[];
  profile: string | null;
  d0: number | null;
  /** The norm the gaps and the map's colours are measured against. */
  norm: CapacityNorm;
  capacity: number | null;
  totals: CapacityFigure;
}

function capacityFigure(f: unknown): CapacityFigure {
  const n = (k: string) => pickNumber(f, [k]);
  return { demand: n('demand'), served: n('served'), ratio: n('ratio'), need: n('need'), attainment: n('attainment'), gap: n('gap'), shortfall: n('shortfall') };
}

/** Reads GET /api/v1/indicators/capacity, or the capacity member of its map layer. */
export function parseCapacity(body: unknown): Capacity {
  const b = isObj(body) && isObj(body.capacity) ? body.capacity : body;
  const cat = isObj(b) ? b.category : null;
  const norm = isObj(b) ? b.norm : null;
  return {
    category: pickString(cat, ['code']) ?? '',
    unitZh: pickString(cat, ['unit_zh']) ?? '',
    unitEn: pickString(cat, ['unit_en']) ?? '',
    bands: pickArray(b, ['bands']).filter((x): x is string => typeof x === 'string'),
    profile: pickString(b, ['profile']),
    d0: pickNumber(b, ['d0_m']),
    norm: { perThousand: pickNumber(norm, ['per_1000']) ?? 1000, basis: pickString(norm, ['basis']) === 'residents' ? 'residents' : 'bands', source: pickString(norm, ['source']) ?? '' },
    capacity: pickNumber(b, ['capacity']),
    totals: capacityFigure(isObj(b) ? b.totals : null),
  };
}

/** The colour classes of the capacity layer: the share of its norm a parcel or area has (attainment = served / need). */
export const CAPACITY_CLASSES = [
  { upTo: 0.5, color: '#d7191c', key: 'cap.class.severe' },
  { upTo: 0.8, color: '#fdae61', key: 'cap.class.short' },
  { upTo: 1, color: '#ffffbf', key: 'cap.class.near' },
  { upTo: Infinity, color: '#1a9641', key: 'cap.class.met' },
] as const;

/** The class of an attainment (index into CAPACITY_CLASSES), -1 when the norm asks for nothing (no known demand). */
export function capacityClass(attainment: number | null, need: number | null): number {
  if (attainment === null || !need || need <= 0) return -1;
  return CAPACITY_CLASSES.findIndex((c) => attainment < c.upTo || c.upTo === Infinity);
}

/** The MapLibre fill-color expression of the capacity layer: the classes of capacityClass on each feature's attainment and need. */
export function capacityFillExpression(): unknown[] {
  const [a, b, c, d] = CAPACITY_CLASSES;
  return ['case', ['<=', ['to-number', ['get', 'need'], 0], 0], 'rgba(0,0,0,0)',
    ['step', ['to-number', ['get', 'attainment'], 0], a.color, a.upTo, b.color, b.upTo, c.color, c.upTo, d.color]];
}
