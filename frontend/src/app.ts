// Builds the page: header, side panel with tabs (layers, indicators, tools), the map, and
// wires the language switch. Each panel lives in src/ui/ and re-renders on a language change.
import * as maplibregl from 'maplibre-gl';
// The worker is its own module; Vite copies it into assets/ with a content hash.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { getJSON, tileIndexUrl, tileJsonUrl, layersUrl, setPageFetch } from './api';
import { authFetch, transformRequest, TOKEN_KEY } from './auth';
import { askToken } from './ui/signin';
import { makeI18n, initialLang, applyI18n, type Lang } from './i18n';
import { buildStyle, LAYER_DEFS, BAOTOU_BOUNDS, styleLayerIds, textFieldFor, type SourceInfo, type LayerDef } from './style';
import { type Ctx, type ActiveScenario, h, scenarioMoved } from './ctx';
import { layerPanel } from './ui/layerPanel';
import { installPopup } from './ui/popup';
import { searchBox } from './ui/search';
import { dashboard } from './ui/dashboard';
import { isochroneTool } from './ui/isochrone';
import { growthTool } from './ui/growth';
import { problemsCard } from './ui/problems';
import { scenarioTool } from './ui/scenario';
import { addOverlays } from './ui/overlays';
import { placeLabels } from './ui/labels';
import { NorthArrow, syntheticStamp } from './ui/controls';
import { printTool, reportTool, measureTool } from './ui/tools';

interface TileJSON { minzoom?: number; maxzoom?: number; bounds?: number[]; vector_layers?: { id: string; fields?: Record<string, string> }[] }

/** Reads /tiles/index.json (when served) for extra basemap layers such as water, then each layer's TileJSON. */
async function discoverSources(defs: LayerDef[]): Promise<{ defs: LayerDef[]; info: Record<string, SourceInfo>; bounds: [number, number, number, number] }> {
  const info: Record<string, SourceInfo> = {};
  let bounds = BAOTOU_BOUNDS;
  const idx = await getJSON<unknown>(tileIndexUrl());
  let served: Set<string> | null = null;
  if (idx.ok) {
    const list = Array.isArray(idx.data) ? idx.data : ((idx.data as Record<string, unknown>).layers ?? (idx.data as Record<string, unknown>).tilesets ?? []);
    if (Array.isArray(list)) served = new Set(list.map((x) => (typeof x === 'string' ? x : String((x as Record<string, unknown>).id ?? (x as Record<string, unknown>).name))));
  }
  // A layer drawn from another's tiles (water from the network) needs that one served.
  const use = defs.filter((d) => !served || served.has(d.source ?? d.id));
  await Promise.all(use.filter((d) => !d.source).map(async (d) => {
    const tj = await getJSON<TileJSON>(tileJsonUrl(d.id));
    if (!tj.ok) return;
    const vl = tj.data.vector_layers?.[0];
    info[d.id] = { sourceLayer: vl?.id ?? d.id, minzoom: tj.data.minzoom ?? 0, maxzoom: Math.min(tj.data.maxzoom ?? 16, 22), promoteId: vl?.fields && 'id' in vl.fields ? 'id' : undefined };
    // Start on the built-up city: the residential land's extent (Baotou's districts reach
    // 150 km north into the steppe, which is not where planners look).
    if (d.id === 'residential_land' && tj.data.bounds?.length === 4) {
      const b = tj.data.bounds;
      if (b[2] > b[0] && b[3] > b[1] && b[2] - b[0] < 5) bounds = [b[0], b[1], b[2], b[3]];
    }
  }));
  return { defs: use, info, bounds };
}

export async function start(root: HTMLElement): Promise<void> {
  maplibregl.setWorkerUrl(workerUrl);
  // A server with anonymous reads off answers 401: ask for a token, then send it everywhere.
  setPageFetch(authFetch((input, init) => fetch(input, init), sessionStorage, location.origin, askToken));
  let lang: Lang = initialLang(location.search, localStorage.getItem('cityreach.lang'));
  const langListeners: (() => void)[] = [];
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';

  const langBtn = h('button', { type: 'button', id: 'lang-switch', class: 'btn', 'data-i18n': 'app.lang', 'data-i18n-aria-label': 'app.langLabel' });
  const panelBtn = h('button', { type: 'button', id: 'panel-toggle', class: 'btn', 'aria-controls': 'panel', 'aria-expanded': 'true', 'data-i18n': 'app.panel', 'data-i18n-aria-label': 'app.panelToggle' });
  const synthetic = h('span', { id: 'synthetic-banner', class: 'badge synthetic', hidden: true, 'data-i18n-title': 'app.syntheticBanner' }, h('span', { 'data-i18n': 'app.synthetic' }));
  const header = h('header', { class: 'top' },
    h('h1', { 'data-i18n': 'app.title' }), synthetic,
    h('span', { class: 'offline', 'data-i18n': 'app.offline' }),
    h('span', { class: 'spacer' }), panelBtn, langBtn);
  const tabs = ['layers', 'indicators', 'tools'] as const;
  const tabBtns = tabs.map((t, i) => h('button', { type: 'button', role: 'tab', id: `tab-${t}`, 'aria-controls': `tabpanel-${t}`, 'aria-selected': i === 0 ? 'true' : 'false', tabindex: i === 0 ? 0 : -1, 'data-i18n': `tab.${t}` }));
  const tabPanels = tabs.map((t, i) => h('section', { role: 'tabpanel', id: `tabpanel-${t}`, 'aria-labelledby': `tab-${t}`, hidden: i !== 0, tabindex: 0 }));
  const panel = h('aside', { id: 'panel', class: 'panel' }, h('div', { role: 'tablist', class: 'tabs' }, ...tabBtns), ...tabPanels);
  const mapEl = h('div', { id: 'map', tabindex: 0, role: 'application', 'aria-label': 'map' });
  root.replaceChildren(h('a', { class: 'skip', href: '#map', 'data-i18n': 'app.skip' }), header, h('main', { class: 'layout' }, panel, mapEl));

  const select = (i: number) => {
    tabBtns.forEach((b, j) => { b.setAttribute('aria-selected', String(i === j)); b.tabIndex = i === j ? 0 : -1; });
    tabPanels.forEach((p, j) => (p.hidden = i !== j));
    window.dispatchEvent(new Event('resize')); // charts size themselves when shown
  };
  tabBtns.forEach((b, i) => {
    b.addEventListener('click', () => select(i));
    b.addEventListener('keydown', (e) => {
      const k = (e as KeyboardEvent).key;
      const n = k === 'ArrowRight' ? (i + 1) % tabs.length : k === 'ArrowLeft' ? (i + tabs.length - 1) % tabs.length : k === 'Home' ? 0 : k === 'End' ? tabs.length - 1 : -1;
      if (n >= 0) { e.preventDefault(); select(n); tabBtns[n].focus(); }
    });
  });
  panelBtn.addEventListener('click', () => {
    const open = panel.classList.toggle('collapsed') === false;
    panelBtn.setAttribute('aria-expanded', String(open));
    setTimeout(() => map.resize(), 0);
  });
  if (window.matchMedia('(max-width: 480px)').matches) panel.classList.add('collapsed'); // phones start on the map

  const { defs, info, bounds } = await discoverSources(LAYER_DEFS);
  const map = new maplibregl.Map({
    container: mapEl,
    style: buildStyle(location.origin, defs, info, lang),
    bounds,
    fitBoundsOptions: { padding: 20 },
    localIdeographFontFamily: false, // every glyph from our own glyph PBFs (see docs/frontend.md)
    attributionControl: false,
    maxZoom: 19,
    // A planning map keeps north up: no rotation by drag, touch or keyboard.
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    canvasContextAttributes: { preserveDrawingBuffer: true }, // lets tests and users screenshot the canvas
    transformRequest: transformRequest(location.origin, sessionStorage),
  } as maplibregl.MapOptions);
  // A tile refused mid-session (the token expired): sign in again through the page's fetch,
  // then reload so every source is requested with the new token.
  map.on('error', (e) => {
    if ((e as { error?: { status?: number } }).error?.status !== 401) { console.error((e as { error?: unknown }).error); return; }
    const before = sessionStorage.getItem(TOKEN_KEY);
    getJSON<unknown>(layersUrl()).then(() => { if (sessionStorage.getItem(TOKEN_KEY) !== before) location.reload(); });
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  (window as unknown as { __map: maplibregl.Map }).__map = map; // for the e2e tests and the console

  const visible = new Set(defs.filter((d) => d.visible).map((d) => d.id));
  let activeScenario: ActiveScenario | null = null;
  const scenarioListeners: (() => void)[] = [];
  const ctx: Ctx = {
    map, origin: location.origin, defs, sources: info, attrTitles: {}, names: {}, figure: null,
    i18n: () => makeI18n(lang),
    lang: () => lang,
    onLang: (cb) => langListeners.push(cb),
    setLayerVisible(id, v) {
      if (v) visible.add(id); else visible.delete(id);
      const def = defs.find((d) => d.id === id);
      const ids = def ? styleLayerIds(def) : [];
      for (const l of ids) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', v ? 'visible' : 'none');
    },
    isLayerVisible: (id) => visible.has(id),
    sawSynthetic() { synthetic.hidden = false; stamp.hidden = false; },
    clickTool: null,
    scenario: () => activeScenario,
    setScenario(s) {
      const moved = scenarioMoved(activeScenario, s);
      activeScenario = s;
      if (moved) scenarioListeners.forEach((cb) => cb());
    },
    onScenario: (cb) => scenarioListeners.push(cb),
  };

  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new NorthArrow(ctx), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 160 }), 'bottom-left');
  const attribution = new maplibregl.AttributionControl({ compact: false, customAttribution: makeI18n(lang).t('map.attribution') });
  map.addControl(attribution, 'bottom-right');
  const stamp = syntheticStamp(ctx);
  ctx.onLang(() => {
    const el = mapEl.querySelector('.maplibregl-ctrl-attrib-inner');
    if (el) el.textContent = makeI18n(lang).t('map.attribution');
  });

  getJSON<unknown>(layersUrl()).then((r) => {
    if (!r.ok) return;
    const list = Array.isArray(r.data) ? r.data : ((r.data as Record<string, unknown>).layers as unknown[]) ?? [];
    for (const l of list as Record<string, unknown>[]) {
      const attrs = (l.attributes ?? l.properties ?? []) as Record<string, unknown>[];
      if (!Array.isArray(attrs)) continue;
      ctx.attrTitles[String(l.id)] = Object.fromEntries(attrs.map((a) => [String(a.name), { zh: String(a.title_zh ?? a.TitleZH ?? a.name), en: String(a.title_en ?? a.TitleEN ?? a.name) }]));
    }
  });

  const relabel = () => {
    for (const l of map.getStyle().layers) {
      const tf = l.type === 'symbol' ? textFieldFor(l.id, lang) : null;
      if (tf) map.setLayoutProperty(l.id, 'text-field', tf as never);
    }
  };
  const applyLang = () => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = makeI18n(lang).t('app.title');
    applyI18n(document, makeI18n(lang));
    mapEl.setAttribute('aria-label', lang === 'zh' ? '地图' : 'Map');
    relabel();
    langListeners.forEach((cb) => cb());
  };
  langBtn.addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('cityreach.lang', lang);
    applyLang();
  });

  await new Promise<void>((resolve) => (map.loaded() ? resolve() : map.once('load', () => resolve())));
  addOverlays(ctx);
  await placeLabels(ctx);
  tabPanels[0].append(searchBox(ctx), layerPanel(ctx));
  tabPanels[1].append(dashboard(ctx), problemsCard(ctx));
  tabPanels[2].append(printTool(ctx), measureTool(ctx), reportTool(ctx), isochroneTool(ctx), growthTool(ctx),
    scenarioTool(ctx, () => (document.getElementById('cov-caliber') as HTMLSelectElement | null)?.value ?? '', () => (document.getElementById('cov-method') as HTMLSelectElement | null)?.value ?? 'buffer'));
  installPopup(ctx);

  // The 示例数据 banner: any rendered feature that says synthetic=true.
  const checkSynthetic = () => {
    if (!synthetic.hidden) { map.off('idle', checkSynthetic); return; }
    for (const d of defs) {
      if (!visible.has(d.id) || !map.getSource(d.id)) continue;
      const feats = map.querySourceFeatures(d.id, { sourceLayer: info[d.id]?.sourceLayer ?? d.id });
      if (feats.some((f) => f.properties?.synthetic === true || f.properties?.synthetic === 'true')) { ctx.sawSynthetic(); break; }
    }
  };
  map.on('idle', checkSynthetic);
  applyLang();
  document.body.dataset.ready = 'true';
}
