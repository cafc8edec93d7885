import { describe, it, expect } from 'vitest';
// @ts-expect-error plain ESM build script without types
import { pushVarint, zigzag, encodeGlyph, encodeRange } from '../build/pbf.mjs';
// @ts-expect-error plain ESM build script without types
import { servedRanges } from '../build/glyphs.mjs';

/** An independent protobuf reader: field → values (varints as numbers, bytes as Uint8Array). */
function read(buf: Uint8Array): [number, number | Uint8Array][] {
  const out: [number, number | Uint8Array][] = [];
  let i = 0;
  const varint = () => { let n = 0, m = 1, b; do { b = buf[i++]; n += (b & 0x7f) * m; m *= 128; } while (b & 0x80); return n; };
  while (i < buf.length) {
    const key = varint();
    if ((key & 7) === 0) out.push([key >> 3, varint()]);
    else if ((key & 7) === 2) { const len = varint(); out.push([key >> 3, buf.slice(i, i + len)]); i += len; }
    else throw new Error(`wire type ${key & 7}`);
  }
  return out;
}

describe('glyph PBF writer', () => {
  it('writes varints and zig-zag values as protobuf does', () => {
    const v = (n: number) => { const o: number[] = []; pushVarint(o, n); return o; };
    expect(v(0)).toEqual([0]);
    expect(v(127)).toEqual([127]);
    expect(v(300)).toEqual([0xac, 0x02]);
    expect(v(2 ** 32)).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(() => v(-1)).toThrow();
    expect([0, -1, 1, -2, 2147483647, -2147483648].map(zigzag)).toEqual([0, 1, 2, 3, 4294967294, 4294967295]);
  });

  it('encodes a range that reads back field by field', () => {
    const bitmap = Uint8Array.from({ length: (2 + 6) * (3 + 6) }, (_, k) => k % 256);
    const pbf = encodeRange('Noto Sans CJK SC Regular', 19968, 20223, [
      { id: 19968, bitmap, width: 2, height: 3, left: -1, top: -20, advance: 24 },
      { id: 32, bitmap: new Uint8Array(0), width: 0, height: 0, left: 0, top: 0, advance: 8 },
    ]);
    const top = read(pbf);
    expect(top).toHaveLength(1);
    const stack = read(top[0][1] as Uint8Array);
    expect(new TextDecoder().decode(stack[0][1] as Uint8Array)).toBe('Noto Sans CJK SC Regular');
    expect(new TextDecoder().decode(stack[1][1] as Uint8Array)).toBe('19968-20223');
    const g = read(stack[2][1] as Uint8Array);
    expect(g.map(([f]) => f)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(g[0][1]).toBe(19968);
    expect(Array.from(g[1][1] as Uint8Array)).toEqual(Array.from(bitmap));
    expect(g.slice(2).map(([, x]) => x)).toEqual([2, 3, zigzag(-1), zigzag(-20), 24]);
    expect(read(stack[3][1] as Uint8Array).map(([f]) => f)).toEqual([1, 3, 4, 5, 6, 7]); // no bitmap for a space
    expect(encodeGlyph({ id: 1, width: 0, height: 0, left: 0, top: 0, advance: 0 })).toEqual([8, 1, 24, 0, 32, 0, 40, 0, 48, 0, 56, 0]);
  });

  it('serves Latin-1, the punctuation blocks and every CJK ideograph range', () => {
    const r: number[] = servedRanges();
    expect(r).toContain(0);
    expect(r).toContain(0x30);
    expect(r).toContain(0xff);
    for (const ch of '包头市昆都仑区公园阿尔丁龘') expect(r, ch).toContain(ch.codePointAt(0)! >> 8);
    expect(r.length).toBe(4 + 82);
  });
});
