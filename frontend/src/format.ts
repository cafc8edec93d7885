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
