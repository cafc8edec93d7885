// Cuts a CJK font into the signed-distance-field glyph PBFs MapLibre asks for at
// {glyphs}/{fontstack}/{start}-{end}.pbf, one file per 256 code points (stored as .pbf.gz), at build time and
// with nothing from the network: the font comes from the machine (Debian's fonts-noto-cjk)
// or from CITYREACH_CJK_FONT, it is rasterised by Skia (@napi-rs/canvas) and turned into an
// SDF by the same TinySDF MapLibre uses for local glyphs, at the PBF convention's size
// (24 px, 3 px buffer, radius 8).
//
// Which ranges: Latin-1, general punctuation, CJK symbols and punctuation, full-width forms
// and the whole CJK Unified Ideographs block (U+4E00–U+9FFF): 86 files, about 18 MB, built
// in about 10 s. A subset cut to the demo data's names was measured first: Baotou's names
// plus common place-name characters already touch 69 of the 82 ideograph ranges, so the
// subset saved little and would have left planners' new names to a fallback font. For a
// range that is not served (Hangul, CJK extension A, emoji) maplibre-gl ≥ 5 draws the glyph
// with the browser's own font after the 404, so no label goes blank.
import { mkdirSync, writeFileSync, existsSync, readFileSync, statSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import TinySDF from '@mapbox/tiny-sdf';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { gzipSync } from 'node:zlib';
import { encodeRange } from './pbf.mjs';

export const FONTSTACK = 'Noto Sans CJK SC Regular';
const here = dirname(fileURLToPath(import.meta.url));

const FONT_CANDIDATES = [
  process.env.CITYREACH_CJK_FONT,
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc',
].filter(Boolean);

/** The ranges always served: Latin-1, general punctuation, CJK symbols, full-width forms. */
export const BASE_RANGES = [0, 0x2000 >> 8, 0x3000 >> 8, 0xff00 >> 8];

/** The CJK Unified Ideographs ranges, U+4E00–U+9FFF. */
export const IDEOGRAPH_RANGES = Array.from({ length: (0x9fff - 0x4e00 + 1) / 256 }, (_, i) => (0x4e00 >> 8) + i);

/** Every range served, ascending. */
export function servedRanges() {
  return [...BASE_RANGES, ...IDEOGRAPH_RANGES].sort((a, b) => a - b);
}

class NodeTinySDF extends TinySDF {
  _createCanvas(size) {
    return createCanvas(size, size);
  }
}

function findFont() {
  for (const p of FONT_CANDIDATES) if (existsSync(p)) return p;
  return null;
}

/** What the glyphs are made from: this generator, the PBF writer and the font file. */
function stamp(font) {
  const h = createHash('sha256');
  for (const f of ['glyphs.mjs', 'pbf.mjs']) h.update(readFileSync(join(here, f)));
  const st = statSync(font);
  h.update(`${font}:${st.size}:${st.mtimeMs}`);
  return h.digest('hex');
}

/**
 * Writes the glyph PBFs into outDir/<FONTSTACK>/, unless a previous run left the same
 * glyphs there (outDir/.stamp names what they were made from). Returns what it wrote, or null when no
 * CJK font is installed (the map then draws every label with the browser's fonts).
 */
export function buildGlyphs(outDir, log = console.log) {
  const font = findFont();
  if (!font) {
    log('glyphs: no CJK font found (install fonts-noto-cjk or set CITYREACH_CJK_FONT); labels will use the browser fonts');
    return null;
  }
  const want = stamp(font);
  const stampFile = join(outDir, '.stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) {
    log(`glyphs: up to date in ${outDir}`);
    return { font, ranges: servedRanges(), glyphCount: 0, bytes: 0 };
  }
  rmSync(outDir, { recursive: true, force: true });
  GlobalFonts.registerFromPath(font, 'CityreachCJK');
  // The SC face of the collection: fontconfig resolves the family by name; the registered
  // alias (the collection's first face, JP) is the fallback.
  const sdf = new NodeTinySDF({ fontSize: 24, buffer: 3, radius: 8, cutoff: 0.25, fontFamily: '"Noto Sans CJK SC", CityreachCJK' });
  const dir = join(outDir, FONTSTACK);
  mkdirSync(dir, { recursive: true });
  const ranges = servedRanges();
  let glyphCount = 0;
  let bytes = 0;
  for (const r of ranges) {
    const start = r * 256;
    const end = start + 255;
    const glyphs = [];
    for (let cp = start; cp <= end; cp++) {
      if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000)) continue;
      const ch = String.fromCodePoint(cp);
      const g = sdf.draw(ch);
      if (g.glyphAdvance <= 0) continue; // not in the font
      glyphs.push({
        id: cp,
        bitmap: g.glyphWidth > 0 && g.glyphHeight > 0 ? g.data : new Uint8ClampedArray(0),
        width: g.glyphWidth,
        height: g.glyphHeight,
        left: g.glyphLeft,
        top: g.glyphTop - 27,
        advance: Math.round(g.glyphAdvance),
      });
    }
    const pbf = encodeRange(FONTSTACK, start, end, glyphs);
    // Stored gzipped (a third of the size in the binary); internal/webui sends it as is to
    // clients that accept gzip, which every browser does, and inflates it for the others.
    writeFileSync(join(dir, `${start}-${end}.pbf.gz`), gzipSync(pbf, { level: 9 }));
    glyphCount += glyphs.length;
    bytes += pbf.length;
  }
  writeFileSync(stampFile, want);
  log(`glyphs: ${ranges.length} ranges, ${glyphCount} glyphs, ${(bytes / 1024).toFixed(0)} KiB from ${font}`);
  return { font, ranges, glyphCount, bytes };
}


if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] || join(here, '..', 'dist', 'glyphs');
  const t0 = Date.now();
  buildGlyphs(out);
  console.log(`glyphs: ${Date.now() - t0} ms`);
}
