// Exports: every dashboard table as CSV and XLSX, and the current map view as a PNG or PDF
// sheet (A4/A3 landscape) with title, legend, scale bar, north arrow, caliber, method, data
// version and the date in Beijing time. The sheet is composed on a canvas in the browser
// from the map's own canvas (preserveDrawingBuffer), so the page asks no other host.
//
// Libraries (both MIT, loaded only when an export is asked for):
// - write-excel-file (one dependency, fflate) writes the XLSX; a hand-made zip of XML would
//   be ours to keep correct.
// - jsPDF puts the composed sheet into a PDF page of the exact paper size. The browser's
//   print dialog cannot be driven headless nor produce a file without a click, and jsPDF's
//   built-in fonts have no Chinese glyphs, so every word is drawn on the canvas; one ASCII
//   line (data version, caliber, method, time) is also PDF text, for search and for tests.
import { formatBeijing } from './format';

export type Cell = string | number | null;
export interface Table { name: string; header: string[]; rows: Cell[][]; /** Columns holding fractions shown as percentages. */ percent?: number[] }

/** CSV for Excel: UTF-8 with a byte-order mark, CRLF, fields quoted where needed. */
export function toCSV(t: Table): string {
  const q = (c: Cell) => {
    if (c === null || c === undefined) return '';
    if (typeof c === 'number') return String(c);
    const formula = /^[=+\-@]/.test(c); // text a spreadsheet would run as a formula
    return /[",\r\n]/.test(c) || formula ? `"${(formula ? `'${c}` : c).replace(/"/g, '""')}"` : c;
  };
  return '\uFEFF' + [t.header, ...t.rows].map((r) => r.map(q).join(',')).join('\r\n') + '\r\n';
}

/** The XLSX of a table: a header row in bold, numbers as numbers, fractions in 0.000 %. */
export async function toXLSX(t: Table): Promise<Blob> {
  const { default: writeXlsxFile } = await import('write-excel-file/browser');
  const data = [
    t.header.map((v) => ({ value: v, fontWeight: 'bold' as const })),
    ...t.rows.map((r) => r.map((v, i) => (v === null ? null : typeof v === 'number' ? { value: v, ...(t.percent?.includes(i) ? { format: '0.000%' } : {}) } : { value: v }))),
  ];
  return writeXlsxFile(data as never, { sheet: t.name.slice(0, 31), stickyRowsCount: 1, columns: t.header.map((h) => ({ width: Math.max(10, h.length * 2 + 2) })) }).toBlob();
}

/** Saves blob as file through a temporary link. */
export function download(blob: Blob, file: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = file;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** A file name safe on every system: table-name_2026-12-07_1404.ext (Beijing time). */
export function fileName(base: string, ext: string, now = new Date()): string {
  return `${base.replace(/[\\/:*?"<>|\s]+/g, '_')}_${formatBeijing(now).replace(' ', '_').replace(':', '')}.${ext}`;
}

export async function exportTable(t: Table, kind: 'csv' | 'xlsx'): Promise<string> {
  const file = fileName(t.name, kind);
  download(kind === 'csv' ? new Blob([toCSV(t)], { type: 'text/csv;charset=utf-8' }) : await toXLSX(t), file);
  return file;
}

// ---- the map sheet ---------------------------------------------------------------------

export const PAPER = { A4: [297, 210], A3: [420, 297] } as const; // landscape, mm
export type Paper = keyof typeof PAPER;

export interface SheetInfo {
  title: string;
  legend: { label: string; color: string; kind: 'fill' | 'line' | 'point' | 'outline' }[];
  lines: string[];
  /** The ASCII line also written as PDF text. */
  ascii: string;
  northLabel: string;
  scaleLabel: string;
  legendLabel: string;
}

/** Metres per CSS pixel at latitude lat and zoom z (MapLibre's 512-pixel tiles). */
export function metresPerPixel(lat: number, z: number): number {
  return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** z);
}

/** A scale bar's length: the largest 1, 2 or 5 × 10ⁿ metres not longer than max metres. */
export function niceLength(max: number): number {
  const p = 10 ** Math.floor(Math.log10(max));
  for (const f of [5, 2, 1]) if (f * p <= max) return f * p;
  return p;
}

const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif';

/**
 * Composes the sheet: the map image (contain-fitted, framed) on the left, the title above,
 * and on the right the north arrow, legend, scale bar and the caliber/version lines. mpp is
 * the map's metres per CSS pixel and dpr the canvas's device pixels per CSS pixel.
 */
export function composeSheet(map: HTMLCanvasElement, mpp: number, dpr: number, paper: Paper, info: SheetInfo, dpi = 150): HTMLCanvasElement {
  const [wmm, hmm] = PAPER[paper];
  const W = Math.round((wmm / 25.4) * dpi), H = Math.round((hmm / 25.4) * dpi);
  const u = W / 1754; // layout unit: 1 at A4 150 dpi
  const c = document.createElement('canvas');
  c.width = W; c.height = H;
  const g = c.getContext('2d')!;
  g.fillStyle = '#fff'; g.fillRect(0, 0, W, H);
  const m = 60 * u, side = 380 * u, top = 130 * u;
  g.fillStyle = '#1f2933'; g.font = `bold ${46 * u}px ${FONT}`; g.textBaseline = 'alphabetic';
  g.fillText(info.title, m, m + 40 * u);
  // The map frame.
  const fx = m, fy = top, fw = W - 2 * m - side - 30 * u, fh = H - top - m;
  const s = Math.min(fw / map.width, fh / map.height);
  const dw = map.width * s, dh = map.height * s;
  const ox = fx + (fw - dw) / 2, oy = fy + (fh - dh) / 2;
  g.drawImage(map, ox, oy, dw, dh);
  g.strokeStyle = '#1f2933'; g.lineWidth = 2 * u; g.strokeRect(ox, oy, dw, dh);
  // Right column.
  let x = W - m - side, y = top;
  // North arrow.
  const ax = x + side / 2, ay = y + 10 * u;
  g.fillStyle = '#1f2933';
  g.beginPath(); g.moveTo(ax, ay); g.lineTo(ax + 28 * u, ay + 80 * u); g.lineTo(ax, ay + 64 * u); g.closePath(); g.fill();
  g.fillStyle = '#fff'; g.strokeStyle = '#1f2933'; g.lineWidth = 2.5 * u;
  g.beginPath(); g.moveTo(ax, ay); g.lineTo(ax - 28 * u, ay + 80 * u); g.lineTo(ax, ay + 64 * u); g.closePath(); g.fill(); g.stroke();
  g.fillStyle = '#1f2933'; g.font = `bold ${30 * u}px ${FONT}`; g.textAlign = 'center'; g.fillText(info.northLabel, ax, ay + 118 * u); g.textAlign = 'left';
  y += 160 * u;
  // Legend.
  g.font = `bold ${28 * u}px ${FONT}`; g.fillText(info.legendLabel, x, y); y += 18 * u;
  g.font = `${24 * u}px ${FONT}`;
  for (const l of info.legend) {
    y += 38 * u;
    g.fillStyle = l.color; g.strokeStyle = l.color; g.lineWidth = 3 * u;
    if (l.kind === 'fill') g.fillRect(x, y - 22 * u, 44 * u, 26 * u);
    else if (l.kind === 'outline') g.strokeRect(x + 2 * u, y - 20 * u, 40 * u, 22 * u);
    else if (l.kind === 'line') { g.beginPath(); g.moveTo(x, y - 9 * u); g.lineTo(x + 44 * u, y - 9 * u); g.stroke(); }
    else { g.beginPath(); g.arc(x + 22 * u, y - 9 * u, 9 * u, 0, 2 * Math.PI); g.fill(); }
    g.fillStyle = '#1f2933'; g.fillText(l.label, x + 60 * u, y);
  }
  // Scale bar: metres per sheet pixel = mpp / (s · dpr).
  const mPerPx = mpp / (s * dpr);
  const len = niceLength(side * 0.8 * mPerPx);
  const px = len / mPerPx;
  y = H - m - 340 * u;
  g.fillStyle = '#1f2933'; g.font = `${24 * u}px ${FONT}`; g.fillText(info.scaleLabel, x, y - 34 * u);
  g.fillRect(x, y, px / 2, 12 * u); g.strokeStyle = '#1f2933'; g.lineWidth = 2 * u; g.strokeRect(x, y, px, 12 * u);
  g.fillText('0', x - 6 * u, y + 44 * u);
  g.textAlign = 'right'; g.fillText(len >= 1000 ? `${len / 1000} km` : `${len} m`, x + px + 10 * u, y + 44 * u); g.textAlign = 'left';
  // The caliber, method, version and date lines, wrapped to the column.
  y += 90 * u;
  g.font = `${20 * u}px ${FONT}`; g.fillStyle = '#3b4657';
  for (const line of info.lines) for (const part of wrap(g, line, side)) { g.fillText(part, x, y); y += 28 * u; }
  return c;
}

function wrap(g: CanvasRenderingContext2D, text: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (g.measureText(cur + ch).width > width && cur) { out.push(cur); cur = ch; } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

export async function sheetPNG(sheet: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => sheet.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob gave nothing'))), 'image/png'));
}

export async function sheetPDF(sheet: HTMLCanvasElement, paper: Paper, info: SheetInfo): Promise<Blob> {
  const { jsPDF } = await import('jspdf');
  const [w, h] = PAPER[paper];
  const doc = new jsPDF({ orientation: 'landscape', unit: 'mm', format: paper.toLowerCase(), compress: true });
  doc.addImage(sheet.toDataURL('image/jpeg', 0.92), 'JPEG', 0, 0, w, h);
  doc.setProperties({ title: info.ascii, subject: info.ascii, creator: 'cityreach', keywords: 'cityreach map' });
  doc.setFontSize(6);
  doc.setTextColor(120);
  doc.text(info.ascii, 6, h - 3);
  return doc.output('blob');
}
