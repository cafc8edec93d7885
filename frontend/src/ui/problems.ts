// The 问题清单 card (issue 21, docs/problems.md): the problems of the city between two data
// editions (the earlier and the later; the later may be now) drawn on the map by status, with
// filters by indicator, status and district, the counts, the 整治率 of the city and its
// districts, a list of the problems with their remedies, and the GeoJSON and XLSX exports.
// The filters apply in the browser (a MapLibre filter and the list); a new pair of editions
// asks the service again. The ledger computes both editions' indicators (minutes on a large
// city): it is asked for only once the planner asks (the button or the map checkbox).
import { type Ctx, h, stateMessage } from '../ctx';
import { editionsUrl, getJSON, problemsUrl } from '../api';
import { formatPercent } from '../format';
import { parseLedger, keepProblem, problemLayerFilter, countByStatus, PROBLEM_INDICATORS, PROBLEM_STATUSES, STATUS_COLORS, type Ledger, type ProblemFilter } from '../problems';
import { bboxOf, setOverlayData, setOverlayVisible } from './overlays';

/** Rows of the list shown at most; the exports hold every problem. */
const MAX_ROWS = 200;

export function problemsCard(ctx: Ctx): HTMLElement {
  const body = h('div', { id: 'problems-out' });
  const el = h('section', { class: 'card', id: 'problems-card', 'aria-labelledby': 'problems-h' }, h('h2', { id: 'problems-h', 'data-i18n': 'pl.title' }), body);
  const state: { editions: string[]; from: string; to: string; ledger: Ledger | null; raw: GeoJSON.FeatureCollection | null; shown: boolean; filter: ProblemFilter; loading: boolean; failed: boolean; asked: boolean } = {
    editions: [], from: '', to: '', ledger: null, raw: null, shown: false, filter: { indicator: '', status: '', district: '' }, loading: false, failed: false, asked: false,
  };

  const applyMap = () => {
    if (state.raw) setOverlayData(ctx, 'problems', state.raw);
    setOverlayVisible(ctx, 'problems', state.shown && state.raw !== null);
    for (const [layer, kind] of [['problems-fill', 'problem'], ['problems-line', 'problem'], ['problems-sites', 'site']] as const) {
      if (ctx.map.getLayer(layer)) ctx.map.setFilter(layer, problemLayerFilter(state.filter, kind) as never);
    }
  };

  const load = async () => {
    if (!state.asked) { render(); return; }
    state.loading = true; state.failed = false; render();
    const r = await getJSON<GeoJSON.FeatureCollection>(problemsUrl({ from: state.from || null, to: state.to || null, format: 'geojson', lang: ctx.lang() }));
    state.loading = false;
    if (!r.ok) { state.failed = true; state.ledger = null; state.raw = null; render(); return; }
    state.raw = r.data; state.ledger = parseLedger(r.data);
    applyMap(); render();
  };

  const select = (id: string, options: [string, string][], cur: string, set: (v: string) => void) => {
    const s = h('select', { id }, ...options.map(([v, label]) => h('option', { value: v, selected: v === cur }, label)));
    s.addEventListener('change', () => set(s.value));
    return s;
  };

  const render = () => {
    const i = ctx.i18n();
    const L = ctx.lang();
    const eds: [string, string][] = state.editions.map((e) => [e, e]);
    const show = h('input', { type: 'checkbox', id: 'problems-show', checked: state.shown });
    show.addEventListener('change', () => {
      state.shown = show.checked;
      if (state.shown && !state.asked) { state.asked = true; void load(); return; }
      applyMap();
      const bb = state.raw ? bboxOf(state.raw) : null;
      if (state.shown && bb) ctx.map.fitBounds(bb, { padding: 40, duration: 500 });
    });
    const controls = h('div', { class: 'row wrap' },
      h('label', {}, i.t('pl.from'), ' ', select('problems-from', [['', i.t('pl.fromDefault')], ...eds], state.from, (v) => { state.from = v; void load(); })),
      h('label', {}, i.t('pl.to'), ' ', select('problems-to', [['', i.t('tl.now')], ...eds], state.to, (v) => { state.to = v; void load(); })));
    const led = state.ledger;
    const districts: [string, string][] = (led?.districts ?? []).map((d) => [d.code, d.name || d.code]);
    const filters = h('div', { class: 'row wrap' },
      h('label', {}, i.t('pl.indicator'), ' ', select('problems-indicator', [['', i.t('pl.all')], ...PROBLEM_INDICATORS.map((k): [string, string] => [k, i.t(`pl.ind.${k}`)])],
        state.filter.indicator, (v) => { state.filter.indicator = v; applyMap(); render(); })),
      h('label', {}, i.t('pl.status'), ' ', select('problems-status', [['', i.t('pl.all')], ...PROBLEM_STATUSES.map((k): [string, string] => [k, i.t(`pl.st.${k}`)])],
        state.filter.status, (v) => { state.filter.status = v; applyMap(); render(); })),
      h('label', {}, i.t('pl.district'), ' ', select('problems-district', [['', i.t('pl.all')], ...districts],
        state.filter.district, (v) => { state.filter.district = v; applyMap(); render(); })));
    const parts: (Node | string)[] = [h('label', {}, show, i.t('pl.show')), controls, filters];
    if (!state.asked) {
      const go = h('button', { type: 'button', class: 'btn', id: 'problems-load' }, i.t('pl.load'));
      go.addEventListener('click', () => { state.asked = true; void load(); });
      parts.push(h('p', {}, go, ' ', h('small', {}, i.t('pl.loadHelp'))));
    } else if (state.loading) { const p = h('div', {}); stateMessage(p, ctx, 'loading'); parts.push(p); }
    else if (state.failed) { const p = h('div', {}); stateMessage(p, ctx, 'error'); parts.push(p); }
    else if (led) {
      const kept = led.problems.filter((p) => keepProblem(p, state.filter));
      const counts = countByStatus(kept);
      parts.push(h('p', { id: 'problems-counts' }, ...PROBLEM_STATUSES.filter((s) => counts[s] > 0 || s !== 'open').map((s) =>
        h('span', { class: 'legend-item', 'data-status': s }, h('span', { class: 'swatch', style: `background:${STATUS_COLORS[s]};opacity:.7` }), `${i.t(`pl.st.${s}`)} ${counts[s]}`))));
      const rateLine = (name: string, r: { earlier: number; fixed: number; rate: number | null }) =>
        h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, String(r.earlier)), h('td', {}, String(r.fixed)), h('td', { class: 'rate' }, r.rate === null ? '—' : formatPercent(r.rate, L)));
      if (led.from && led.rate) {
        parts.push(h('table', { id: 'problems-rates', class: 'data' },
          h('caption', {}, i.t('pl.rateCaption', { from: led.from, to: led.to ?? i.t('tl.now') })),
          h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, i.t('pl.earlier')), h('th', {}, i.t('pl.fixed')), h('th', {}, i.t('pl.rate')))),
          h('tbody', {}, rateLine(i.t('pl.city'), led.rate), ...led.districts.filter((d) => !state.filter.district || d.code === state.filter.district).map((d) => rateLine(d.name || d.code, d)))));
      } else {
        parts.push(h('p', {}, i.t('pl.noEarlier')));
      }
      const rows = kept.slice(0, MAX_ROWS).map((p) => h('tr', { 'data-id': p.id, 'data-status': p.status },
        h('td', {}, i.t(`pl.st.${p.status}`)), h('td', {}, i.t(`pl.ind.${p.indicator}`)), h('td', {}, `${p.unitName}`),
        h('td', {}, p.value === null ? '—' : formatPercent(p.value, L)), h('td', {}, p.remedy)));
      parts.push(h('div', { class: 'scroll' }, h('table', { id: 'problems-list', class: 'data' },
        h('thead', {}, h('tr', {}, h('th', {}, i.t('pl.status')), h('th', {}, i.t('pl.indicator')), h('th', {}, i.t('pl.unit')), h('th', {}, i.t('pl.value')), h('th', {}, i.t('pl.remedy')))),
        h('tbody', {}, ...rows))));
      if (kept.length > MAX_ROWS) parts.push(h('p', {}, i.t('pl.more', { n: kept.length - MAX_ROWS })));
      const link = (format: 'geojson' | 'xlsx', label: string) => h('a', { class: 'btn', id: `problems-${format}`, href: problemsUrl({ from: state.from || null, to: state.to || null, format, lang: L }), download: `problems.${format}` }, label);
      parts.push(h('p', {}, i.t('exp.reportFiles'), ' ', link('geojson', 'GeoJSON'), ' ', link('xlsx', 'XLSX')));
    }
    body.replaceChildren(...parts);
  };

  (async () => {
    stateMessage(body, ctx, 'loading');
    const r = await getJSON<{ editions?: { name?: string }[] }>(editionsUrl());
    if (r.ok) state.editions = (r.data.editions ?? []).map((e) => String(e.name ?? '')).filter((n) => n !== '');
    render();
  })();
  ctx.onLang(() => { void load(); });
  return el;
}
