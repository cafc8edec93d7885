import { describe, it, expect } from 'vitest';
import { formatPercent, formatCount, formatArea, formatDistance, formatValue } from '../src/format';

describe('number formatting', () => {
  it('formats ratios as percentages with fixed decimals', () => {
    expect(formatPercent(0.8234, 'zh')).toBe('82.3%');
    expect(formatPercent(0.8234, 'en')).toBe('82.3%');
    expect(formatPercent(1, 'zh', 0)).toBe('100%');
    expect(formatPercent(0.97499, 'en', 1)).toBe('97.5%');
    expect(formatPercent(0, 'en')).toBe('0.0%');
    expect(formatPercent(null, 'zh')).toBe('—');
    expect(formatPercent(NaN, 'zh')).toBe('—');
  });

  it('groups counts', () => {
    expect(formatCount(1234567, 'zh')).toBe('1,234,567');
    expect(formatCount(1234567, 'en')).toBe('1,234,567');
    expect(formatCount(17, 'zh')).toBe('17');
    expect(formatCount(undefined, 'en')).toBe('—');
  });

  it('chooses the area unit', () => {
    expect(formatArea(400, 'zh')).toBe('400 m²');
    expect(formatArea(9999.4, 'en')).toBe('9,999 m²');
    expect(formatArea(52000.5, 'zh')).toBe('5.20 公顷');
    expect(formatArea(52000.5, 'en')).toBe('5.20 ha');
    expect(formatArea(12_345_678, 'en')).toBe('12.35 km²');
    expect(formatArea(null, 'en')).toBe('—');
  });

  it('formats distances and attribute values', () => {
    expect(formatDistance(240.5, 'zh')).toBe('241 m');
    expect(formatDistance(1234, 'en')).toBe('1.2 km');
    expect(formatValue(true, 'zh', '是', '否')).toBe('是');
    expect(formatValue(false, 'en', 'yes', 'no')).toBe('no');
    expect(formatValue(117080.7423, 'en', 'y', 'n')).toBe('117,080.74');
    expect(formatValue(3, 'en', 'y', 'n')).toBe('3');
    expect(formatValue('', 'en', 'y', 'n')).toBe('—');
    expect(formatValue('宏达公园', 'zh', 'y', 'n')).toBe('宏达公园');
  });
});
