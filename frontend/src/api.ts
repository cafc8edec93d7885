// URL builders for every endpoint the map calls, and a fetch wrapper that tells "not built
// yet" (404/405/501) apart from failure so each panel can say 暂无数据 instead of breaking.
// Every URL is relative to the page's origin: the map never asks another host for anything.

export const DEFAULT_CITY = 'baotou';

/** The layers of internal/layers' registry, in drawing order (bottom first). */
export const REGISTRY_LAYERS = [
  'districts', 'subdistricts', 'communities', 'basic_farmland', 'eco_redlines', 'eco_corridors',
  'growth_boundaries', 'residential_land', 'parks', 'network_edges', 'park_entrances', 'facilities',
] as const;
export type LayerId = (typeof REGISTRY_LAYERS)[number];

const SAFE_LAYER = /^[a-z][a-z0-9_]{0,62}$/;

function checkLayer(layer: string): string {
  if (!SAFE_LAYER.test(layer)) throw new Error(`not a layer name: ${layer}`);
  return layer;
}

function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * MVT template for one layer or a composite of several: /tiles/a,b/{z}/{x}/{y}.mvt (absolute,
 * as MapLibre's workers need). With asOf (an edition name, a date or an instant) the planning
 * layers are drawn as they stood then, in city, where the server looks the edition up
 * (docs/editions.md); without it the URL is the plain one, so the current tiles stay cached.
 */
export function tileUrl(origin: string, layers: string[], asOf?: string | null, city: string = DEFAULT_CITY): string {
  if (layers.length === 0) throw new Error('tileUrl needs at least one layer');
  return `${origin}/tiles/${layers.map(checkLayer).join(',')}/{z}/{x}/{y}.mvt${asOf ? query({ city, as_of: asOf }) : ''}`;
}

export function tileJsonUrl(layer: string): string {
  return `/tiles/${checkLayer(layer)}.json`;
}

export const tileIndexUrl = () => '/tiles/index.json';
export const layersUrl = () => '/api/v1/layers';
/** The calibers, and with city that city's default caliber and method. */
export const calibersUrl = (city?: string) => `/api/v1/calibers${query({ city })}`;

/** Glyph template served by internal/webui from the build's glyph PBFs. */
export function glyphsUrl(origin: string): string {
  return `${origin}/glyphs/{fontstack}/{range}.pbf`;
}

/** One label point per area or park (GET /api/v1/labels, internal/search). */
export function labelsUrl(city: string, layer: string): string {
  return `/api/v1/labels${query({ city, layer: checkLayer(layer) })}`;
}

/** The ranked name search (GET /api/v1/search, internal/search). */
export function searchUrl(q: { q: string; city?: string; types?: string[]; limit?: number; offset?: number }): string {
  return `/api/v1/search${query({ q: q.q.trim(), city: q.city ?? DEFAULT_CITY, types: q.types?.join(','), limit: q.limit, offset: q.offset })}`;
}

/** The gap layer as vector tiles, with the dashboard's caliber, method and data edition. */
export function gapTileUrl(origin: string, q: CoverageQuery): string {
  return `${origin}/tiles/park_coverage_gaps/{z}/{x}/{y}.mvt${query({ city: q.city ?? DEFAULT_CITY, caliber: q.caliber, method: q.method, as_of: q.asOf })}`;
}

/** Starts a report job (OGC API – Processes, docs/reports.md); needs an editor token. */
export const reportExecutionUrl = () => '/api/v1/processes/report/execution';
export const jobUrl = (id: string) => `/api/v1/jobs/${encodeURIComponent(id)}`;

export interface FeatureQuery {
  bbox?: [number, number, number, number];
  limit?: number;
  /** CQL2-text filter (the features API's allow-listed attributes only). */
  filter?: string;
  properties?: Record<string, string | number | boolean>;
}

export function featuresUrl(layer: string, q: FeatureQuery = {}): string {
  const p: Record<string, string | number | boolean | undefined> = {
    bbox: q.bbox?.map((n) => +n.toFixed(6)).join(','),
    limit: q.limit,
    filter: q.filter,
    'filter-lang': q.filter ? 'cql2-text' : undefined,
    ...q.properties,
  };
  return `/api/v1/layers/${checkLayer(layer)}/features${query(p)}`;
}

/** A CQL2 LIKE filter on name; quotes in the typed text are doubled, % and _ escaped. */
export function nameLikeFilter(text: string): string {
  const esc = text.trim().replace(/'/g, "''").replace(/[%_\\]/g, (m) => `\\${m}`);
  return `name LIKE '%${esc}%'`;
}

export interface CoverageQuery {
  city?: string;
  caliber?: string;
  method?: 'buffer' | 'network';
  level?: 'city' | 'district' | 'subdistrict' | 'community';
  /** A data edition's name or an instant (docs/editions.md); empty = now. */
  asOf?: string | null;
  /** Age band codes (comma-separated): the population figures count only their residents (docs/capacity.md); empty = everyone. */
  band?: string | null;
}

export function coverageUrl(q: CoverageQuery): string {
  return `/api/v1/indicators/park-coverage${query({ city: q.city ?? DEFAULT_CITY, caliber: q.caliber, method: q.method, level: q.level, as_of: q.asOf, band: q.band })}`;
}

/** The walking profiles of internal/walk/profile.go (standard 4 km/h, elderly 3.6, slow 3.2). */
export const PROFILES = ['standard', 'elderly', 'slow'] as const;
export type Profile = (typeof PROFILES)[number];

/** The categories the capacity indicator answers for (docs/capacity.md): schools, nurseries, care, and parks (park area per resident). */
export const CAPACITY_CATEGORIES = ['primary_school', 'middle_school', 'kindergarten', 'nursery', 'elderly_care', 'park_square'] as const;

/** The configured age bands (GET /api/v1/age-bands). */
export const ageBandsUrl = () => '/api/v1/age-bands';

export interface CapacityQuery {
  city?: string;
  category: string;
  /** Age band codes; empty = the category's own bands. */
  band?: string | null;
  profile?: string | null;
  level?: 'parcel' | 'community' | 'subdistrict' | 'district' | 'city';
  /** A scenario id: the figures on the baseline plus its changes (docs/scenarios.md); empty = the baseline. */
  scenario?: number | null;
}

const capacityQuery = (q: CapacityQuery) => query({ city: q.city ?? DEFAULT_CITY, category: q.category, band: q.band, profile: q.profile, level: q.level, scenario: q.scenario });

/** The 2SFCA capacity indicator (GET /api/v1/indicators/capacity). */
export function capacityUrl(q: CapacityQuery): string {
  return `/api/v1/indicators/capacity${capacityQuery(q)}`;
}

/** The capacity layer: one feature per parcel (or area) with the API's figures (GET /api/v1/indicators/capacity/map.geojson); on a scenario its figures, its added and reshaped parcels drawn with their scenario geometry. */
export function capacityMapUrl(q: CapacityQuery): string {
  return `/api/v1/indicators/capacity/map.geojson${capacityQuery(q)}`;
}

/** An indicator across the published editions and now, with the target path (docs/editions.md). */
export function seriesUrl(indicator: 'park-coverage' | 'living-circle', q: { city?: string; level?: string; unit?: number | null; caliber?: string; method?: string } = {}): string {
  const p = indicator === 'park-coverage' ? { caliber: q.caliber, method: q.method } : {};
  return `/api/v1/indicators/${indicator}/series${query({ city: q.city ?? DEFAULT_CITY, level: q.level, unit: q.unit, ...p })}`;
}

export function coverageGapsUrl(q: CoverageQuery): string {
  return `/api/v1/indicators/park-coverage/gaps${query({ city: q.city ?? DEFAULT_CITY, caliber: q.caliber, method: q.method, as_of: q.asOf })}`;
}

export function coverageSitesUrl(q: CoverageQuery & { n: number }): string {
  return `/api/v1/indicators/park-coverage/sites${query({ city: q.city ?? DEFAULT_CITY, caliber: q.caliber, method: q.method, n: q.n, as_of: q.asOf })}`;
}

/** The 问题清单 between two editions (docs/problems.md): from/to are edition names (null: the server's default). */
export function problemsUrl(q: { city?: string; from?: string | null; to?: string | null; format?: 'json' | 'geojson' | 'xlsx'; lang?: string; sites?: number } = {}): string {
  return `/api/v1/problems${query({ city: q.city ?? DEFAULT_CITY, from: q.from, to: q.to, format: q.format, lang: q.lang, sites: q.sites })}`;
}

/** The city's published data editions, oldest first. */
export const editionsUrl = (city: string = DEFAULT_CITY) => `/api/v1/editions${query({ city, published: true })}`;

/** The optimal pocket-park siting: the best k generated sites and the parks each coverage
 *  target needs, with a proven bound (docs/siting.md). */
export function coverageSitingUrl(q: CoverageQuery & { k: number; weight?: 'area' | 'population' }): string {
  return `/api/v1/indicators/park-coverage/siting${query({ city: q.city ?? DEFAULT_CITY, caliber: q.caliber, method: q.method, k: q.k, weight: q.weight })}`;
}

export function isochroneUrl(lon: number, lat: number, minutes: number[] = [5, 10, 15]): string {
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
    throw new Error(`not a WGS84 position: ${lon}, ${lat}`);
  }
  return `/api/v1/isochrones${query({ lon: +lon.toFixed(6), lat: +lat.toFixed(6), minutes: minutes.join(',') })}`;
}

export function livingCircleUrl(q: { city?: string; level?: string; asOf?: string | null; band?: string | null; profile?: string | null } = {}): string {
  return `/api/v1/indicators/living-circle${query({ city: q.city ?? DEFAULT_CITY, level: q.level, as_of: q.asOf, band: q.band, profile: q.profile })}`;
}

/** The checks of issue 11: complete-communities, corridors, control-lines, growth-boundary/diff. */
export function checkUrl(name: string, params: Record<string, string | number | undefined> = {}): string {
  if (!/^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)?$/.test(name)) throw new Error(`not a check name: ${name}`);
  return `/api/v1/checks/${name}${query({ city: DEFAULT_CITY, ...params })}`;
}

export type Result<T> =
  | { ok: true; data: T }
  | { ok: false; missing: boolean; status: number; message: string };

/** Statuses that mean "this endpoint is not part of the running service yet". */
export function isMissingStatus(status: number): boolean {
  return status === 404 || status === 405 || status === 501;
}

let pageFetch: typeof fetch = (input, init) => fetch(input, init);

/** Sets the fetch getJSON uses when given none: app.ts installs the token-aware one of src/auth.ts. */
export function setPageFetch(f: typeof fetch): void {
  pageFetch = f;
}

/** GETs JSON; 404/405/501 come back as {missing: true}, other failures with the problem's title. */
export async function getJSON<T>(url: string, f: typeof fetch = pageFetch, signal?: AbortSignal): Promise<Result<T>> {
  let res: Response;
  try {
    res = await f(url, { headers: { Accept: 'application/json, application/geo+json' }, signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    return { ok: false, missing: false, status: 0, message: String(e) };
  }
  if (!res.ok) {
    let message = res.statusText;
    try {
      const body = await res.json();
      message = body.detail || body.title || message;
    } catch { /* not JSON */ }
    return { ok: false, missing: isMissingStatus(res.status), status: res.status, message };
  }
  try {
    return { ok: true, data: (await res.json()) as T };
  } catch (e) {
    return { ok: false, missing: false, status: res.status, message: `bad JSON: ${e}` };
  }
}
