// A minimal protocol-buffers writer for the glyph PBF format that MapLibre reads
// (https://github.com/mapbox/glyph-pbf-composite/blob/master/proto/glyphs.proto):
//
//   message glyph     { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
//                       sint32 left = 5; sint32 top = 6; uint32 advance = 7; }
//   message fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3; }
//   message glyphs    { repeated fontstack stacks = 1; }
//
// Only what the format needs: varints, zig-zag sint32 and length-delimited fields.

/** Appends the varint encoding of a non-negative integer below 2^53. */
export function pushVarint(out, n) {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`varint needs a non-negative integer, got ${n}`);
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** Zig-zag encodes a signed 32-bit integer, as protobuf's sint32 does. */
export function zigzag(n) {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function key(out, field, wire) {
  pushVarint(out, field * 8 + wire);
}

function bytesField(out, field, bytes) {
  key(out, field, 2);
  pushVarint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/**
 * Encodes one glyph message. bitmap holds (width+2*buffer) × (height+2*buffer) SDF bytes,
 * or is empty for a glyph with no ink (a space).
 */
export function encodeGlyph(g) {
  const out = [];
  key(out, 1, 0); pushVarint(out, g.id);
  if (g.bitmap && g.bitmap.length) bytesField(out, 2, g.bitmap);
  key(out, 3, 0); pushVarint(out, g.width);
  key(out, 4, 0); pushVarint(out, g.height);
  key(out, 5, 0); pushVarint(out, zigzag(g.left));
  key(out, 6, 0); pushVarint(out, zigzag(g.top));
  key(out, 7, 0); pushVarint(out, g.advance);
  return out;
}

/** Encodes a glyphs message holding one fontstack for the range "start-end". */
export function encodeRange(fontstack, start, end, glyphs) {
  const stack = [];
  bytesField(stack, 1, new TextEncoder().encode(fontstack));
  bytesField(stack, 2, new TextEncoder().encode(`${start}-${end}`));
  for (const g of glyphs) bytesField(stack, 3, encodeGlyph(g));
  const out = [];
  bytesField(out, 1, stack);
  return Uint8Array.from(out);
}
