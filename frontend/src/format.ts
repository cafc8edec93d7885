// Number formatting for the dashboard and popups. Ratios are fractions (0.873); what is
// shown is a percentage with a fixed number of decimals, so the e2e test can compare the
// page with the API by formatting the API's number the same way.
import type { Lang } from './i18n';

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-US');

/** 0.8734 → "87.3%" (digits decimals); null/NaN → "—". */
export function formatPercent(ratio: number | null | undefined, lang: Lang, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return new Intl.NumberFormat(locale(lang), { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ratio);
}

/** Integer with grouping: 1234567 → "1,234,567". */
export function formatCount(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 0 }).format(n);
}

/** Area in m²: below 1 ha in m², below 1 km² in ha (公顷), above in km². */
export function formatArea(m2: number | null | undefined, lang: Lang): string {
  if (m2 === null || m2 === undefined || !Number.isFinite(m2)) return '—';
  const nf = (v: number, d: number) => new Intl.NumberFormat(locale(lang), { maximumFractionDigits: d, minimumFractionDigits: d }).format(v);
  const a = Math.abs(m2);
  if (a < 10_000) return `${nf(m2, 0)} m²`;
  if (a < 1_000_000) return `${nf(m2 / 10_000, 2)} ${lang === 'zh' ? '公顷' : 'ha'}`;
  return `${nf(m2 / 1_000_000, 2)} km²`;
}

/** Distance in metres: "350 m", "1.2 km". */
export function formatDistance(m: number | null | undefined, lang: Lang): string {
  if (m === null || m === undefined || !Number.isFinite(m)) return '—';
  if (Math.abs(m) < 1000) return `${Math.round(m)} m`;
  return `${new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(m / 1000)} km`;
}

/** Any attribute value as popup text. */
export function formatValue(v: unknown, lang: Lang, yes: string, no: string): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? yes : no;
  if (typeof v === 'number') return Number.isInteger(v) ? formatCount(v, lang) : new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 2 }).format(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * The headline percentage of an indicator against its target, never rounded up to a target it
 * misses: the value is rounded by roundShown (99.985 % is not "100.0 %"), and when it falls short it gets
 * enough decimals (1–4) that the shortfall shows, to about two significant digits (99.985 %
 * → "99.985%", to target "0.015%"). The shortfall shown is the target minus the value shown.
 */
export function headlinePercent(ratio: number | null | undefined, target: number, lang: Lang): { value: string; gap: string; digits: number; met: boolean | null } {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return { value: '—', gap: '—', digits: 1, met: null };
  const met = ratio >= target;
  const gapPct = (target - ratio) * 100;
  const digits = met ? 1 : Math.min(4, Math.max(1, Math.ceil(-Math.log10(gapPct)) + 1));
  const shown = roundShown(ratio * 100, digits, target * 100);
  const gap = met ? 0 : Math.max(0, target * 100 - shown);
  const nf = (v: number) => new Intl.NumberFormat(locale(lang), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  return { value: `${nf(shown)}%`, gap: `${nf(Number(gap.toFixed(digits)))}%`, digits, met };
}

/**
 * The one rounding rule of every figure cityreach shows (internal/report Round, which the
 * CLI and the reports use, written again here step for step so the page, the CLI and the
 * report print the same digits): v rounded half away from zero at digits decimals, except
 * that a value below limit is never rounded up to it; it is cut instead (99.96 % at one
 * decimal below 100 % is 99.9 %, not 100.0 %).
 */
export function roundShown(v: number, digits: number, limit = Infinity): number {
  const p = 10 ** digits;
  let r = (Math.sign(v) * Math.round(Math.abs(v * p))) / p;
  if (v < limit && r >= limit) {
    r = Math.floor(v * p) / p;
    if (r >= limit) r = (Math.floor(v * p) - 1) / p; // v within a float ulp of the limit
  }
  return r === 0 ? 0 : r;
}

/** A per-capita figure (m²/人) at two decimals by roundShown, never rounded up to its target: 8.027 → "8.03", 7.999 below 8 → "7.99". */
export function formatPerCapita(v: number | null | undefined, lang: Lang, target = Infinity): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return new Intl.NumberFormat(locale(lang), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(roundShown(v, 2, target));
}

/** An instant in Beijing time (UTC+8, no daylight saving): "2026-12-07 14:04". */
export function formatBeijing(iso: string | Date | null | undefined): string {
  if (!iso) return '—';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const b = new Date(d.getTime() + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${b.getUTCFullYear()}-${p(b.getUTCMonth() + 1)}-${p(b.getUTCDate())} ${p(b.getUTCHours())}:${p(b.getUTCMinutes())}`;
}
