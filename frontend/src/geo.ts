// Small geometry helpers for the growth-boundary comparison: union and difference of
// editions (polygon-clipping) and geodesic area on the WGS84 sphere.
import polygonClipping, { type MultiPolygon, type Geom } from 'polygon-clipping';

const R = 6378137; // WGS84 semi-major axis, m: the sphere turf and MapLibre measure on

function rad(d: number): number { return (d * Math.PI) / 180; }

/** Area of a ring of [lon, lat] on the sphere, m² (absolute value). Chamberlain & Duquette 2007. */
export function ringArea(ring: number[][]): number {
  const n = ring.length;
  if (n < 3) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p1 = ring[i], p2 = ring[(i + 1) % n], p3 = ring[(i + 2) % n];
    total += (rad(p3[0]) - rad(p1[0])) * Math.sin(rad(p2[1]));
  }
  return Math.abs((total * R * R) / 2);
}

/** Area of a (multi)polygon in m²: outer rings minus holes. */
export function area(g: GeoJSON.Polygon | GeoJSON.MultiPolygon | MultiPolygon): number {
  const polys = ('type' in g ? (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) : g) as number[][][][];
  let a = 0;
  for (const p of polys) p.forEach((ring, k) => (a += k === 0 ? ringArea(ring) : -ringArea(ring)));
  return a;
}

function asGeom(g: GeoJSON.Geometry): Geom | null {
  if (g.type === 'Polygon') return g.coordinates as Geom;
  if (g.type === 'MultiPolygon') return g.coordinates as Geom;
  return null;
}

/** Union of the polygonal features' geometries. */
export function unionOf(features: GeoJSON.Feature[]): MultiPolygon {
  const gs = features.map((f) => (f.geometry ? asGeom(f.geometry) : null)).filter((g): g is Geom => g !== null);
  if (gs.length === 0) return [];
  return polygonClipping.union(gs[0], ...gs.slice(1));
}

/** What B adds to A and what it removes from A, with their areas. */
export function editionChange(a: MultiPolygon, b: MultiPolygon): { added: MultiPolygon; removed: MultiPolygon; addedM2: number; removedM2: number } {
  const added = b.length ? (a.length ? polygonClipping.difference(b, a) : b) : [];
  const removed = a.length ? (b.length ? polygonClipping.difference(a, b) : a) : [];
  return { added, removed, addedM2: area(added), removedM2: area(removed) };
}

/** Whether [x, y] lies inside ring (even-odd rule). */
export function inRing(pt: number[], ring: number[][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * A point inside a (multi)polygon to hang its label on: the largest part's ring centroid
 * when it falls inside, otherwise the middle of the widest inside stretch of the
 * horizontal line through it. One label per polygon, however many tiles it spans.
 */
export function labelPoint(g: GeoJSON.Polygon | GeoJSON.MultiPolygon): [number, number] | null {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  let best: number[][][] | null = null, bestA = -1;
  for (const p of polys) { const a = p[0] ? ringArea(p[0]) : 0; if (a > bestA) { bestA = a; best = p; } }
  if (!best || best[0].length < 4) return null;
  const ring = best[0];
  let cx = 0, cy = 0, a2 = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    a2 += f; cx += (ring[j][0] + ring[i][0]) * f; cy += (ring[j][1] + ring[i][1]) * f;
  }
  const c: [number, number] = a2 === 0 ? [ring[0][0], ring[0][1]] : [cx / (3 * a2), cy / (3 * a2)];
  const inside = (pt: number[]) => inRing(pt, ring) && !best!.slice(1).some((h) => inRing(pt, h));
  if (inside(c)) return c;
  // Crossings of the horizontal line y = c[1] with every ring, sorted; inside stretches alternate.
  const xs: number[] = [];
  for (const r of best) for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const [xi, yi] = r[i], [xj, yj] = r[j];
    if ((yi > c[1]) !== (yj > c[1])) xs.push(xi + ((c[1] - yi) * (xj - xi)) / (yj - yi));
  }
  xs.sort((p, q) => p - q);
  let mid: [number, number] | null = null, w = -1;
  for (let k = 0; k + 1 < xs.length; k += 2) if (xs[k + 1] - xs[k] > w) { w = xs[k + 1] - xs[k]; mid = [(xs[k] + xs[k + 1]) / 2, c[1]]; }
  return mid;
}
