import { describe, it, expect } from 'vitest';
import { toCSV, niceLength, metresPerPixel, fileName } from '../src/export';
import { valueLabel } from '../src/i18n';
import { lineLength } from '../src/ui/tools';

describe('exports', () => {
  it('CSV: BOM, CRLF, quotes, formula-looking text defused', () => {
    const csv = toCSV({ name: 't', header: ['名称', 'v'], rows: [['宏达公园', 0.5], ['a,"b"', null], ['=HYPERLINK(1)', -3]] });
    expect(csv).toBe('\uFEFF名称,v\r\n宏达公园,0.5\r\n"a,""b""",\r\n"\'=HYPERLINK(1)",-3\r\n');
  });
  it('scale bar lengths are 1, 2 or 5 × 10ⁿ', () => {
    expect(niceLength(4321)).toBe(2000);
    expect(niceLength(999)).toBe(500);
    expect(niceLength(150)).toBe(100);
  });
  it('metres per pixel: 512-pixel tiles, the equator at zoom 0 is 40075016.686 / 512', () => {
    expect(metresPerPixel(0, 0)).toBeCloseTo(78271.517, 3);
    expect(metresPerPixel(60, 1)).toBeCloseTo(78271.517 / 4, 3); // cos 60° = ½, zoom 1 halves again
  });
  it('file names are stamped in Beijing time', () => {
    expect(fileName('分区 覆盖率', 'xlsx', new Date('2026-12-07T06:04:00Z'))).toBe('分区_覆盖率_2026-12-07_1404.xlsx');
  });
  it('a degree of latitude is 111.3 km on the 6378137 m sphere', () => {
    expect(lineLength([[110, 40], [110, 41]])).toBeCloseTo((Math.PI / 180) * 6378137, 3);
  });
});

describe('codes in words', () => {
  it('park classes, open status, road classes; unknown codes stay null', () => {
    expect(valueLabel('park_class', 'comprehensive', 'zh')).toBe('综合公园');
    expect(valueLabel('open_status', 'open', 'zh')).toBe('开放');
    expect(valueLabel('highway', 'primary', 'en')).toBe('primary road');
    expect(valueLabel('category', 'kindergarten', 'zh')).toBe('幼儿园');
    expect(valueLabel('open_status', 'ajar', 'zh')).toBeNull();
    expect(valueLabel('population', 5, 'zh')).toBeNull();
  });
});
