import { describe, it, expect } from 'vitest';
import { headlinePercent, roundShown, formatPerCapita, formatBeijing } from '../src/format';

describe('headlinePercent never rounds a shortfall away', () => {
  it('99.985 % of 100 % shows the missing 0.015 %', () => {
    // gap 0.015 pp: ceil(-log10 0.015) + 1 = 2 + 1 = 3 decimals.
    expect(headlinePercent(0.99985, 1, 'zh')).toEqual({ value: '99.985%', gap: '0.015%', digits: 3, met: false });
  });
  it('the demo figure 89.505… % is 89.5 % with 10.5 % to go', () => {
    expect(headlinePercent(0.8950541323623453, 1, 'en')).toEqual({ value: '89.5%', gap: '10.5%', digits: 1, met: false });
  });
  it('rounds half away from zero like the CLI and the report: 89.96 % is 90.0 %, 89.94 % is 89.9 %', () => {
    expect(headlinePercent(0.8996, 1, 'en').value).toBe('90.0%');
    expect(headlinePercent(0.8994, 1, 'en').value).toBe('89.9%');
  });
  it('never rounds up to the target: 99.96 % of a 99.99 % target stays short', () => {
    // gap 0.03 pp: ceil(-log10 0.03) + 1 = 2 + 1 = 3 decimals; 99.960 is below 99.990.
    expect(headlinePercent(0.9996, 0.9999, 'en')).toEqual({ value: '99.960%', gap: '0.030%', digits: 3, met: false });
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
  it('roundShown is internal/report Round: half away from zero, cut below the limit', () => {
    expect(roundShown(99.985, 3, 100)).toBe(99.985);
    expect(roundShown(8.0273, 2)).toBe(8.03);
    expect(roundShown(-2.5, 0)).toBe(-3); // away from zero, as Go's math.Round
    expect(roundShown(99.96, 1, 100)).toBe(99.9); // would round to 100.0: cut instead
    expect(roundShown(-0.004, 2)).toBe(0); // no "-0"
  });
  it('per-capita figures are rounded, never up to their target', () => {
    expect(formatPerCapita(8.027302945604804, 'zh')).toBe('8.03');
    expect(formatPerCapita(2.999, 'en', 3)).toBe('2.99');
    expect(formatPerCapita(2.999, 'en')).toBe('3.00');
  });
  it('Beijing time is UTC+8', () => {
    expect(formatBeijing('2026-12-07T06:04:59.325387Z')).toBe('2026-12-07 14:04');
    expect(formatBeijing('2026-12-31T20:30:00Z')).toBe('2027-01-01 04:30');
  });
});
