// People and capacity on the dashboard (docs/capacity.md): the age-band and walking-profile
// selectors that park coverage, the living circle and the capacity figures are asked under,
// and the capacity card — a category's 2SFCA supply ratio and seat/place gap for the city,
// and the per-parcel capacity layer with its legend, both on the scenario open in the
// scenario tool when there is one (ctx.scenario).
import { type Ctx, h, stateMessage } from '../ctx';
import { getJSON, ageBandsUrl, capacityUrl, capacityMapUrl, PROFILES, CAPACITY_CATEGORIES, type CapacityQuery } from '../api';
import { parseAgeBands, parseCapacity, capacityFillExpression, CAPACITY_CLASSES, type AgeBand, type Capacity } from '../model';
import { formatCount, formatArea } from '../format';
import { setOverlayData, setOverlayVisible, EMPTY } from './overlays';

/** The band and profile the dashboard asks under: null band is every resident, null profile the standard walk. */
export interface People { band: string | null; profile: string | null }

/** A supply ratio in the category's unit per resident, two decimals: "0.83 学位/人". */
export function formatSupply(v: number | null | undefined, unit: string, lang: 'zh' | 'en'): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const n = new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
  return lang === 'zh' ? `${n} ${unit}/人` : `${n} ${unit} per resident`;
}

/** A norm per 1,000 residents, up to two decimals ("4.5", "8,000"), and an attainment as a percentage ("91.5 %"). */
export function formatNorm(v: number, lang: 'zh' | 'en'): string {
  return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { maximumFractionDigits: 2 }).format(v);
}

export function formatAttainment(v: number | null, lang: 'zh' | 'en'): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return `${new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v * 100)} %`;
}

/** The selectors card: #sel-band (全部居民 + the configured bands) and #sel-profile. */
export function peopleSelectors(ctx: Ctx, people: People, changed: () => void): { el: HTMLElement; rerender: () => void } {
  const bandSel = h('select', { id: 'sel-band' });
  const profSel = h('select', { id: 'sel-profile' });
  let bands: AgeBand[] = [];
  const fill = () => {
    const i = ctx.i18n();
    bandSel.replaceChildren(h('option', { value: '', selected: people.band === null }, i.t('people.allResidents')),
      ...bands.map((b) => h('option', { value: b.code, selected: b.code === people.band }, ctx.lang() === 'en' ? b.nameEn : b.nameZh)));
    profSel.replaceChildren(...PROFILES.map((p) => h('option', { value: p, selected: p === (people.profile ?? 'standard') }, i.t(`people.profile.${p}`))));
  };
  bandSel.addEventListener('change', () => { people.band = bandSel.value || null; changed(); });
  profSel.addEventListener('change', () => { people.profile = profSel.value === 'standard' ? null : profSel.value; changed(); });
  const el = h('section', { class: 'card', id: 'ind-people', 'aria-labelledby': 'ind-people-h' },
    h('h2', { id: 'ind-people-h', 'data-i18n': 'people.heading' }),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'people.band' }), bandSel),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'people.profile' }), profSel),
    h('p', { class: 'help', 'data-i18n': 'people.help' }));
  fill();
  getJSON<unknown>(ageBandsUrl()).then((r) => { if (r.ok) { bands = parseAgeBands(r.data); fill(); } });
  return { el, rerender: fill };
}

/** The capacity card: #cap-category, the city figures #cap-ratio / #cap-gap / #cap-demand, and the #cap-layer toggle (by #cap-level) with its legend. */
export function capacityCard(ctx: Ctx, people: () => People): { el: HTMLElement; reload: () => void; rerender: () => void } {
  const catSel = h('select', { id: 'cap-category' });
  const out = h('div', { id: 'cap-out', 'aria-live': 'polite' });
  const layerBox = h('input', { type: 'checkbox', id: 'cap-layer' });
  // The layer by parcel, or the areas' aggregates (residents-weighted ratio, summed gap).
  const LEVELS = ['parcel', 'community', 'subdistrict'] as const;
  let level: (typeof LEVELS)[number] = 'parcel';
  const levelSel = h('select', { id: 'cap-level' });
  const legend = h('div', { id: 'cap-legend', class: 'legend' });
  let category: string = CAPACITY_CATEGORIES[0];
  let data: Capacity | null = null;
  let asked: CapacityQuery | null = null; // what data was asked under
  let failed: 'unavailable' | 'error' | null = null;
  let seq = 0, mapSeq = 0;
  // On the scenario open in the scenario tool, if any: its figures and its parcels.
  const q = (): CapacityQuery => ({ category, band: people().band, profile: people().profile, level: 'city', scenario: ctx.scenario()?.id ?? null });
  const fill = () => {
    levelSel.replaceChildren(...LEVELS.map((l) => h('option', { value: l, selected: l === level }, ctx.i18n().t(`cap.level.${l}`))));
    catSel.replaceChildren(...CAPACITY_CATEGORIES.map((c) => h('option', { value: c, selected: c === category }, ctx.i18n().t(`cat.${c}`))));
  };
  const unit = (c: Capacity) => (ctx.lang() === 'en' ? c.unitEn : c.unitZh);
  const amount = (v: number | null, c: Capacity) => (c.category === 'park_square' ? formatArea(v, ctx.lang()) : `${formatCount(v, ctx.lang())} ${unit(c)}`);
  const render = () => {
    if (failed) { stateMessage(out, ctx, failed); return; }
    const c = data;
    if (!c) { stateMessage(out, ctx, 'loading'); return; }
    const i = ctx.i18n();
    const L = ctx.lang();
    const t = c.totals;
    out.replaceChildren(
      asked?.scenario ? h('p', { class: 'help', id: 'cap-scenario', 'data-id': asked.scenario }, i.t('cap.onScenario', { id: asked.scenario })) : '',
      h('div', { class: 'figure' },
        h('span', { class: 'big', id: 'cap-ratio', 'data-value': t.ratio ?? '', 'data-category': c.category, 'data-band': asked?.band ?? '', 'data-profile': asked?.profile ?? '' }, formatSupply(t.ratio, unit(c), L)),
        h('span', { class: 'caption' }, i.t('cap.ratio'))),
      h('p', { class: 'help', id: 'cap-norm', 'data-per-1000': c.norm.perThousand, 'data-basis': c.norm.basis, 'data-attainment': t.attainment ?? '' },
        i.t('cap.norm', { per: formatNorm(c.norm.perThousand, L), unit: unit(c), basis: i.t(`cap.basis.${c.norm.basis}`), met: formatAttainment(t.attainment, L) }),
        c.norm.source ? h('span', { class: 'caption', id: 'cap-norm-source' }, ` ${c.norm.source}`) : ''),
      // A negative gap is a surplus: said as one, with its size, rather than as "gap -30".
      h('p', { class: 'target', id: 'cap-gap-line', 'data-gap': t.gap ?? '' }, `${i.t((t.gap ?? 0) < 0 ? 'cap.surplus' : 'cap.gap')} `,
        h('span', { id: 'cap-gap', class: (t.gap ?? 0) > 0 ? 'miss' : 'ok', 'data-value': t.gap ?? '' }, amount(t.gap === null ? null : Math.abs(t.gap), c)),
        ` · ${i.t('cap.shortfall')} `, h('span', { id: 'cap-shortfall', 'data-value': t.shortfall ?? '' }, amount(t.shortfall, c))),
      h('p', { class: 'help', id: 'cap-demand', 'data-value': t.demand ?? '', 'data-bands': c.bands.join(','), 'data-d0': c.d0 ?? '' },
        i.t('cap.demand', { n: formatCount(t.demand, L), bands: c.bands.length ? c.bands.join('、') : i.t('people.allResidents'), d0: formatCount(c.d0, L) })));
  };
  const drawLegend = (c: Capacity | null) => {
    if (!layerBox.checked || !c) { legend.replaceChildren(); return; }
    const i = ctx.i18n();
    const edges = [0, ...CAPACITY_CLASSES.map((k) => k.upTo)];
    legend.replaceChildren(...CAPACITY_CLASSES.map((k, n) => h('span', { class: 'legend-item', 'data-class': n },
      h('span', { class: 'swatch', style: `background:${k.color}` }),
      `${i.t(k.key)} (${edges[n + 1] === Infinity ? `≥ ${edges[n] * 100} %` : `< ${edges[n + 1] * 100} %`})`)),
    h('span', { class: 'legend-item', id: 'cap-legend-norm' }, i.t('cap.legendNorm', { per: formatNorm(c.norm.perThousand, ctx.lang()), unit: unit(c), basis: i.t(`cap.basis.${c.norm.basis}`) })),
    h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: 'background:transparent;border:1px solid #aaa' }), i.t('ind.noValue')));
  };
  const loadLayer = async () => {
    const my = ++mapSeq;
    delete legend.dataset.features;
    delete legend.dataset.category;
    delete legend.dataset.level;
    delete legend.dataset.scenario;
    if (!layerBox.checked) { setOverlayVisible(ctx, 'capacity', false); setOverlayData(ctx, 'capacity', EMPTY); drawLegend(null); return; }
    stateMessage(legend, ctx, 'loading');
    const want = { ...q(), level };
    const r = await getJSON<GeoJSON.FeatureCollection>(capacityMapUrl(want));
    if (my !== mapSeq) return;
    if (!r.ok) { stateMessage(legend, ctx, r.missing ? 'unavailable' : 'error', r.missing ? undefined : r.message); return; }
    const c = parseCapacity(r.data);
    setOverlayData(ctx, 'capacity', r.data);
    if (ctx.map.getLayer('capacity-fill')) ctx.map.setPaintProperty('capacity-fill', 'fill-color', capacityFillExpression() as never);
    setOverlayVisible(ctx, 'capacity', true);
    legend.dataset.features = String(r.data.features?.length ?? 0);
    legend.dataset.category = c.category;
    legend.dataset.level = level;
    legend.dataset.scenario = want.scenario ? String(want.scenario) : '';
    drawLegend(c);
  };
  const reload = async () => {
    const my = ++seq;
    data = null;
    failed = null;
    render();
    const want = q();
    const r = await getJSON<unknown>(capacityUrl(want));
    if (my !== seq) return;
    asked = want;
    if (!r.ok) failed = r.missing ? 'unavailable' : 'error'; else data = parseCapacity(r.data);
    render();
    loadLayer();
  };
  catSel.addEventListener('change', () => { category = catSel.value; reload(); });
  layerBox.addEventListener('change', loadLayer);
  levelSel.addEventListener('change', () => { level = levelSel.value as typeof level; loadLayer(); });
  ctx.onScenario(() => { reload(); });
  const el = h('section', { class: 'card', id: 'ind-capacity', 'aria-labelledby': 'ind-capacity-h' },
    h('h2', { id: 'ind-capacity-h', 'data-i18n': 'cap.heading' }),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'cap.category' }), catSel),
    out,
    h('div', { class: 'row wrap' }, h('label', {}, layerBox, h('span', { 'data-i18n': 'cap.showLayer' })),
      h('label', {}, h('span', { 'data-i18n': 'cap.level' }), levelSel)),
    legend);
  fill();
  return { el, reload, rerender: () => { fill(); render(); drawLegend(data); } };
}
