// Why the server refused a write, in the page's language (issue 18 item 5): the members of
// the problem+json (constraint, reason, attribute, pointer, status) mapped to the i18n keys
// of src/refusalStrings.ts; what the table lacks falls back to the server's English detail,
// and the message says so.
import { STRINGS, translate, type Lang } from './i18n';

/** The members of a refusal the page reads. */
export interface Problem {
  status: number;
  detail?: string;
  title?: string;
  constraint?: string;
  attribute?: string;
  reason?: string;
  pointer?: string;
  location?: number[];
}

/** How a refusal was put into words: `source` says which member was translated, or
 *  `server` when the message is the server's English detail (the table lacks it). */
export interface Refusal { text: string; source: 'constraint' | 'reason' | 'attribute' | 'kind' | 'server' }

const has = (k: string) => STRINGS[k] !== undefined;

/** The message of a named constraint, or null when the table does not know it. */
export function constraintMessage(name: string, lang: Lang, layerName: (table: string) => string = (t) => t, detail = ''): string | null {
  if (has(`con.${name}`)) return translate(lang, `con.${name}`);
  for (const suffix of Object.keys(STRINGS).filter((k) => k.startsWith('con.table.')).map((k) => k.slice('con.table.'.length))) {
    if (!name.endsWith(suffix) || name.length === suffix.length) continue;
    // The extent trigger's detail ends with the point that lies outside: "… it reaches 123.4, 5.6".
    const pt = /reaches (-?[\d.]+), (-?[\d.]+)\s*$/.exec(detail);
    const where = pt ? translate(lang, 'refuse.reaches', { x: pt[1], y: pt[2] }) : '';
    return translate(lang, `con.table.${suffix}`, { layer: layerName(name.slice(0, -suffix.length)), where });
  }
  return null;
}

/** The refusal p in lang: the constraint, else the geometry's reason, else the attribute,
 *  else the kind (status); the server's detail is kept, marked as the server's words, where
 *  no member says enough. layerName names a table (parks → 公园绿地), attrName an attribute. */
export function refusalMessage(p: Problem, lang: Lang, layerName?: (table: string) => string, attrName: (a: string) => string = (a) => a): Refusal {
  const t = (k: string, params?: Record<string, string | number>) => translate(lang, k, params);
  const detail = String(p.detail ?? p.title ?? '').trim();
  const server = t('refuse.server', { detail });
  if (p.constraint) {
    const m = constraintMessage(p.constraint, lang, layerName, detail);
    if (m) return { text: m, source: 'constraint' };
    return { text: `${t('refuse.rule', { name: p.constraint })}; ${server}`, source: 'server' };
  }
  if (p.reason) {
    // The location as PostGIS gives it, to 6 decimals (0.1 m in degrees).
    const at = p.location?.length === 2 ? t('refuse.at', { x: +p.location[0].toFixed(6), y: +p.location[1].toFixed(6) }) : '';
    if (has(`geom.${p.reason}`)) return { text: t(`geom.${p.reason}`) + at, source: 'reason' };
    return { text: `${t('refuse.invalidGeometry')}${at}; ${server}`, source: 'server' };
  }
  if (p.attribute) {
    if (p.attribute === 'geometry') return { text: t('refuse.attr.geometry'), source: 'attribute' };
    const kind = /^unknown attribute/.test(detail) ? 'unknown' : /is required/.test(detail) ? 'required' : 'invalid';
    const text = t(`refuse.attr.${kind}`, { attr: attrName(p.attribute) });
    return { text: kind === 'invalid' ? `${text}; ${server}` : text, source: 'attribute' };
  }
  if (has(`refuse.kind.${p.status}`)) return { text: detail ? `${t(`refuse.kind.${p.status}`)}; ${server}` : t(`refuse.kind.${p.status}`), source: 'kind' };
  return { text: detail ? server : String(p.status), source: 'server' };
}
