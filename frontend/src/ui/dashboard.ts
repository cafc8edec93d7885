// The indicator dashboard: park service-radius coverage (caliber and method selectable)
// against the 2030 target of 100 %, per district; the gap layer and the candidate pocket-park
// sites; the living-circle categories and complete circles against 30; complete communities
// against 40; the corridor and control-line checks; and a choropleth of the communities.
// A section whose endpoint answers 404 says 暂无数据 and the rest carry on.
import { type Ctx, h, stateMessage } from '../ctx';
import {
  getJSON, coverageUrl, coverageSitesUrl, coverageSitingUrl, calibersUrl, livingCircleUrl, checkUrl, DEFAULT_CITY,
  type CoverageQuery,
} from '../api';
import {
  parseCoverage, parseCompleteRule, parseCalibers, parseCityDefault, parseLivingCircle, parseCountCheck, parseRatioCheck, parseSites, parseSitePlan, parseSiting, parseControlLines,
  initialSelection, methodFor, DEFAULT_CALIBERS, type Coverage, type Caliber, type Method,
  sitePlanNotes,
} from '../model';
import { formatPercent, formatArea, formatCount, headlinePercent, formatPerCapita, formatBeijing } from '../format';
import { exportTable, type Table } from '../export';
import { setGapTiles, setPlanningTiles } from './overlays';
import { colorFor, equalBreaks, stepExpression, SEQUENTIAL } from '../colors';
import { barChart, autoResize } from './charts';
import { setOverlayData, setOverlayVisible, bboxOf } from './overlays';
import { timeline } from './timeline';
import { peopleSelectors, capacityCard, type People } from './capacity';

function progress(id: string, ratio: number | null, target: number, label: string): HTMLElement {
  const pct = ratio === null ? 0 : Math.max(0, Math.min(1, ratio / target)) * 100;
  return h('div', { class: 'progress', id, role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct.toFixed(1) },
    h('div', { class: 'bar', style: `width:${pct.toFixed(2)}%;background:${colorFor(ratio ?? 0, [0.5, 0.7, 0.85, 0.95].map((x) => x * target))}` }));
}

/** CSV and XLSX buttons for a table, built when clicked. */
function exportButtons(id: string, table: () => Table): HTMLElement {
  const b = (kind: 'csv' | 'xlsx') => h('button', { type: 'button', class: 'btn small', id: `export-${id}-${kind}`, 'data-i18n': `exp.${kind}`, onclick: () => { exportTable(table(), kind); } }, kind.toUpperCase());
  return h('div', { class: 'row export', 'aria-label': 'export' }, h('span', { class: 'caption', 'data-i18n': 'exp.tables' }), b('xlsx'), b('csv'));
}

/** The coverage table by unit as exported: names, ids, the ratios and the areas behind them. */
export function coverageTable(c: Coverage, name: string): Table {
  return {
    name, percent: [2, 3],
    header: ['单元/Unit', 'ID', '居住用地面积覆盖率/Area coverage', '人口覆盖率/Population coverage', '居住用地/Residential m²', '已覆盖/Covered m²', '人口/Population', '覆盖人口/Covered'],
    rows: [c.city, ...c.units].map((u) => [u.name || '全市/City', u.id, u.areaRatio, u.popShare, u.totalM2 ?? null, u.coveredM2 ?? null, u.population ?? null, u.coveredPopulation ?? null]),
  };
}

function section(id: string, titleKey: string): { el: HTMLElement; body: HTMLElement } {
  const body = h('div', { class: 'section-body' });
  const el = h('section', { class: 'card', id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h`, 'data-i18n': titleKey }), body);
  return { el, body };
}

export function dashboard(ctx: Ctx): HTMLElement {
  autoResize();
  const root = h('div', { class: 'dashboard' });
  // Until /api/v1/calibers answers with the city's default caliber, the first known one.
  // asOf: the data edition the timeline chose (its name), null for now.
  const state: { caliber: string; method: Method; calibers: Caliber[]; coverage: Coverage | null; sitesN: number; asOf: string | null; asOfAt: string | null } = {
    ...initialSelection(DEFAULT_CALIBERS, { caliber: null }), calibers: DEFAULT_CALIBERS, coverage: null, sitesN: 10, asOf: null, asOfAt: null,
  };
  let cityDefault: string | null = null;
  // The age band and walking profile every population figure is asked under (park coverage
  // takes the band; the living circle and capacity take both).
  const people: People = { band: null, profile: null };
  const q = (): CoverageQuery => ({ caliber: state.caliber, method: state.method, asOf: state.asOf, band: people.band });
  // The latest request of each panel wins: an edition chosen while another loads.
  let covSeq = 0, lcSeq = 0;

  // --- park coverage ---------------------------------------------------------------------
  const cov = section('ind-coverage', 'ind.coverage');
  const calSel = h('select', { id: 'cov-caliber' });
  const methSel = h('select', { id: 'cov-method' });
  const covOut = h('div', { id: 'cov-out', 'aria-live': 'polite' });
  const gapsBox = h('input', { type: 'checkbox', id: 'cov-gaps' });
  const sitesBox = h('input', { type: 'checkbox', id: 'cov-sites' });
  const sitesN = h('select', { id: 'cov-sites-n' }, ...[5, 10, 20].map((n) => h('option', { value: n, selected: n === state.sitesN }, String(n))));
  const gapsOut = h('div', { id: 'gaps-out' });
  const sitesOut = h('div', { id: 'sites-out' });
  const sitingBox = h('input', { type: 'checkbox', id: 'cov-siting' });
  const sitingWeight = h('select', { id: 'cov-siting-weight' }, ...(['area', 'population'] as const).map((w) => h('option', { value: w, 'data-i18n': `ind.sitingWeight.${w}` })));
  const sitingOut = h('div', { id: 'siting-out', 'aria-live': 'polite' });
  cov.body.append(
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'ind.caliber' }), calSel),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'ind.method' }), methSel),
    covOut,
    h('div', { class: 'row wrap' }, h('label', {}, gapsBox, h('span', { 'data-i18n': 'ind.showGaps' })), gapsOut),
    h('div', { class: 'row wrap' }, h('label', {}, sitesBox, h('span', { 'data-i18n': 'ind.showSites' })), h('label', {}, h('span', { 'data-i18n': 'ind.sitesN' }), sitesN)),
    sitesOut,
    h('div', { class: 'row wrap' }, h('label', {}, sitingBox, h('span', { 'data-i18n': 'ind.siting' })),
      h('label', {}, h('span', { 'data-i18n': 'ind.sitingWeight' }), sitingWeight)),
    sitingOut);

  const fillSelects = () => {
    const i = ctx.i18n();
    calSel.replaceChildren(...state.calibers.map((c) => h('option', { value: c.id, selected: c.id === state.caliber }, ctx.lang() === 'en' ? c.nameEn : c.name)));
    methSel.replaceChildren(...(['buffer', 'network'] as const).map((m) => h('option', { value: m, selected: m === state.method }, i.t(`ind.method.${m}`))));
  };

  const renderCoverage = () => {
    const c = state.coverage;
    if (!c) return;
    const i = ctx.i18n();
    const L = ctx.lang();
    const hl = headlinePercent(c.city.areaRatio, c.target, L);
    const chartEl = h('div', { class: 'chart', id: 'cov-chart', role: 'img', 'aria-label': i.t('ind.byDistrict') });
    // The page always names its caliber and method; say whether they are the defaults.
    const from = (f: string) => i.t(`from.${f}`);
    c.caliberFrom = c.caliber === cityDefault ? 'city default' : 'request';
    c.methodFrom = c.caliber !== null && c.method === methodFor(state.calibers, c.caliber, 'buffer') ? 'caliber default' : 'request';
    const calName = state.calibers.find((x) => x.id === c.caliber);
    ctx.figure = { caliber: c.caliber ?? '', caliberName: calName ? (L === 'en' ? calName.nameEn : calName.name) : c.caliber ?? '', method: c.method ?? '', dataHash: c.run.dataHash, computedAt: c.run.computedAt };
    // GB 55014-2021's per-capita targets (shared/docs/standards.md §1): > 8.0, > 3.0, > 3.0 m²/人.
    const pc: [string, number | null, number][] = [['ind.pcPark', c.perCapita.park, 8], ['ind.pcComprehensive', c.perCapita.comprehensive, 3], ['ind.pcCommunity', c.perCapita.community, 3]];
    covOut.replaceChildren(
      ...(state.asOf ? [h('p', { class: 'help asof', id: 'cov-asof', 'data-edition': state.asOf }, i.t('ind.asOf', { edition: state.asOf, at: formatBeijing(state.asOfAt) }))] : []),
      h('p', { class: 'help', id: 'cov-under', 'data-caliber': c.caliber ?? '', 'data-method': c.method ?? '' },
        i.t('ind.under', { cal: calName ? (L === 'en' ? calName.nameEn : calName.name) : c.caliber ?? '—', calFrom: from(c.caliberFrom),
          method: c.method ? i.t(`ind.method.${c.method}`) : '—', methodFrom: from(c.methodFrom) })),
      h('div', { class: 'figure' },
        h('span', { class: 'big', id: 'cov-city', 'data-value': c.city.areaRatio ?? '', 'data-digits': hl.digits }, hl.value),
        h('span', { class: 'caption' }, i.t('ind.areaRatio'))),
      h('div', { class: 'figure small' },
        h('span', { id: 'cov-city-pop', 'data-value': c.city.popShare ?? '', 'data-band': covBand ?? '' }, formatPercent(c.city.popShare, L)),
        h('span', { class: 'caption' }, i.t('ind.popShare'))),
      progress('cov-progress', c.city.areaRatio, c.target, i.t('ind.areaRatio')),
      h('p', { class: 'target', id: 'cov-target' }, `${i.t('ind.target2030')} ${formatPercent(c.target, L, 0)} · ${i.t('ind.gap')} `, h('span', { id: 'cov-gap' }, hl.gap),
        c.gapM2 !== null ? ` · ${i.t('ind.gapArea')} ${formatArea(c.gapM2, L)}` : ''),
      ...(c.thresholds.length ? [h('p', { class: 'target', id: 'cov-thresholds' }, `${i.t('ind.threshold')}：`,
        ...c.thresholds.map((t, k) => h('span', { class: t.met === false ? 'miss' : 'ok', 'data-met': String(t.met) }, `${k ? '；' : ''}${t.label} ${t.met === null ? '' : t.met ? `✓${i.t('ind.met')}` : `✗${i.t('ind.notMet')}`}`)))] : []),
      h('table', { class: 'compact', id: 'cov-percapita', 'aria-label': i.t('ind.perCapita') },
        h('caption', {}, i.t('ind.perCapita')),
        h('tbody', {}, ...pc.map(([k, v, t]) => h('tr', { 'data-met': String(v === null ? '' : v > t) }, h('th', { scope: 'row' }, i.t(k)),
          h('td', {}, v === null ? '—' : `${formatPerCapita(v, L, t)} m²/${L === 'zh' ? '人' : 'person'}`), h('td', { class: v !== null && v > t ? 'ok' : 'miss' }, i.t('ind.pcTarget', { t: t.toFixed(1) })))))),
      h('p', { class: 'help', id: 'cov-provenance', 'data-hash': c.run.dataHash ?? '' }, i.t('ind.provenance', { hash: c.run.dataHash ?? '—', at: formatBeijing(c.run.computedAt) })),
      h('h3', {}, i.t('ind.byDistrict')),
      chartEl,
      exportButtons('cov-table', () => coverageTable(c, i.t('ind.byDistrict'))),
      h('table', { class: 'compact', id: 'cov-table' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, i.t('ind.areaRatio')), h('th', {}, i.t('ind.popShare')))),
        h('tbody', {}, ...c.units.map((u) => h('tr', { 'data-unit': u.id ?? '' }, h('th', { scope: 'row' }, u.name),
          h('td', { 'data-value': u.areaRatio ?? '' }, headlinePercent(u.areaRatio, c.target, L).value), h('td', {}, formatPercent(u.popShare, L)))))));
    requestAnimationFrame(() => barChart(chartEl, {
      labels: c.units.map((u) => u.name), values: c.units.map((u) => u.areaRatio), target: c.target,
      targetLabel: `${i.t('ind.target2030')} ${formatPercent(c.target, L, 0)}`,
      colorFor: (v) => colorFor(v, [0.5, 0.7, 0.85, 0.95].map((x) => x * c.target)),
    }));
  };

  let covBand: string | null = null; // the band the shown coverage was asked under
  const loadCoverage = async () => {
    stateMessage(covOut, ctx, 'loading');
    const my = ++covSeq;
    const band = people.band;
    const r = await getJSON<unknown>(coverageUrl({ ...q(), level: 'district' }));
    if (my !== covSeq) return;
    if (!r.ok) { state.coverage = null; stateMessage(covOut, ctx, r.missing ? 'unavailable' : 'error', r.missing ? undefined : r.message); return; }
    state.coverage = parseCoverage(r.data);
    covBand = band;
    const asOf = (r.data as { as_of?: { at?: string } } | null)?.as_of;
    state.asOfAt = asOf?.at ?? null;
    if (state.coverage.city.areaRatio === null) { // no city total in the district answer: ask for it
      const c = await getJSON<unknown>(coverageUrl({ ...q(), level: 'city' }));
      if (my !== covSeq) return;
      if (c.ok) state.coverage.city = parseCoverage(c.data).city;
    }
    renderCoverage();
    if (gapsBox.checked) loadGaps();
    if (sitesBox.checked) loadSites();
    if (sitingBox.checked) loadSiting();
    if (choroSel.value !== 'none') loadChoropleth();
  };

  // The gaps are the park_coverage_gaps tile layer under the dashboard's caliber and method
  // (docs/tiles.md): no 10 MB GeoJSON. Their total area is the coverage answer's.
  const loadGaps = async () => {
    setGapTiles(ctx, q());
    setOverlayVisible(ctx, 'gaps', gapsBox.checked);
    const c = state.coverage;
    gapsOut.replaceChildren(h('span', { class: 'legend-item', id: 'gaps-area' }, h('span', { class: 'swatch', style: 'background:#e31a1c;opacity:.6' }),
      c?.gapM2 != null ? `${ctx.i18n().t('ind.gapArea')} ${formatArea(c.gapM2, ctx.lang())}` : ''));
  };

  const loadSites = async () => {
    stateMessage(sitesOut, ctx, 'loading');
    const r = await getJSON<unknown>(coverageSitesUrl({ caliber: state.caliber, method: state.method, n: state.sitesN, asOf: state.asOf }));
    if (!r.ok) { stateMessage(sitesOut, ctx, r.missing ? 'unavailable' : 'error'); setOverlayVisible(ctx, 'sites', false); return; }
    const sites = parseSites(r.data);
    const plan = parseSitePlan(r.data);
    const i0 = ctx.i18n();
    const note = sitePlanNotes(plan).map((n) => i0.t(n.key, { ...n.params, park: i0.t(`park.${n.params.cls ?? 'garden'}`) })).join(ctx.lang() === 'zh' ? '；' : '; ') || undefined;
    setOverlayData(ctx, 'sites', { type: 'FeatureCollection', features: sites.map((s) => ({ ...s.feature, properties: { ...s.feature.properties, rank: s.rank } })) });
    setOverlayVisible(ctx, 'sites', sitesBox.checked);
    const i = ctx.i18n();
    const L = ctx.lang();
    if (sites.length === 0) { stateMessage(sitesOut, ctx, 'empty', note); return; }
    const park = plan.parkClass ? i.t(plan.pocket ? 'park.pocket' : `park.${plan.parkClass}`) : '—';
    sitesOut.replaceChildren(
      h('p', { class: 'help', id: 'sites-park', 'data-class': plan.parkClass ?? '', 'data-pocket': String(plan.pocket), 'data-method': plan.method ?? '' },
        `${i.t('ind.sitePark', { park, area: formatArea(plan.areaM2, L), r: plan.radiusM ?? '—' })} · ${plan.method ? i.t(`ind.method.${plan.method}`) : ''}`),
      ...(note ? [h('p', { class: 'help', id: 'sites-note' }, note)] : []),
      exportButtons('sites', () => ({ name: i.t('ind.sites'), header: ['#', i.t('ind.siteGain') + ' (m²)', i.t('attr.gain_population'), i.t('ind.reach'), i.t('attr.lon'), i.t('attr.lat')],
        percent: [3], rows: sites.map((s) => [s.rank, s.gain, Number(s.feature.properties?.gain_population ?? null) || null, s.reach,
          (s.feature.geometry as GeoJSON.Point).coordinates?.[0] ?? null, (s.feature.geometry as GeoJSON.Point).coordinates?.[1] ?? null]) })),
      h('ol', { class: 'sites', id: 'sites-list' }, ...sites.map((s) => h('li', {},
      h('button', { type: 'button', class: 'link', onclick: () => { const b = bboxOf([s.feature]); if (b) ctx.map.flyTo({ center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], zoom: 15 }); } },
        `#${s.rank} · ${i.t('ind.siteGain')} ${formatArea(s.gain, L)}${s.reach !== null ? ` · ${i.t('ind.reach')} ${formatPercent(s.reach, L)}` : ''}`)))));
  };

  // The optimal siting: the best sitesN parks with their bound, and the parks each
  // coverage target needs (docs/siting.md), drawn as a cost–coverage bar chart.
  let sitingSeq = 0;
  const loadSiting = async () => {
    const my = ++sitingSeq;
    stateMessage(sitingOut, ctx, 'loading');
    const weight = sitingWeight.value === 'population' ? 'population' : 'area';
    const r = await getJSON<unknown>(coverageSitingUrl({ caliber: state.caliber, method: state.method, k: state.sitesN, weight }));
    if (my !== sitingSeq) return;
    if (!r.ok) { stateMessage(sitingOut, ctx, r.missing ? 'unavailable' : 'error', r.missing ? undefined : r.message); return; }
    const s = parseSiting(r.data);
    const i = ctx.i18n();
    const L = ctx.lang();
    const pc = (v: number | null) => (v === null ? '—' : formatPercent(v, L));
    setOverlayData(ctx, 'sites', { type: 'FeatureCollection', features: s.sites });
    setOverlayVisible(ctx, 'sites', true);
    const chartEl = h('div', { class: 'chart', id: 'siting-chart', role: 'img', 'aria-label': i.t('ind.siting') });
    sitingOut.replaceChildren(
      h('p', { class: 'help', id: 'siting-best', 'data-optimal': String(s.optimal), 'data-gap': s.gap ?? '' },
        `${i.t('ind.sitingBest', { k: s.k ?? '—', predicted: pc(s.predicted), greedy: pc(s.greedy), bound: pc(s.bound) })} · ${s.optimal ? i.t('ind.sitingOptimal') : i.t('ind.sitingGap', { gap: pc(s.gap) })}`),
      chartEl,
      h('ul', { class: 'sites', id: 'siting-curve' }, ...s.curve.map((p) => h('li', { 'data-target': p.target, 'data-low': p.low, 'data-high': p.high },
        p.capped ? `${i.t('ind.sitingCapped', { target: pc(p.target), share: pc(p.share) })} · ` : '',
        i.t('ind.sitingPoint', { target: pc(p.share), parks: p.low === p.high ? String(p.high) : `${p.low}–${p.high}`, greedy: p.greedy ?? '—' })))));
    barChart(chartEl, {
      labels: [i.t('ind.sitingNow'), ...s.curve.map((p) => i.t('ind.sitingParks', { n: p.low === p.high ? p.high : `${p.low}–${p.high}` }))],
      values: [s.now, ...s.curve.map((p) => p.share)],
    });
  };
  sitingBox.addEventListener('change', () => { if (sitingBox.checked) loadSiting(); else { sitingOut.replaceChildren(); setOverlayVisible(ctx, 'sites', sitesBox.checked); } });
  sitingWeight.addEventListener('change', () => { if (sitingBox.checked) loadSiting(); });

  // A caliber brings its own default method: switching caliber resets the method to it.
  calSel.addEventListener('change', () => { state.caliber = calSel.value; state.method = methodFor(state.calibers, state.caliber, state.method); fillSelects(); loadCoverage(); tl.reload(); });
  methSel.addEventListener('change', () => { state.method = methSel.value as Method; loadCoverage(); tl.reload(); });
  gapsBox.addEventListener('change', () => { if (gapsBox.checked) loadGaps(); else { setOverlayVisible(ctx, 'gaps', false); gapsOut.replaceChildren(); } });
  sitesBox.addEventListener('change', () => { if (sitesBox.checked) loadSites(); else { setOverlayVisible(ctx, 'sites', false); sitesOut.replaceChildren(); } });
  sitesN.addEventListener('change', () => { state.sitesN = +sitesN.value; if (sitesBox.checked) loadSites(); });

  // --- living circle ---------------------------------------------------------------------
  const lc = section('ind-living', 'ind.livingCircle');
  let lcData: ReturnType<typeof parseLivingCircle> | null = null;
  let lcMissing: 'unavailable' | 'error' | null = null;
  let lcFor: People = { band: null, profile: null }; // what the shown circle was asked under
  const renderLiving = () => {
    if (lcMissing) { stateMessage(lc.body, ctx, lcMissing); return; }
    if (!lcData) { stateMessage(lc.body, ctx, 'loading'); return; }
    const i = ctx.i18n();
    const L = ctx.lang();
    const chartEl = h('div', { class: 'chart tall', id: 'lc-chart', role: 'img', 'aria-label': i.t('ind.categories') });
    lc.body.replaceChildren(
      h('div', { class: 'figure' }, h('span', { class: 'big', id: 'lc-complete', 'data-value': lcData.completeCircles ?? '', 'data-band': lcFor.band ?? '', 'data-profile': lcFor.profile ?? '' }, lcData.completeCircles === null ? '—' : formatCount(lcData.completeCircles, L)),
        h('span', { class: 'caption' }, `${i.t('ind.completeCircles')} · ${i.t('ind.ofTarget', { target: lcData.target })}`)),
      progress('lc-progress', lcData.completeCircles, lcData.target, i.t('ind.completeCircles')),
      h('p', { class: 'help rule', id: 'lc-rule' }, i.t('ind.lcRule', { share: formatPercent(lcData.share, L, 0) })),
      h('h3', {}, i.t('ind.categories')), chartEl,
      exportButtons('lc', () => ({ name: i.t('ind.categories'), header: [i.t('attr.category'), i.t('ind.areaRatio'), i.t('ind.popShare')], percent: [1, 2],
        rows: lcData!.categories.map((c) => [i.t(`cat.${c.category}`), c.areaRatio, c.popShare]) })));
    const cats = lcData.categories;
    requestAnimationFrame(() => barChart(chartEl, { horizontal: true, labels: cats.map((c) => i.t(`cat.${c.category}`)), values: cats.map((c) => c.areaRatio ?? c.popShare), target: 1,
      colorFor: (v) => colorFor(v, [0.5, 0.7, 0.85, 0.95]) }));
  };
  const loadLiving = async () => {
    const my = ++lcSeq;
    if (lcData) { lcData = null; renderLiving(); }
    const asked = { ...people };
    const r = await getJSON<unknown>(livingCircleUrl({ level: 'city', asOf: state.asOf, band: asked.band, profile: asked.profile }));
    if (my !== lcSeq) return;
    lcFor = asked;
    lcMissing = null;
    if (!r.ok) lcMissing = r.missing ? 'unavailable' : 'error'; else lcData = parseLivingCircle(r.data);
    renderLiving();
  };

  // --- checks: complete communities, corridors, control lines --------------------------
  const cc = section('ind-complete', 'ind.completeCommunities');
  const corr = section('ind-corridors', 'ind.corridors');
  const lines = section('ind-lines', 'ind.growthCheck');
  const checkRenderers: (() => void)[] = [];
  const loadCheck = async (s: { body: HTMLElement }, name: string, render: (data: unknown) => void) => {
    stateMessage(s.body, ctx, 'loading');
    const r = await getJSON<unknown>(checkUrl(name));
    const draw = () => (r.ok ? render(r.data) : stateMessage(s.body, ctx, r.missing ? 'unavailable' : 'error'));
    checkRenderers.push(draw);
    draw();
  };

  // --- choropleth ----------------------------------------------------------------------
  const choro = section('ind-choropleth', 'ind.choropleth');
  const choroSel = h('select', { id: 'choro-by' });
  const choroLegend = h('div', { id: 'choro-legend', class: 'legend' });
  choro.body.append(h('label', { class: 'field' }, h('span', { 'data-i18n': 'ind.choroplethBy' }), choroSel), choroLegend);
  const choroOptions = ['none', 'communityCoverage', 'communityPopCoverage', 'communityCategories'];
  const fillChoro = () => {
    const v = choroSel.value || 'none';
    choroSel.replaceChildren(...choroOptions.map((o) => h('option', { value: o, selected: o === v }, ctx.i18n().t(`ind.${o}`))));
  };
  let choroIds: (string | number)[] = [];
  const loadChoropleth = async () => {
    const by = choroSel.value;
    const m = ctx.map;
    const srcLayer = ctx.sources.communities?.sourceLayer ?? 'communities';
    for (const id of choroIds) m.removeFeatureState({ source: 'communities', sourceLayer: srcLayer, id }, 'v');
    choroIds = [];
    if (by === 'none' || !m.getLayer('choropleth-fill')) { setOverlayVisible(ctx, 'choropleth', false); choroLegend.replaceChildren(); return; }
    stateMessage(choroLegend, ctx, 'loading');
    let values: { id: string; v: number | null }[] = [];
    let max = 1;
    if (by === 'communityCategories') {
      const r = await getJSON<unknown>(livingCircleUrl({ level: 'community', asOf: state.asOf, band: people.band, profile: people.profile }));
      if (!r.ok) { stateMessage(choroLegend, ctx, r.missing ? 'unavailable' : 'error'); return; }
      values = parseLivingCircle(r.data).communities.filter((c) => c.id !== null).map((c) => ({ id: c.id!, v: c.reached }));
      max = Math.max(1, ...values.map((x) => x.v ?? 0));
    } else {
      const r = await getJSON<unknown>(coverageUrl({ ...q(), level: 'community' }));
      if (!r.ok) { stateMessage(choroLegend, ctx, r.missing ? 'unavailable' : 'error'); return; }
      values = parseCoverage(r.data).units.filter((u) => u.id !== null).map((u) => ({ id: u.id!, v: by === 'communityCoverage' ? u.areaRatio : u.popShare }));
    }
    const breaks = equalBreaks(0, max);
    for (const { id, v } of values) {
      if (v === null) continue;
      const fid = /^\d+$/.test(id) ? Number(id) : id;
      m.setFeatureState({ source: 'communities', sourceLayer: srcLayer, id: fid }, { v });
      choroIds.push(fid);
    }
    m.setPaintProperty('choropleth-fill', 'fill-color', stepExpression('v', breaks) as never);
    setOverlayVisible(ctx, 'choropleth', true);
    const L = ctx.lang();
    const fmt = (x: number) => (by === 'communityCategories' ? formatCount(x, L) : formatPercent(x, L, 0));
    const edges = [0, ...breaks, max];
    choroLegend.replaceChildren(...SEQUENTIAL.map((c, k) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${c}` }), `${fmt(edges[k])}–${fmt(edges[k + 1])}`)),
      h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: 'background:transparent;border:1px solid #aaa' }), ctx.i18n().t('ind.noValue')));
  };
  choroSel.addEventListener('change', loadChoropleth);

  // --- timeline: the indicator across the data editions; choosing one sets as_of -------
  const tl = timeline(ctx, () => ({ caliber: state.caliber, method: state.method }), (edition) => {
    state.asOf = edition;
    setPlanningTiles(ctx, edition);
    loadCoverage();
    loadLiving();
  });

  // --- people and capacity ------------------------------------------------------------
  const cap = capacityCard(ctx, () => people);
  const sel = peopleSelectors(ctx, people, () => { loadCoverage(); loadLiving(); cap.reload(); });

  root.append(tl.el, sel.el, cov.el, choro.el, lc.el, cap.el, cc.el, corr.el, lines.el);

  // --- start -----------------------------------------------------------------------------
  fillSelects();
  fillChoro();
  getJSON<unknown>(calibersUrl(DEFAULT_CITY)).then((r) => {
    if (r.ok) {
      const list = parseCalibers(r.data);
      const city = parseCityDefault(r.data);
      cityDefault = city.caliber;
      if (list.length) { state.calibers = list; Object.assign(state, initialSelection(list, city)); fillSelects(); }
    }
    loadCoverage();
    tl.reload();
  });
  loadLiving();
  cap.reload();
  loadCheck(cc, 'complete-communities', (d) => {
    const { count, target } = parseCountCheck(d, 40);
    const rule = parseCompleteRule(d);
    const i = ctx.i18n();
    cc.body.replaceChildren(h('div', { class: 'figure' }, h('span', { class: 'big', id: 'cc-count', 'data-value': count ?? '' }, count === null ? '—' : formatCount(count, ctx.lang())),
      h('span', { class: 'caption' }, i.t('ind.ofTarget', { target }))), progress('cc-progress', count, target, i.t('ind.completeCommunities')),
      h('p', { class: 'help rule', id: 'cc-rule' }, i.t('ind.ccRule', { tier: rule.tierM ?? '—', n: rule.items ?? '—' })));
  });
  loadCheck(corr, 'corridors', (d) => {
    const ratio = parseRatioCheck(d);
    corr.body.replaceChildren(h('div', { class: 'figure' }, h('span', { class: 'big', id: 'corr-ratio', 'data-value': ratio ?? '' }, formatPercent(ratio, ctx.lang()))), progress('corr-progress', ratio, 1, ctx.i18n().t('ind.corridors')));
  });
  loadCheck(lines, 'control-lines', (d) => {
    const { count, areaM2, conforms } = parseControlLines(d);
    const i = ctx.i18n();
    lines.body.replaceChildren(h('p', { id: 'lines-out', class: conforms === false || count > 0 ? 'warn' : '' },
      `${i.t('ind.overlaps')}: ${formatCount(count, ctx.lang())}${areaM2 ? ` · ${formatArea(areaM2, ctx.lang())}` : ''}`));
  });

  ctx.onLang(() => { tl.rerender(); sel.rerender(); cap.rerender(); fillSelects(); fillChoro(); renderCoverage(); renderLiving(); checkRenderers.forEach((f) => f()); if (sitesBox.checked) loadSites(); if (choroSel.value !== 'none') loadChoropleth(); });
  return root;
}
