// Colour scales: fixed layer colours for the legend and the map, and a sequential scale
// with class breaks for the choropleth. Colours are hex strings; expressions are MapLibre's.

/** Fill/line colours per layer, shared by the map style and the legend swatches. */
export const LAYER_COLORS: Record<string, string> = {
  districts: '#6b7585',
  subdistricts: '#8a96a8',
  communities: '#b08a5a',
  parks: '#5fae6e',
  park_entrances: '#13692f',
  eco_corridors: '#7fc97f',
  eco_redlines: '#d7301f',
  basic_farmland: '#e6c94c',
  growth_boundaries: '#6a3d9a',
  residential_land: '#e9c9b0',
  facilities: '#1f78b4',
  network_edges: '#c8c1b4',
  water: '#9cc3dc',
  gaps: '#e31a1c',
  sites: '#ff7f00',
};

/** Isochrone fills, nearest first (5, 10, 15 minutes). */
export const ISO_COLORS = ['#1a9850', '#fee08b', '#f46d43'];

/** A 5-class sequential ramp from low (red-ish, far from target) to high (green). */
export const SEQUENTIAL = ['#d73027', '#fc8d59', '#fee08b', '#91cf60', '#1a9850'];

/** Quantile class breaks: n-1 ascending thresholds splitting the finite values into n classes. */
export function quantileBreaks(values: number[], n = SEQUENTIAL.length): number[] {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0 || n < 2) return [];
  const out: number[] = [];
  for (let i = 1; i < n; i++) {
    const q = v[Math.min(v.length - 1, Math.floor((i * v.length) / n))];
    if (out.length === 0 || q > out[out.length - 1]) out.push(q);
  }
  return out;
}

/** Equal-interval breaks over [min, max]. */
export function equalBreaks(min: number, max: number, n = SEQUENTIAL.length): number[] {
  if (!(max > min) || n < 2) return [];
  return Array.from({ length: n - 1 }, (_, i) => min + ((i + 1) * (max - min)) / n);
}

/** The class colour of value: ramp[i] where i counts the breaks value reaches. */
export function colorFor(value: number, breaks: number[], ramp = SEQUENTIAL): string {
  let i = 0;
  while (i < breaks.length && value >= breaks[i]) i++;
  return ramp[Math.min(i, ramp.length - 1)];
}

/** A MapLibre step expression over a feature-state key, grey where the state is unset. */
export function stepExpression(stateKey: string, breaks: number[], ramp = SEQUENTIAL, none = 'rgba(0,0,0,0)'): unknown[] {
  const steps: unknown[] = [];
  breaks.forEach((b, i) => steps.push(b, ramp[Math.min(i + 1, ramp.length - 1)]));
  return ['case', ['==', ['feature-state', stateKey], null], none, ['step', ['to-number', ['feature-state', stateKey]], ramp[0], ...steps]];
}

/** Parses "#rrggbb" into [r, g, b]. */
export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}
