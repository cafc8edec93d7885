import { describe, it, expect } from 'vitest';
import { quantileBreaks, equalBreaks, colorFor, stepExpression, hexToRgb, SEQUENTIAL, LAYER_COLORS } from '../src/colors';
import { LAYER_DEFS } from '../src/style';

describe('colour scales', () => {
  it('splits values into quantile classes', () => {
    const v = Array.from({ length: 100 }, (_, i) => i / 100);
    expect(quantileBreaks(v, 5)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(quantileBreaks([], 5)).toEqual([]);
    expect(quantileBreaks([1, 1, 1, 1], 5)).toEqual([1]); // no repeated thresholds
    expect(quantileBreaks([NaN, 3, Infinity, 1], 2)).toEqual([3]);
  });

  it('splits a range into equal intervals', () => {
    expect(equalBreaks(0, 1, 5).map((x) => +x.toFixed(10))).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(equalBreaks(1, 1)).toEqual([]);
  });

  it('puts a value in the class whose lower break it reaches', () => {
    const b = [0.2, 0.4, 0.6, 0.8];
    expect(colorFor(0, b)).toBe(SEQUENTIAL[0]);
    expect(colorFor(0.19999, b)).toBe(SEQUENTIAL[0]);
    expect(colorFor(0.2, b)).toBe(SEQUENTIAL[1]);
    expect(colorFor(0.8, b)).toBe(SEQUENTIAL[4]);
    expect(colorFor(5, b)).toBe(SEQUENTIAL[4]);
  });

  it('builds a step expression over feature-state with a transparent no-data case', () => {
    const e = stepExpression('v', [0.5], ['#000000', '#ffffff']);
    expect(e).toEqual(['case', ['==', ['feature-state', 'v'], null], 'rgba(0,0,0,0)', ['step', ['to-number', ['feature-state', 'v']], '#000000', 0.5, '#ffffff']]);
  });

  it('has a valid colour for every layer', () => {
    for (const d of LAYER_DEFS) expect(() => hexToRgb(LAYER_COLORS[d.id]), d.id).not.toThrow();
    expect(hexToRgb('#2e9e4f')).toEqual([46, 158, 79]);
    expect(() => hexToRgb('green')).toThrow();
  });
});
