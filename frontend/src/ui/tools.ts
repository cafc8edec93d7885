// The tools of issue 20: print/export the view (PNG, PDF at A4/A3 landscape), start a
// report job for the dashboard's selection and follow it, and measure distances and areas.
import { type Ctx, h } from '../ctx';
import { LAYER_COLORS } from '../colors';
import { OVERLAY_LAYERS, setOverlayData } from './overlays';
import { composeSheet, sheetPNG, sheetPDF, download, fileName, metresPerPixel, type Paper, type SheetInfo } from '../export';
import { formatBeijing, formatDistance, formatArea } from '../format';
import { DEFAULT_CITY, reportExecutionUrl, jobUrl } from '../api';
import { authHeader } from '../auth';
import { ringArea } from '../geo';

/** What the sheet says: title, legend of what is drawn, caliber/method and version lines. */
export function sheetInfo(ctx: Ctx, title: string, now = new Date()): SheetInfo {
  const i = ctx.i18n();
  const m = ctx.map;
  const on = (l: string) => m.getLayer(l) && m.getLayoutProperty(l, 'visibility') !== 'none';
  const legend: SheetInfo['legend'] = [];
  for (const d of ctx.defs) {
    if (!ctx.isLayerVisible(d.id)) continue;
    legend.push({ label: i.t(`layer.${d.id}`), color: LAYER_COLORS[d.id] ?? '#888', kind: d.geom === 'point' ? 'point' : d.geom === 'line' ? 'line' : d.outline ? 'outline' : 'fill' });
  }
  for (const [id, key, kind] of [['gaps', 'layer.gaps', 'fill'], ['sites', 'layer.sites', 'point']] as const) {
    if (OVERLAY_LAYERS[id].some(on)) legend.push({ label: i.t(key), color: LAYER_COLORS[id], kind });
  }
  const f = ctx.figure;
  const at = formatBeijing(now);
  const method = f?.method ? i.t(`ind.method.${f.method}`) : '—';
  return {
    title, legend, northLabel: ctx.lang() === 'zh' ? '北' : 'N', scaleLabel: i.t('exp.scale'), legendLabel: i.t('exp.legend'),
    lines: [i.t('exp.caliber', { cal: f?.caliberName || '—', method }), i.t('exp.version', { hash: f?.dataHash ?? '—', at }),
      i.t('ind.provenance', { hash: f?.dataHash ?? '—', at: formatBeijing(f?.computedAt) }), i.t('map.attribution'),
      ...(document.getElementById('synthetic-banner')?.hidden === false ? [i.t('app.syntheticBanner')] : [])],
    ascii: `cityreach | data ${f?.dataHash ?? '-'} | caliber ${f?.caliber || '-'} | method ${f?.method || '-'} | ${at} Beijing time (UTC+8)`,
  };
}

export function printTool(ctx: Ctx): HTMLElement {
  const paper = h('select', { id: 'print-paper' }, h('option', { value: 'A4' }, 'A4'), h('option', { value: 'A3' }, 'A3'));
  const title = h('input', { type: 'text', id: 'print-title', class: 'text' });
  const out = h('p', { class: 'help', id: 'print-out', 'aria-live': 'polite' });
  const run = async (kind: 'png' | 'pdf') => {
    const m = ctx.map;
    await new Promise<void>((r) => { if (m.loaded() && !m.isMoving()) r(); else m.once('idle', () => r()); });
    m.triggerRepaint();
    await new Promise<void>((r) => m.once('render', () => r()));
    const info = sheetInfo(ctx, title.value.trim() || ctx.i18n().t('exp.defaultTitle'));
    const canvas = m.getCanvas();
    const dpr = canvas.width / canvas.clientWidth;
    const sheet = composeSheet(canvas, metresPerPixel(m.getCenter().lat, m.getZoom()), dpr, paper.value as Paper, info);
    const file = fileName(`${info.title}_${paper.value}`, kind);
    download(kind === 'png' ? await sheetPNG(sheet) : await sheetPDF(sheet, paper.value as Paper, info), file);
    out.textContent = ctx.i18n().t('exp.done', { file });
  };
  return h('section', { class: 'card', id: 'tool-print', 'aria-labelledby': 'print-h' },
    h('h2', { id: 'print-h', 'data-i18n': 'exp.title' }),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'exp.mapTitle' }), title),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'exp.paper' }), paper),
    h('div', { class: 'row wrap' },
      h('button', { type: 'button', class: 'btn', id: 'print-png', 'data-i18n': 'exp.png', onclick: () => run('png') }),
      h('button', { type: 'button', class: 'btn', id: 'print-pdf', 'data-i18n': 'exp.pdf', onclick: () => run('pdf') })),
    out);
}

/** The report job (docs/reports.md): POST the dashboard's selection, poll its status, list its files. */
export function reportTool(ctx: Ctx): HTMLElement {
  const out = h('div', { id: 'report-out', 'aria-live': 'polite' });
  const headers = (): Record<string, string> => {
    const t = localStorage.getItem('cityreach.token')?.trim();
    return t ? { Authorization: `Bearer ${t}` } : authHeader(sessionStorage);
  };
  const start = async () => {
    const i = ctx.i18n();
    const hd = headers();
    if (!hd.Authorization) { out.replaceChildren(h('p', { class: 'warn' }, i.t('exp.reportNeedsToken'))); return; }
    const f = ctx.figure;
    const body = { inputs: { city: DEFAULT_CITY, level: 'community', indicators: ['park-coverage', 'living-circle', 'checks'], ...(f?.caliber ? { caliber: f.caliber } : {}), ...(f?.method ? { method: f.method } : {}), lang: ctx.lang(), formats: ['pdf', 'xlsx'] } };
    const r = await fetch(reportExecutionUrl(), { method: 'POST', headers: { ...hd, 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
    const js = await r.json().catch(() => ({}));
    if (!r.ok) { out.replaceChildren(h('p', { class: 'warn' }, r.status === 401 || r.status === 403 ? i.t('exp.reportNeedsToken') : String(js.detail ?? r.statusText))); return; }
    const id = String(js.jobID ?? js.id ?? '');
    const status = h('p', { id: 'report-status' });
    const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, h('div', { class: 'bar', style: 'width:0%;background:#1f6f43' }));
    out.replaceChildren(status, bar);
    for (;;) {
      const s = await fetch(jobUrl(id), { headers: { ...hd, Accept: 'application/json' } }).then((x) => x.json()).catch(() => null);
      if (!s) break;
      const p = Number(s.progress ?? 0);
      status.textContent = i.t('exp.reportStatus', { id, status: String(s.status), progress: p }) + (s.message ? ` · ${s.message}` : '');
      (bar.firstChild as HTMLElement).style.width = `${p}%`;
      bar.setAttribute('aria-valuenow', String(p));
      if (['successful', 'failed', 'dismissed'].includes(s.status)) {
        if (s.status === 'successful') {
          const res = await fetch(`${jobUrl(id)}/results`, { headers: { ...hd, Accept: 'application/json' } }).then((x) => x.json()).catch(() => ({ files: [] }));
          out.append(h('p', { id: 'report-files' }, i.t('exp.reportFiles'), ...(res.files ?? []).map((fl: { name: string; href: string }) =>
            h('button', { type: 'button', class: 'link', onclick: async () => download(await (await fetch(fl.href, { headers: hd })).blob(), fl.name) }, ` ${fl.name}`))));
        }
        break;
      }
      await new Promise((r2) => setTimeout(r2, 1500));
    }
  };
  return h('section', { class: 'card', id: 'tool-report', 'aria-labelledby': 'report-h' },
    h('h2', { id: 'report-h', 'data-i18n': 'exp.report' }), h('p', { class: 'help', 'data-i18n': 'exp.reportHelp' }),
    h('button', { type: 'button', class: 'btn primary', id: 'report-start', 'data-i18n': 'exp.report', onclick: start }), out);
}

/** Great-circle length of a line of [lon, lat], m (haversine on the sphere geo.ts uses). */
export function lineLength(pts: number[][]): number {
  const R = 6378137, rad = (d: number) => (d * Math.PI) / 180;
  let s = 0;
  for (let k = 1; k < pts.length; k++) {
    const [x1, y1] = pts[k - 1], [x2, y2] = pts[k];
    const a = Math.sin(rad(y2 - y1) / 2) ** 2 + Math.cos(rad(y1)) * Math.cos(rad(y2)) * Math.sin(rad(x2 - x1) / 2) ** 2;
    s += 2 * R * Math.asin(Math.sqrt(a));
  }
  return s;
}

export function measureTool(ctx: Ctx): HTMLElement {
  const out = h('p', { id: 'measure-out', class: 'figure small', 'aria-live': 'polite' });
  let pts: number[][] = [];
  let mode: 'distance' | 'area' | null = null;
  const btns: Record<string, HTMLButtonElement> = {};
  const draw = () => {
    const feats: GeoJSON.Feature[] = pts.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } }));
    if (mode === 'area' && pts.length >= 3) feats.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
    else if (pts.length >= 2) feats.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
    setOverlayData(ctx, 'measure', { type: 'FeatureCollection', features: feats });
    const L = ctx.lang();
    if (mode === 'area') out.textContent = pts.length >= 3 ? `${ctx.i18n().t('meas.area')}: ${formatArea(ringArea([...pts, pts[0]]), L)} · ${formatDistance(lineLength([...pts, pts[0]]), L)}` : '';
    else out.textContent = pts.length >= 2 ? `${ctx.i18n().t('meas.distance')}: ${formatDistance(lineLength(pts), L)}` : '';
    out.dataset.value = String(mode === 'area' ? (pts.length >= 3 ? ringArea([...pts, pts[0]]) : '') : pts.length >= 2 ? lineLength(pts) : '');
  };
  const stop = () => {
    mode = null; ctx.clickTool = null; ctx.map.doubleClickZoom.enable(); ctx.map.getCanvas().style.cursor = '';
    Object.values(btns).forEach((b) => b.setAttribute('aria-pressed', 'false'));
  };
  const startMode = (m: 'distance' | 'area') => {
    stop();
    mode = m; pts = []; draw();
    btns[m].setAttribute('aria-pressed', 'true');
    ctx.map.doubleClickZoom.disable();
    ctx.map.getCanvas().style.cursor = 'crosshair';
    ctx.clickTool = (ll) => { pts.push([ll.lng, ll.lat]); draw(); };
  };
  ctx.map.on('dblclick', () => { if (mode) { const m = mode; ctx.clickTool = null; ctx.map.doubleClickZoom.enable(); mode = m; btns[m].setAttribute('aria-pressed', 'false'); ctx.map.getCanvas().style.cursor = ''; } });
  for (const m of ['distance', 'area'] as const) btns[m] = h('button', { type: 'button', class: 'btn', id: `measure-${m}`, 'aria-pressed': 'false', 'data-i18n': `meas.${m}`, onclick: () => startMode(m) });
  ctx.onLang(draw);
  return h('section', { class: 'card', id: 'tool-measure', 'aria-labelledby': 'measure-h' },
    h('h2', { id: 'measure-h', 'data-i18n': 'meas.title' }), h('p', { class: 'help', 'data-i18n': 'meas.help' }),
    h('div', { class: 'row wrap' }, btns.distance, btns.area,
      h('button', { type: 'button', class: 'btn', id: 'measure-clear', 'data-i18n': 'meas.clear', onclick: () => { stop(); pts = []; draw(); } })), out);
}
