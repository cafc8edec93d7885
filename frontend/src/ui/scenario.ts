// Scenarios (issue 13, docs/scenarios.md): an editor token, a named scenario, a park drawn
// on the map (click the vertices; double-click or 完成 closes it) or a facility placed with a
// click, then the compare API: coverage baseline → scenario with the delta, per city and
// district, and the newly covered (cyan) / uncovered (red) land on the map. The token's
// scenarios can be reopened; the owner (editor) can promote one.
import type { GeoJSONSource, MapMouseEvent } from 'maplibre-gl';
import { type Ctx, h, stateMessage } from '../ctx';
import { DEFAULT_CITY, getJSON } from '../api';
import { authHeader } from '../auth';
import { parseVerdicts, whyNotCounted, type ParkVerdict } from '../model';
import { STRINGS, valueLabel } from '../i18n';
import { refusalMessage, type Problem } from '../refusals';
import { formatArea, formatPercent } from '../format';
import { EMPTY } from './overlays';

const TOKEN_KEY = 'cityreach.token';
export const NEW_COLOR = '#00b7c7';
const PARK_CLASSES = ['garden', 'community', 'comprehensive', 'specialized', 'square'] as const;
const FACILITY_CATS = ['clinic', 'kindergarten', 'primary_school', 'elderly_care', 'vegetable_market', 'community_service', 'sports', 'culture', 'convenience_store', 'pharmacy'];

export interface Figure { ratio: number | null; covered: number | null }
export interface DeltaRow { level: string; id: number; name: string; baseline: Figure; scenario: Figure; delta: Figure }

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fig = (o: unknown): Figure => {
  const r = (o ?? {}) as Record<string, unknown>;
  return { ratio: num(r.ratio), covered: num(r.covered_m2) };
};

/** The park-coverage rows of a compare answer, level by level. */
export function parseCompare(data: unknown): { rows: DeltaRow[]; newly: GeoJSON.FeatureCollection; uncovered: GeoJSON.FeatureCollection } {
  const d = (data ?? {}) as Record<string, unknown>;
  const ind = ((d.indicators ?? []) as Record<string, unknown>[]).find((x) => x.id === 'park-coverage');
  const rows: DeltaRow[] = [];
  for (const l of ((ind?.levels ?? []) as Record<string, unknown>[])) {
    for (const a of ((l.areas ?? []) as Record<string, unknown>[])) {
      rows.push({ level: String(l.level), id: Number(a.id), name: String(a.name ?? ''), baseline: fig(a.baseline), scenario: fig(a.scenario), delta: fig(a.delta) });
    }
  }
  const fc = (x: unknown) => ((x && (x as GeoJSON.FeatureCollection).type === 'FeatureCollection') ? x as GeoJSON.FeatureCollection : EMPTY);
  return { rows, newly: fc(d.newly_covered), uncovered: fc(d.newly_uncovered) };
}

export interface CircleDelta {
  /** City-level values by name: complete_communities, share.<category>, … */
  baseline: Record<string, number>; scenario: Record<string, number>; delta: Record<string, number>;
  /** Communities (and 街道, districts) whose complete status flips. */
  flips: { level: string; id: number; name: string; to: boolean }[];
}

/** The living-circle part of a compare answer: the city row and the status changes. */
export function parseCircle(data: unknown): CircleDelta | null {
  const d = (data ?? {}) as Record<string, unknown>;
  const ind = ((d.indicators ?? []) as Record<string, unknown>[]).find((x) => x.id === 'living-circle');
  if (!ind) return null;
  const city = ((ind.levels ?? []) as Record<string, unknown>[]).find((l) => l.level === 'city');
  const row = (((city?.areas ?? []) as Record<string, unknown>[])[0] ?? {}) as Record<string, unknown>;
  const nums = (o: unknown): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries((o ?? {}) as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    return out;
  };
  const flips = ((ind.status_changes ?? []) as Record<string, unknown>[]).map((c) => ({ level: String(c.level), id: Number(c.id), name: String(c.name ?? ''), to: c.to === true }));
  return { baseline: nums(row.baseline), scenario: nums(row.scenario), delta: nums(row.delta), flips };
}

/** A delta in percentage points, signed, three decimals: 0.00123 → "+0.123". */
export function formatPP(delta: number | null): string {
  if (delta === null) return '—';
  const v = delta * 100;
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(3)}`;
}

interface Scn { id: number; name: string; owner?: string; n_changes?: number; promoted_at?: string; changes?: { n: number; layer: string; geometry?: GeoJSON.Geometry }[] }

export function scenarioTool(ctx: Ctx, caliber: () => string, method: () => string): HTMLElement {
  const i = () => ctx.i18n();
  const m = ctx.map;
  for (const id of ['scn-new', 'scn-unc', 'scn-changes', 'scn-draw', 'scn-refused']) m.addSource(id, { type: 'geojson', data: EMPTY });
  m.addLayer({ id: 'scn-new-fill', type: 'fill', source: 'scn-new', paint: { 'fill-color': NEW_COLOR, 'fill-opacity': 0.6 } });
  m.addLayer({ id: 'scn-unc-fill', type: 'fill', source: 'scn-unc', paint: { 'fill-color': '#e31a1c', 'fill-opacity': 0.6 } });
  m.addLayer({ id: 'scn-changes-fill', type: 'fill', source: 'scn-changes', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#1a9641', 'fill-opacity': 0.7 } });
  m.addLayer({ id: 'scn-changes-line', type: 'line', source: 'scn-changes', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#004d1a', 'line-width': 2 } });
  m.addLayer({ id: 'scn-changes-pt', type: 'circle', source: 'scn-changes', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 7, 'circle-color': '#ff7f00', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  // A draw the server refused stays on the map (dashed red) until the next one.
  m.addLayer({ id: 'scn-refused-line', type: 'line', source: 'scn-refused', paint: { 'line-color': '#d7191c', 'line-width': 2.5, 'line-dasharray': [1, 1] } });
  m.addLayer({ id: 'scn-draw-line', type: 'line', source: 'scn-draw', paint: { 'line-color': '#ff00aa', 'line-width': 2, 'line-dasharray': [2, 1] } });
  m.addLayer({ id: 'scn-draw-pt', type: 'circle', source: 'scn-draw', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#ff00aa' } });
  const setData = (id: string, fc: GeoJSON.FeatureCollection) => (m.getSource(id) as GeoJSONSource | undefined)?.setData(fc);

  const token = h('input', { type: 'password', id: 'scn-token', autocomplete: 'off' });
  token.value = localStorage.getItem(TOKEN_KEY) ?? '';
  token.addEventListener('change', () => { localStorage.setItem(TOKEN_KEY, token.value.trim()); loadList(); });
  const name = h('input', { type: 'text', id: 'scn-name' });
  const create = h('button', { type: 'button', class: 'btn', id: 'scn-create', 'data-i18n': 'scn.create' });
  const current = h('p', { id: 'scn-current', 'aria-live': 'polite' });
  const parkClass = h('select', { id: 'scn-park-class' });
  const fillClasses = () => {
    const v = parkClass.value || PARK_CLASSES[0];
    parkClass.replaceChildren(...PARK_CLASSES.map((c) => h('option', { value: c, selected: c === v }, i().t(`park.${c}`))));
  };
  // Class and pocket are chosen apart; only a 游园 can be a pocket park (parks_pocket_is_garden).
  const pocket = h('input', { type: 'checkbox', id: 'scn-pocket', checked: true });
  const syncPocket = () => { const garden = parkClass.value === 'garden'; pocket.disabled = !garden; if (!garden) pocket.checked = false; };
  parkClass.addEventListener('change', syncPocket);
  const why = h('p', { id: 'scn-why', class: 'warn', role: 'status' });
  // The compare answer's verdicts on the scenario's parks under the dashboard's caliber
  // (changes[]: counted, reason code); the newest park change's reason is shown.
  let verdicts: ParkVerdict[] = [];
  const renderWhy = () => {
    const parks = (scn?.changes ?? []).filter((c) => c.layer === 'parks');
    const newest = parks.length ? parks[parks.length - 1].n : null;
    const v = verdicts.find((x) => x.n === newest);
    const w = v ? whyNotCounted(v) : null;
    why.dataset.key = w?.key ?? '';
    why.dataset.reason = v?.reason ?? '';
    const L = ctx.lang();
    why.textContent = w ? i().t(w.key, { ...w.params, cls: i().t(`park.${w.params.cls}`), status: valueLabel('open_status', w.params.status, L) ?? String(w.params.status ?? '') }) : '';
  };
  const draw = h('button', { type: 'button', class: 'btn primary', id: 'scn-draw', 'aria-pressed': 'false', 'data-i18n': 'scn.drawPark' });
  const finish = h('button', { type: 'button', class: 'btn', id: 'scn-finish', disabled: true, 'data-i18n': 'scn.finish' });
  const facCat = h('select', { id: 'scn-fac-cat' });
  const place = h('button', { type: 'button', class: 'btn', id: 'scn-place', 'aria-pressed': 'false', 'data-i18n': 'scn.placeFacility' });
  // The placed facility's capacity (seats, places, beds), which the capacity figures weigh; empty: none given.
  const facCapacity = h('input', { type: 'number', id: 'scn-fac-capacity', min: 0, step: 1, inputmode: 'numeric' });
  const promote = h('button', { type: 'button', class: 'btn', id: 'scn-promote', disabled: true, 'data-i18n': 'scn.promote' });
  const undo = h('button', { type: 'button', class: 'btn', id: 'scn-undo', disabled: true, 'data-i18n': 'scn.undo' });
  const msg = h('p', { id: 'scn-msg', role: 'status' });
  const out = h('div', { id: 'scn-out', 'aria-live': 'polite' });
  const list = h('ul', { id: 'scn-list', class: 'reached' });

  let scn: Scn | null = null;
  let mode: 'none' | 'park' | 'facility' = 'none';
  let verts: [number, number][] = [];
  let last: ReturnType<typeof parseCompare> | null = null;
  let circle: CircleDelta | null = null;

  // The editor token typed here, else the token the page signed in with (src/auth.ts).
  const auth = (): Record<string, string> => (token.value.trim() ? { Authorization: `Bearer ${token.value.trim()}` } : authHeader(sessionStorage));
  type Sent = { ok: boolean; data: unknown; problem: Problem };
  const send = async (method: string, url: string, body?: unknown): Promise<Sent> => {
    try {
      const r = await fetch(url, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...auth() }, body: body === undefined ? undefined : JSON.stringify(body) });
      let data: unknown = null;
      try { data = await r.json(); } catch { /* empty */ }
      const p = (data && typeof data === 'object' ? data : {}) as Problem;
      return { ok: r.ok, data, problem: { ...p, status: r.status, detail: String(p.detail ?? p.title ?? r.statusText) } };
    } catch (e) { return { ok: false, data: null, problem: { status: 0, detail: String(e) } }; }
  };
  // A refusal in the page's language (src/refusals.ts), kept so a language switch rewords it.
  let refused: { problem: Problem; key: string } | null = null;
  const renderRefusal = () => {
    if (!refused) return;
    const L = ctx.lang();
    const r = refusalMessage(refused.problem, L, (t) => (STRINGS[`layer.${t}`] ? i().t(`layer.${t}`) : t), (a) => (STRINGS[`attr.${a}`] ? i().t(`attr.${a}`) : a));
    msg.textContent = refused.key === 'scn.refused' ? i().t('scn.refused', { reason: r.text }) : `${i().t('state.error')}: ${r.text}`;
    msg.dataset.state = 'error';
    msg.dataset.source = r.source;
    msg.dataset.constraint = refused.problem.constraint ?? '';
  };
  const fail = (r: Sent, key = 'state.error') => { refused = { problem: r.problem, key }; renderRefusal(); };
  const ok = (key: string) => { refused = null; msg.textContent = i().t(key); msg.dataset.state = 'ok'; msg.dataset.source = ''; msg.dataset.constraint = ''; };

  const renderCurrent = () => {
    current.textContent = scn ? i().t('scn.current', { name: scn.name, id: scn.id }) : i().t('scn.none');
    current.dataset.id = scn ? String(scn.id) : '';
    promote.disabled = !scn || !!scn.promoted_at;
    undo.disabled = !scn || !!scn.promoted_at || !(scn.changes?.length);
    // The capacity card and layer follow the open scenario; a promoted one's changes are the
    // baseline's now, so they go back to the baseline.
    ctx.setScenario(scn && !scn.promoted_at ? { id: scn.id, changes: scn.changes?.length ?? 0 } : null);
  };
  const fillCats = () => facCat.replaceChildren(...FACILITY_CATS.map((c) => h('option', { value: c }, i().t(`cat.${c}`))));

  const render = () => {
    if (!last) return;
    const L = ctx.lang();
    const city = last.rows.find((r) => r.level === 'city');
    const districts = last.rows.filter((r) => r.level === 'district' && (r.delta.covered ?? 0) !== 0);
    const line = (r: DeltaRow) => `${formatPercent(r.baseline.ratio, L, 2)} → ${formatPercent(r.scenario.ratio, L, 2)} (${formatPP(r.delta.ratio)} ${i().t('scn.pp')}, ${(r.delta.covered ?? 0) >= 0 ? '+' : ''}${formatArea(r.delta.covered, L)})`;
    const newM2 = last.newly.features.reduce((s, f) => s + (Number(f.properties?.area_m2) || 0), 0);
    out.replaceChildren(
      h('h3', {}, i().t('scn.delta')),
      city ? h('p', { id: 'scn-city', 'data-delta': city.delta.ratio ?? '', 'data-delta-m2': city.delta.covered ?? '' }, `${city.name}: ${line(city)}`) : h('p', {}, '—'),
      h('table', { class: 'compact', id: 'scn-districts' }, h('tbody', {}, ...districts.map((r) => h('tr', { 'data-unit': r.id, 'data-delta': r.delta.ratio ?? '' }, h('th', { scope: 'row' }, r.name), h('td', {}, line(r)))))),
      h('p', { class: 'legend-item', id: 'scn-newly', 'data-count': last.newly.features.length },
        h('span', { class: 'swatch', style: `background:${NEW_COLOR};opacity:.6` }), `${i().t('scn.newly')} ${formatArea(newM2, L)}`),
      ...renderCircle());
  };

  // The living circle: complete communities and every category whose share moved.
  const renderCircle = (): HTMLElement[] => {
    if (!circle) return [];
    const c = circle, L = ctx.lang();
    const n = (v: number | undefined) => (v === undefined ? '—' : String(Math.round(v)));
    const dc = c.delta.complete_communities ?? 0;
    const cats = Object.keys(c.delta).filter((k) => k.startsWith('share.') && Math.abs(c.delta[k]) > 1e-12).sort();
    const flips = c.flips.filter((f) => f.level === 'community');
    return [
      h('h3', {}, i().t('scn.circle')),
      h('p', { id: 'scn-circle', 'data-complete-delta': dc, 'data-complete': c.scenario.complete_communities ?? '' },
        `${i().t('scn.completeCommunities')}: ${n(c.baseline.complete_communities)} → ${n(c.scenario.complete_communities)} (${dc > 0 ? '+' : dc < 0 ? '−' : '±'}${Math.abs(dc)})`),
      cats.length
        ? h('ul', { class: 'reached', id: 'scn-circle-cats' }, ...cats.map((k) => h('li', { 'data-cat': k.slice(6), 'data-delta': c.delta[k] },
          `${i().t(`cat.${k.slice(6)}`)}: ${formatPercent(c.baseline[k] ?? null, L, 2)} → ${formatPercent(c.scenario[k] ?? null, L, 2)} (${formatPP(c.delta[k])} ${i().t('scn.pp')})`)))
        : h('p', { class: 'help', id: 'scn-circle-cats' }, i().t('scn.circleUnchanged')),
      ...(flips.length ? [h('p', { id: 'scn-flips', 'data-count': flips.length },
        ...[true, false].flatMap((to) => {
          const names = flips.filter((f) => f.to === to).map((f) => f.name);
          return names.length ? [`${i().t(to ? 'scn.becameComplete' : 'scn.becameIncomplete')}: ${names.slice(0, 12).join('、')}${names.length > 12 ? ' …' : ''}`, h('br', {})] : [];
        }))] : []),
    ];
  };

  const compare = async () => {
    if (!scn) return;
    stateMessage(out, ctx, 'loading');
    const base = `/api/v1/scenarios/${scn.id}/compare?indicators=park-coverage&caliber=${encodeURIComponent(caliber())}&method=${encodeURIComponent(method())}`;
    const [c, d, lc] = await Promise.all([getJSON<unknown>(`${base}&level=city`), getJSON<unknown>(`${base}&level=district`),
      getJSON<unknown>(`/api/v1/scenarios/${scn.id}/compare?indicators=living-circle`)]);
    if (!c.ok || !d.ok) { stateMessage(out, ctx, 'error', (!c.ok ? c : d as { message: string }).message); return; }
    verdicts = parseVerdicts(c.data);
    renderWhy();
    // The living circle is shown when the server has it on scenarios; coverage alone otherwise.
    circle = lc.ok ? parseCircle(lc.data) : null;
    const a = parseCompare(c.data), b = parseCompare(d.data);
    last = { rows: [...a.rows, ...b.rows], newly: a.newly, uncovered: a.uncovered };
    setData('scn-new', last.newly);
    setData('scn-unc', last.uncovered);
    render();
    out.dataset.caliber = caliber();
  };

  const showChanges = () => setData('scn-changes', { type: 'FeatureCollection', features: (scn?.changes ?? []).filter((c) => c.geometry).map((c) => ({ type: 'Feature', geometry: c.geometry!, properties: { n: c.n, layer: c.layer } })) });

  const open = async (id: number) => {
    const r = await send('GET', `/api/v1/scenarios/${id}`);
    if (!r.ok) { fail(r); return; }
    scn = r.data as Scn;
    renderCurrent(); showChanges(); await compare();
  };

  const loadList = async () => {
    const r = await send('GET', `/api/v1/scenarios?city=${DEFAULT_CITY}`);
    if (!r.ok) { list.replaceChildren(); return; }
    const all = ((r.data as { scenarios?: Scn[] }).scenarios ?? []);
    list.replaceChildren(...all.map((s) => h('li', { 'data-id': s.id },
      h('button', { type: 'button', class: 'btn link', onclick: () => open(s.id) }, `#${s.id} ${s.name}`),
      ` · ${s.owner ?? ''} · ${i().t('scn.nChanges', { n: s.n_changes ?? 0 })}${s.promoted_at ? ` · ${i().t('scn.promoted')}` : ''}`)));
  };

  const ensure = async (): Promise<boolean> => {
    if (scn) return true;
    const r = await send('POST', '/api/v1/scenarios', { city: DEFAULT_CITY, name: name.value.trim() || i().t('scn.defaultName'), description: '' });
    if (!r.ok) { fail(r); return false; }
    scn = { ...(r.data as Scn), changes: [] };
    renderCurrent(); loadList();
    return true;
  };

  const addChange = async (layer: string, geometry: GeoJSON.Geometry, properties: Record<string, unknown>) => {
    // The shape stays on the map until the server has taken it, and after a refusal.
    // Kept as its outline: a bow tie's rings enclose no net area, and a polygon of zero area
    // is dropped when the GeoJSON source tiles it, so the very shape refused for crossing
    // itself would vanish.
    const outline: GeoJSON.Geometry = geometry.type === 'Polygon' ? { type: 'MultiLineString', coordinates: geometry.coordinates } : geometry;
    const keep = () => setData('scn-refused', { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: outline, properties: {} }] });
    if (!(await ensure()) || !scn) { keep(); return; }
    refused = null; msg.textContent = i().t('state.loading'); msg.dataset.state = 'loading';
    const r = await send('POST', `/api/v1/scenarios/${scn.id}/changes`, { layer, op: 'add', feature: { type: 'Feature', geometry, properties } });
    if (!r.ok) { keep(); fail(r, 'scn.refused'); return; }
    setData('scn-refused', EMPTY);
    ok('scn.added');
    scn.changes = [...(scn.changes ?? []), r.data as NonNullable<Scn['changes']>[number]];
    renderCurrent(); showChanges(); loadList();
    await compare();
  };

  const sketch = () => {
    const feats: GeoJSON.Feature[] = verts.map((v) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: v }, properties: {} }));
    if (verts.length > 1) feats.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: mode === 'park' && verts.length > 2 ? [...verts, verts[0]] : verts }, properties: {} });
    setData('scn-draw', { type: 'FeatureCollection', features: feats });
    finish.disabled = verts.length < 3;
  };
  const setMode = (mm: typeof mode) => {
    mode = mm;
    verts = [];
    sketch();
    draw.setAttribute('aria-pressed', String(mm === 'park'));
    place.setAttribute('aria-pressed', String(mm === 'facility'));
    ctx.clickTool = mm === 'none' ? null : onClick;
    if (mm === 'park') m.doubleClickZoom.disable(); else m.doubleClickZoom.enable();
    m.getCanvas().style.cursor = mm === 'none' ? '' : 'crosshair';
  };
  const onClick = (ll: { lng: number; lat: number }) => {
    if (mode === 'facility') {
      setMode('none');
      const cap = facCapacity.value.trim() === '' ? NaN : Number(facCapacity.value);
      addChange('facilities', { type: 'Point', coordinates: [ll.lng, ll.lat] }, { category: facCat.value, name: `${i().t(`cat.${facCat.value}`)}（${i().t('scn.planned')}）`,
        ...(Number.isFinite(cap) ? { capacity: cap } : {}) });
      return;
    }
    verts.push([ll.lng, ll.lat]);
    sketch();
  };
  const close = () => {
    // A double-click also sent two clicks at the same place: drop vertices within 4 px of the previous one.
    const kept: [number, number][] = [];
    for (const v of verts) {
      const p = m.project(v), q = kept.length ? m.project(kept[kept.length - 1]) : null;
      if (!q || Math.hypot(p.x - q.x, p.y - q.y) > 4) kept.push(v);
    }
    if (kept.length < 3) return;
    const ring = [...kept, kept[0]];
    const cls = parkClass.value;
    setMode('none');
    addChange('parks', { type: 'Polygon', coordinates: [ring] }, { name: name.value.trim() ? `${name.value.trim()} ${(scn?.changes?.length ?? 0) + 1}` : i().t('scn.defaultPark'), park_class: cls, pocket: cls === 'garden' && pocket.checked, open_status: 'open' });
  };
  m.on('dblclick', (e: MapMouseEvent) => { if (mode === 'park') { e.preventDefault(); close(); } });
  draw.addEventListener('click', () => setMode(mode === 'park' ? 'none' : 'park'));
  place.addEventListener('click', () => setMode(mode === 'facility' ? 'none' : 'facility'));
  finish.addEventListener('click', close);
  create.addEventListener('click', async () => {
    scn = null; last = null; verdicts = []; renderWhy(); out.replaceChildren();
    for (const id of ['scn-new', 'scn-unc', 'scn-refused']) setData(id, EMPTY);
    await ensure(); showChanges();
  });
  undo.addEventListener('click', async () => {
    const ch = scn?.changes ?? [];
    if (!scn || !ch.length) return;
    const lastChange = ch[ch.length - 1];
    const r = await send('DELETE', `/api/v1/scenarios/${scn.id}/changes/${lastChange.n}`);
    if (!r.ok) { fail(r); return; }
    ok('scn.undone');
    scn.changes = ch.slice(0, -1);
    renderWhy();
    renderCurrent(); showChanges(); loadList();
    await compare();
  });
  promote.addEventListener('click', async () => {
    if (!scn) return;
    const r = await send('POST', `/api/v1/scenarios/${scn.id}/promote`);
    if (!r.ok) { fail(r); return; }
    ok('scn.promoted');
    await open(scn.id);
    loadList();
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && mode !== 'none') setMode('none'); });
  // Follow the dashboard's caliber and method.
  for (const sel of ['#cov-caliber', '#cov-method']) document.querySelector(sel)?.addEventListener('change', () => { if (scn && last) compare(); });

  fillCats(); fillClasses(); syncPocket(); renderCurrent(); loadList();
  ctx.onLang(() => { fillCats(); fillClasses(); renderCurrent(); render(); renderWhy(); renderRefusal(); });
  return h('section', { class: 'card', id: 'tool-scenario', 'aria-labelledby': 'scn-h' },
    h('h2', { id: 'scn-h', 'data-i18n': 'scn.title' }), h('p', { class: 'help', 'data-i18n': 'scn.help' }),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'scn.token' }), token),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'scn.name' }), name),
    h('div', { class: 'row wrap' }, create), current,
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'scn.parkClass' }), parkClass),
    h('label', {}, pocket, h('span', { 'data-i18n': 'scn.pocket' })),
    h('div', { class: 'row wrap' }, draw, finish),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'scn.category' }), facCat),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'scn.capacity' }), facCapacity),
    h('div', { class: 'row wrap' }, place, undo, promote), msg, why, out,
    h('h3', { 'data-i18n': 'scn.list' }), list);
}
