import { describe, it, expect } from 'vitest';
import { ringArea, area, editionChange, labelPoint, inRing } from '../src/geo';
import type { MultiPolygon } from 'polygon-clipping';

// A 0.01° square at 40.6°N: R² · Δλ · (sin φ2 − sin φ1), worked by hand with R = 6378137 m.
const R = 6378137;
const rad = (d: number) => (d * Math.PI) / 180;
const expected = R * R * rad(0.01) * (Math.sin(rad(40.61)) - Math.sin(rad(40.6)));
const sq = (x: number, y: number, d: number): [number, number][] => [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]];

describe('geodesic area', () => {
  it('matches the spherical formula for a small square', () => {
    expect(ringArea(sq(109.8, 40.6, 0.01))).toBeCloseTo(expected, 0);
    // Rough check of the formula itself: 1113.2 m · cos 40.6° × 1113.2 m ≈ 941,000 m².
    expect(expected).toBeGreaterThan(938_000);
    expect(expected).toBeLessThan(944_000);
  });

  it('subtracts holes', () => {
    const p = { type: 'Polygon' as const, coordinates: [sq(109.8, 40.6, 0.02), sq(109.805, 40.605, 0.01)] };
    expect(area(p)).toBeCloseTo(ringArea(sq(109.8, 40.6, 0.02)) - ringArea(sq(109.805, 40.605, 0.01)), 3);
  });
});

describe('growth-boundary change', () => {
  it('finds the added and removed parts and their areas', () => {
    const a: MultiPolygon = [[sq(109.8, 40.6, 0.02)]];
    const b: MultiPolygon = [[[[109.81, 40.6], [109.83, 40.6], [109.83, 40.62], [109.81, 40.62], [109.81, 40.6]]]];
    const c = editionChange(a, b);
    // Each strip is 0.01° wide and 0.02° tall.
    const strip = (x: number) => ringArea([[x, 40.6], [x + 0.01, 40.6], [x + 0.01, 40.62], [x, 40.62], [x, 40.6]]);
    expect(c.addedM2).toBeCloseTo(strip(109.82), 0);
    expect(c.removedM2).toBeCloseTo(strip(109.8), 0);
    expect(editionChange(a, a)).toMatchObject({ addedM2: 0, removedM2: 0 });
    expect(editionChange([], a).addedM2).toBeCloseTo(area(a), 3);
  });
});

describe('label points', () => {
  it('uses the centroid when it is inside', () => {
    const p = labelPoint({ type: 'Polygon', coordinates: [sq(0, 0, 2)] })!;
    expect(p[0]).toBeCloseTo(1, 9);
    expect(p[1]).toBeCloseTo(1, 9);
  });

  it('finds an inside point of a U shape whose centroid is outside', () => {
    const u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]];
    const p = labelPoint({ type: 'Polygon', coordinates: [u] })!;
    expect(inRing(p, u)).toBe(true);
  });

  it('labels the largest part of a multipolygon', () => {
    const p = labelPoint({ type: 'MultiPolygon', coordinates: [[sq(10, 10, 0.1)], [sq(0, 0, 1)]] })!;
    expect(p[0]).toBeCloseTo(0.5, 9);
  });
});
