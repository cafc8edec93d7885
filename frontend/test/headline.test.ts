import { describe, it, expect } from 'vitest';
import { headlinePercent, truncate, formatPerCapita, formatBeijing } from '../src/format';

describe('headlinePercent never rounds a shortfall away', () => {
  it('99.985 % of 100 % shows the missing 0.015 %', () => {
    // gap 0.015 pp: ceil(-log10 0.015) + 1 = 2 + 1 = 3 decimals.
    expect(headlinePercent(0.99985, 1, 'zh')).toEqual({ value: '99.985%', gap: '0.015%', digits: 3, met: false });
  });
  it('the demo figure 89.505… % is 89.5 % with 10.5 % to go', () => {
    expect(headlinePercent(0.8950541323623453, 1, 'en')).toEqual({ value: '89.5%', gap: '10.5%', digits: 1, met: false });
  });
  it('truncates rather than rounds: 89.96 % is 89.9 % (one decimal, gap 10.04 pp)', () => {
    expect(headlinePercent(0.8996, 1, 'en').value).toBe('89.9%');
  });
  it('a tiny shortfall stops at four decimals and is still not 100 %', () => {
    const h = headlinePercent(0.99999999, 1, 'en');
    expect(h.digits).toBe(4);
    expect(h.value).toBe('99.9999%');
    expect(h.gap).toBe('0.0001%');
  });
  it('a met target shows one decimal and no gap', () => {
    expect(headlinePercent(1, 1, 'zh')).toEqual({ value: '100.0%', gap: '0.0%', digits: 1, met: true });
    expect(headlinePercent(0.92, 0.9, 'zh').met).toBe(true);
  });
  it('missing values', () => {
    expect(headlinePercent(null, 1, 'zh').value).toBe('—');
  });
});

describe('helpers', () => {
  it('truncate is exact on decimal inputs', () => {
    expect(truncate(99.985, 3)).toBe(99.985);
    expect(truncate(0.29 * 100, 0)).toBe(29); // 28.999999999999996 in binary
    expect(truncate(8.0273, 2)).toBe(8.02);
  });
  it('per-capita figures are truncated', () => {
    expect(formatPerCapita(8.027302945604804, 'zh')).toBe('8.02');
    expect(formatPerCapita(2.999, 'en')).toBe('2.99');
  });
  it('Beijing time is UTC+8', () => {
    expect(formatBeijing('2026-12-07T06:04:59.325387Z')).toBe('2026-12-07 14:04');
    expect(formatBeijing('2026-12-31T20:30:00Z')).toBe('2027-01-01 04:30');
  });
});
