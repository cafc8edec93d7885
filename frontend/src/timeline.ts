// The indicator time series (GET /api/v1/indicators/{park-coverage,living-circle}/series,
// docs/editions.md) read into points, and the scaling of the small SVG trend chart the
// dashboard draws from them: one point per published edition, oldest first, then now, and the
// plan's target path. Pure functions, so the chart's geometry is unit-tested by hand.

export interface SeriesPoint {
  /** The edition's name ("2024 现状"), or null for now. */
  edition: string | null;
  now: boolean;
  asOf: string;
  /** The figure shown: the city's headline, or the chosen unit's value. */
  value: number | null;
}

export interface SeriesTarget { year: number; value: number; source: string }

export interface Series {
  indicator: string;
  caliber: string | null;
  method: string | null;
  points: SeriesPoint[];
  targets: SeriesTarget[];
  /** The units at the series' level, from the first point (for the unit selector). */
  units: { id: number; name: string }[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {});

/**
 * Parses a series answer. With unit, a point's value is that unit's values[].value (null when
 * the unit is not in the point); without, the point's headline.
 */
export function parseSeries(body: unknown, unit: number | null = null): Series {
  const b = obj(body);
  const pts = Array.isArray(b.points) ? b.points.map(obj) : [];
  const values = (p: Record<string, unknown>) => (Array.isArray(p.values) ? p.values.map(obj) : []);
  return {
    indicator: typeof b.indicator === 'string' ? b.indicator : '',
    caliber: typeof b.caliber === 'string' ? b.caliber : null,
    method: typeof b.method === 'string' ? b.method : null,
    points: pts.map((p) => ({
      edition: typeof p.edition === 'string' && p.edition !== '' ? p.edition : null,
      now: p.now === true,
      asOf: typeof p.as_of === 'string' ? p.as_of : '',
      value: unit === null ? num(p.headline) : num(values(p).find((v) => v.id === unit)?.value),
    })),
    targets: (Array.isArray(b.targets) ? b.targets.map(obj) : [])
      .filter((t) => num(t.year) !== null && num(t.value) !== null)
      .map((t) => ({ year: t.year as number, value: t.value as number, source: typeof t.source === 'string' ? t.source : '' })),
    units: pts.length ? values(pts[0]).filter((v) => num(v.id) !== null).map((v) => ({ id: v.id as number, name: typeof v.name === 'string' ? v.name : String(v.id) })) : [],
  };
}

/** The decimal year of an instant (2025-07-02T12:00Z ≈ 2025.5), in Beijing time. */
export function decimalYear(iso: string): number | null {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return null;
  const d = new Date(t + 8 * 3600_000); // UTC+8, read with the UTC getters
  const y = d.getUTCFullYear();
  const start = Date.UTC(y, 0, 1), end = Date.UTC(y + 1, 0, 1);
  return y + (d.getTime() - start) / (end - start);
}

/**
 * Where a point sits on the time axis: an edition named after its year ("2024 现状") at that
 * year, whatever instant it was taken; otherwise (and now) at the decimal year of its as_of.
 * A point never sits left of the one before it: a later point placed earlier (now in the
 * same year as the last edition) moves to half a year after it.
 */
export function pointYears(points: SeriesPoint[]): number[] {
  const out: number[] = [];
  for (const p of points) {
    const named = p.edition ? /^(\d{4})(?!\d)/.exec(p.edition) : null;
    let y = named ? +named[1] : decimalYear(p.asOf) ?? (out.length ? out[out.length - 1] + 1 : 0);
    if (out.length && y <= out[out.length - 1]) y = out[out.length - 1] + 0.5;
    out.push(y);
  }
  return out;
}

export interface ChartBox { width: number; height: number; left: number; right: number; top: number; bottom: number }

export const DEFAULT_BOX: ChartBox = { width: 320, height: 150, left: 40, right: 12, top: 12, bottom: 30 };

export interface ChartLayout {
  /** The domains: years on x, the value on y (a ratio 0–1, or a count from 0). */
  x: [number, number];
  y: [number, number];
  points: { x: number; y: number | null; year: number; p: SeriesPoint }[];
  targets: { x: number; y: number; t: SeriesTarget }[];
  /** The series' line ("M x y L x y …", points without a value skipped). */
  line: string;
  /** The target path: from the last point with a value to each target in year order. */
  targetLine: string;
  xTicks: { x: number; year: number }[];
  yTicks: { y: number; value: number }[];
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/**
 * Lays out the chart in box: x from the first point's year to the last target's (or point's)
 * year, a whole year each side at least; y from 0 to 1 for ratios, or from 0 to the largest
 * value or target rounded up to a multiple of 5 for counts. SVG y grows downwards.
 */
export function layoutChart(points: SeriesPoint[], targets: SeriesTarget[], ratio: boolean, box: ChartBox = DEFAULT_BOX): ChartLayout {
  const years = pointYears(points);
  const all = [...years, ...targets.map((t) => t.year)];
  const x0 = all.length ? Math.floor(Math.min(...all)) : 0;
  let x1 = all.length ? Math.ceil(Math.max(...all)) : 1;
  if (x1 <= x0) x1 = x0 + 1;
  const vmax = Math.max(0, ...points.map((p) => p.value ?? 0), ...targets.map((t) => t.value));
  const y1 = ratio ? 1 : Math.max(5, Math.ceil(vmax / 5) * 5);
  const w = box.width - box.left - box.right, hgt = box.height - box.top - box.bottom;
  const sx = (yr: number) => r2(box.left + ((yr - x0) / (x1 - x0)) * w);
  const sy = (v: number) => r2(box.top + (1 - v / y1) * hgt);
  const pts = points.map((p, i) => ({ x: sx(years[i]), y: p.value === null ? null : sy(p.value), year: years[i], p }));
  const drawn = pts.filter((q) => q.y !== null);
  const line = drawn.map((q, i) => `${i ? 'L' : 'M'}${q.x} ${q.y}`).join(' ');
  const tg = [...targets].sort((a, b) => a.year - b.year).map((t) => ({ x: sx(t.year), y: sy(t.value), t }));
  const last = drawn[drawn.length - 1];
  const targetLine = tg.length ? [...(last ? [`M${last.x} ${last.y}`] : []), ...tg.map((q, i) => `${i || last ? 'L' : 'M'}${q.x} ${q.y}`)].join(' ') : '';
  const step = x1 - x0 > 8 ? 2 : 1;
  const xTicks: { x: number; year: number }[] = [];
  for (let yr = x0; yr <= x1; yr += step) xTicks.push({ x: sx(yr), year: yr });
  // Gridlines at 0, the middle and the top; a count's middle only when it is whole.
  const yTicks = (ratio || (y1 / 2) % 1 === 0 ? [0, 0.5, 1] : [0, 1]).map((f) => ({ y: sy(f * y1), value: f * y1 }));
  return { x: [x0, x1], y: [0, y1], points: pts, targets: tg, line, targetLine, xTicks, yTicks };
}
