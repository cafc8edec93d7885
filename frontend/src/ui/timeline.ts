// The 城市体检 timeline (issue 21, docs/editions.md): the selected indicator for the city or
// one district across the published data editions and now, as a small hand-drawn SVG line
// chart with the plan's target path, a table of the same values, and an edition slider and
// select that set as_of on the dashboard's indicator requests, every planning-layer tile
// source of the map, the gap tiles and the candidate sites; a note says the place labels and
// search still show the current data.
import { type Ctx, h, stateMessage } from '../ctx';
import { getJSON, seriesUrl } from '../api';
import { parseSeries, layoutChart, DEFAULT_BOX, type Series } from '../timeline';
import { headlinePercent, formatPercent, formatCount, formatBeijing } from '../format';

type Indicator = 'park-coverage' | 'living-circle';

export interface Timeline {
  el: HTMLElement;
  /** Reloads the series (the dashboard's caliber or method changed). */
  reload(): void;
  rerender(): void;
}

const SVG = 'http://www.w3.org/2000/svg';

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/**
 * The timeline card. coverage() gives the dashboard's caliber and method; onEdition is called
 * with the chosen edition's name, or null for now.
 */
export function timeline(ctx: Ctx, coverage: () => { caliber: string; method: string }, onEdition: (edition: string | null) => void): Timeline {
  const state: { indicator: Indicator; unit: number | null; series: Series | null; body: unknown; selected: number; units: { id: number; name: string }[] } = {
    indicator: 'park-coverage', unit: null, series: null, body: null, selected: -1, units: [],
  };
  const indSel = h('select', { id: 'tl-indicator' });
  const unitSel = h('select', { id: 'tl-unit' });
  const edSel = h('select', { id: 'tl-edition' });
  const slider = h('input', { type: 'range', id: 'tl-slider', min: 0, max: 0, step: 1, value: 0 });
  const out = h('div', { id: 'tl-out', 'aria-live': 'polite' });
  const note = h('p', { class: 'help', id: 'tl-note', hidden: true });
  const el = h('section', { class: 'card', id: 'ind-timeline', 'aria-labelledby': 'ind-timeline-h' },
    h('h2', { id: 'ind-timeline-h', 'data-i18n': 'tl.title' }),
    h('div', { class: 'row' }, h('label', { class: 'field' }, h('span', { 'data-i18n': 'tl.indicator' }), indSel), h('label', { class: 'field' }, h('span', { 'data-i18n': 'tl.unit' }), unitSel)),
    out,
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'tl.edition' }), h('div', { class: 'row' }, slider, edSel)),
    note);

  // What the shown series measures (a new one may be loading).
  const ratio = () => (state.series?.indicator || state.indicator) === 'park-coverage';
  const fmt = (v: number | null) => {
    if (v === null) return '—';
    return ratio() ? headlinePercent(v, 1, ctx.lang()).value : formatCount(v, ctx.lang());
  };
  // A target is a round figure: 100 %, not 100.0 %.
  const tFmt = (v: number) => (ratio() ? formatPercent(v, ctx.lang(), 0) : formatCount(v, ctx.lang()));
  const label = (k: number) => {
    const p = state.series!.points[k];
    return p.edition ?? ctx.i18n().t('tl.now');
  };

  const fillSelects = () => {
    const i = ctx.i18n();
    indSel.replaceChildren(...(['park-coverage', 'living-circle'] as const).map((x) => h('option', { value: x, selected: x === state.indicator }, i.t(x === 'park-coverage' ? 'ind.coverage' : 'ind.completeCircles'))));
    unitSel.replaceChildren(h('option', { value: '', selected: state.unit === null }, i.t('ind.city')),
      ...state.units.map((u) => h('option', { value: u.id, selected: u.id === state.unit }, u.name)));
    const pts = state.series?.points ?? [];
    edSel.replaceChildren(...pts.map((_, k) => h('option', { value: k, selected: k === state.selected }, label(k))));
    slider.max = String(Math.max(0, pts.length - 1));
    slider.value = String(Math.max(0, state.selected));
    slider.disabled = pts.length < 2;
    if (pts.length) slider.setAttribute('aria-valuetext', label(state.selected));
  };

  const chart = (sr: Series): SVGSVGElement => {
    const i = ctx.i18n();
    const L = layoutChart(sr.points, sr.targets, ratio());
    const b = DEFAULT_BOX;
    const yFmt = (v: number) => (ratio() ? `${Math.round(v * 100)}%` : formatCount(v, ctx.lang()));
    const svg = s('svg', { id: 'tl-chart', viewBox: `0 0 ${b.width} ${b.height}`, width: '100%', role: 'img', 'aria-label': i.t('tl.chart') },
      ...L.yTicks.map((t) => s('g', {}, s('line', { x1: b.left, x2: b.width - b.right, y1: t.y, y2: t.y, stroke: '#e5e7eb' }),
        s('text', { x: b.left - 4, y: t.y + 3, 'text-anchor': 'end', 'font-size': 9, fill: '#5f6b7a' }, yFmt(t.value)))),
      ...L.xTicks.map((t) => s('text', { x: t.x, y: b.height - b.bottom + 12, 'text-anchor': 'middle', 'font-size': 9, fill: '#5f6b7a' }, String(t.year))));
    if (L.targetLine) svg.append(s('path', { id: 'tl-target-line', d: L.targetLine, fill: 'none', stroke: '#c0392b', 'stroke-width': 1.5, 'stroke-dasharray': '4 3' }));
    for (const t of L.targets) {
      svg.append(s('g', { class: 'tl-target', 'data-year': t.t.year, 'data-value': t.t.value },
        s('circle', { cx: t.x, cy: t.y, r: 4, fill: '#fff', stroke: '#c0392b', 'stroke-width': 1.5 }),
        // Above the point, ending at it: the path comes from below, so they do not cross.
        s('text', { x: t.x + 4, y: t.y - 7, 'text-anchor': 'end', 'font-size': 9, fill: '#c0392b' }, `${i.t('tl.target', { year: t.t.year })} ${tFmt(t.t.value)}`),
        s('title', {}, `${i.t('tl.target', { year: t.t.year })} ${tFmt(t.t.value)} · ${t.t.source}`)));
    }
    if (L.line) svg.append(s('path', { id: 'tl-line', d: L.line, fill: 'none', stroke: '#1f6f43', 'stroke-width': 2 }));
    L.points.forEach((q, k) => {
      if (q.y === null) return;
      const on = k === state.selected;
      const g = s('g', { class: 'tl-point', 'data-edition': q.p.edition ?? '', 'data-now': String(q.p.now), 'data-value': q.p.value ?? '', tabindex: -1, style: 'cursor:pointer' },
        s('circle', { cx: q.x, cy: q.y, r: on ? 5.5 : 3.5, fill: on ? '#1f6f43' : '#fff', stroke: '#1f6f43', 'stroke-width': 2 }),
        s('text', { x: q.x, y: q.y - 8, 'text-anchor': 'middle', 'font-size': 9, 'font-weight': on ? 700 : 400, fill: '#1f2933' }, fmt(q.p.value)),
        s('title', {}, `${label(k)} · ${fmt(q.p.value)}`));
      g.addEventListener('click', () => select(k));
      svg.append(g);
    });
    return svg;
  };

  const render = () => {
    const sr = state.series;
    if (!sr) return;
    const i = ctx.i18n();
    fillSelects();
    const target = sr.targets.length ? sr.targets[sr.targets.length - 1] : null;
    out.replaceChildren(
      chart(sr),
      h('table', { class: 'compact', id: 'tl-table' },
        h('thead', {}, h('tr', {}, h('th', {}, i.t('tl.edition')), h('th', {}, i.t('tl.asOf')), h('th', {}, i.t('tl.value')))),
        h('tbody', {}, ...sr.points.map((p, k) => h('tr', { 'data-edition': p.edition ?? '', 'data-now': String(p.now), class: k === state.selected ? 'selected' : '' },
          h('th', { scope: 'row' }, label(k)), h('td', {}, formatBeijing(p.asOf)), h('td', { 'data-value': p.value ?? '' }, fmt(p.value)))),
        ...(target ? [h('tr', { class: 'target-row', 'data-year': target.year }, h('th', { scope: 'row' }, i.t('tl.target', { year: target.year })), h('td', {}, ''), h('td', { 'data-value': target.value }, tFmt(target.value)))] : []))),
      ...(sr.targets.length ? [] : [h('p', { class: 'help', id: 'tl-no-target' }, i.t('tl.noTarget'))]));
    const past = state.selected >= 0 && !sr.points[state.selected].now;
    note.hidden = !past;
    note.textContent = past ? i.t('tl.tilesNow', { edition: label(state.selected) }) : '';
  };

  const select = (k: number) => {
    const sr = state.series;
    if (!sr || k < 0 || k >= sr.points.length || k === state.selected) return;
    state.selected = k;
    render();
    onEdition(sr.points[k].now ? null : sr.points[k].edition);
  };

  let seq = 0; // the latest request wins: the indicator or unit changed while one loaded
  const load = async () => {
    stateMessage(out, ctx, 'loading');
    const c = coverage();
    const my = ++seq;
    const r = await getJSON<unknown>(seriesUrl(state.indicator, { level: state.unit === null ? 'city' : 'district', unit: state.unit, caliber: c.caliber, method: c.method }));
    if (my !== seq) return;
    if (!r.ok) { state.series = null; stateMessage(out, ctx, r.missing ? 'unavailable' : 'error', r.missing ? undefined : r.message); return; }
    const sr = parseSeries(r.data, state.unit);
    // Keep the chosen edition when the series is redrawn; otherwise now (the last point).
    const prev = state.series && state.selected >= 0 ? state.series.points[state.selected] : null;
    const same = prev ? sr.points.findIndex((p) => p.now === prev.now && p.edition === prev.edition) : -1;
    state.series = sr;
    state.selected = same >= 0 ? same : sr.points.length - 1;
    render();
  };

  // The districts for the unit selector come from a district-level series of the indicator.
  const loadUnits = async () => {
    const r = await getJSON<unknown>(seriesUrl('park-coverage', { level: 'district', ...coverage() }));
    if (r.ok) { state.units = parseSeries(r.data).units; fillSelects(); }
  };

  indSel.addEventListener('change', () => { state.indicator = indSel.value as Indicator; load(); });
  unitSel.addEventListener('change', () => { state.unit = unitSel.value === '' ? null : Number(unitSel.value); load(); });
  edSel.addEventListener('change', () => select(Number(edSel.value)));
  slider.addEventListener('input', () => select(Number(slider.value)));

  fillSelects();
  let unitsAsked = false;
  return {
    el,
    reload: () => { load(); if (!unitsAsked) { unitsAsked = true; loadUnits(); } },
    rerender: () => { fillSelects(); render(); },
  };
}
