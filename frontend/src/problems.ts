// The 问题清单 (GET /api/v1/problems?format=geojson, docs/problems.md) read into what the
// problems card shows: the problems with their status between two editions, the candidate
// sites, the 整治率 of the city and its districts; and the MapLibre filter the card's
// indicator, status and district choices make. Pure functions, unit-tested by hand.

export const PROBLEM_STATUSES = ['new', 'persisting', 'fixed', 'open'] as const;
export type ProblemStatus = (typeof PROBLEM_STATUSES)[number];
export const PROBLEM_INDICATORS = ['park-coverage', 'living-circle', 'complete-communities'] as const;

/** Fill colours by status: new red, persisting orange, fixed green, open (no comparison) grey. */
export const STATUS_COLORS: Record<ProblemStatus, string> = { new: '#d7301f', persisting: '#fc8d59', fixed: '#1a9850', open: '#969696' };

export interface Problem {
  id: string;
  indicator: string;
  status: ProblemStatus;
  unitCode: string;
  unitName: string;
  districtCode: string;
  districtName: string;
  value: number | null;
  threshold: number | null;
  remedy: string;
}

export interface Rate { code: string; name: string; earlier: number; fixed: number; persisting: number; new: number; rate: number | null }

export interface Ledger {
  from: string | null;
  to: string | null;
  problems: Problem[];
  sites: number;
  rate: Rate | null;
  districts: Rate[];
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const status = (v: unknown): ProblemStatus => ((PROBLEM_STATUSES as readonly string[]).includes(v as string) ? v as ProblemStatus : 'open');

function rate(v: unknown): Rate {
  const r = obj(v);
  return { code: str(r.code), name: str(r.name), earlier: num(r.earlier) ?? 0, fixed: num(r.fixed) ?? 0, persisting: num(r.persisting) ?? 0, new: num(r.new) ?? 0, rate: num(r.rate) };
}

/** Parses the ledger's FeatureCollection (its problems, its sites and its foreign members). */
export function parseLedger(body: unknown): Ledger {
  const b = obj(body);
  const feats = Array.isArray(b.features) ? b.features.map(obj) : [];
  const problems: Problem[] = [];
  let sites = 0;
  for (const f of feats) {
    const p = obj(f.properties);
    if (p.kind === 'site') { sites++; continue; }
    problems.push({ id: str(p.id), indicator: str(p.indicator), status: status(p.status), unitCode: str(p.unit_code), unitName: str(p.unit_name),
      districtCode: str(p.district_code), districtName: str(p.district_name), value: num(p.value), threshold: num(p.threshold), remedy: str(p.remedy_text) });
  }
  const edition = (v: unknown): string | null => { const e = obj(v); return str(e.edition) || str(e.at) || null; };
  return { from: b.from ? edition(b.from) : null, to: b.to_now === true ? null : edition(b.to), problems, sites,
    rate: b.rate ? rate(b.rate) : null, districts: Array.isArray(b.districts) ? b.districts.map(rate) : [] };
}

export interface ProblemFilter { indicator: string; status: string; district: string }

/** Whether p passes the filter ('' = any). */
export function keepProblem(p: Pick<Problem, 'indicator' | 'status' | 'districtCode'>, f: ProblemFilter): boolean {
  return (!f.indicator || p.indicator === f.indicator) && (!f.status || p.status === f.status) && (!f.district || p.districtCode === f.district);
}

/** The MapLibre filter of the same choices, on the features' properties, for a kind of feature. */
export function problemLayerFilter(f: ProblemFilter, kind: 'problem' | 'site'): unknown[] {
  const all: unknown[] = ['all', ['==', ['get', 'kind'], kind]];
  if (f.indicator) all.push(['==', ['get', 'indicator'], f.indicator]);
  if (f.status) all.push(['==', ['get', 'status'], f.status]);
  if (f.district) all.push(['==', ['get', 'district_code'], f.district]);
  return all;
}

/** Counts of the problems kept by status. */
export function countByStatus(ps: Problem[]): Record<ProblemStatus, number> {
  const out = { new: 0, persisting: 0, fixed: 0, open: 0 };
  for (const p of ps) out[p.status]++;
  return out;
}

/** The MapLibre fill-colour expression by status. */
export function statusColorExpression(): unknown[] {
  return ['match', ['get', 'status'], ...PROBLEM_STATUSES.flatMap((s) => [s, STATUS_COLORS[s]]), '#969696'];
}
