// What every panel gets: the map, the current language, and a way to hear when it changes.
import type { Map as MLMap } from 'maplibre-gl';
import type { I18n, Lang } from './i18n';
import type { LayerDef, SourceInfo } from './style';

export interface Ctx {
  map: MLMap;
  origin: string;
  defs: LayerDef[];
  sources: Record<string, SourceInfo>;
  /** Attribute titles from /api/v1/layers when the features API answers: layer → name → {zh,en}. */
  attrTitles: Record<string, Record<string, { zh: string; en: string }>>;
  /** Names of areas and parks by id (from the label points): layer → id → name. */
  names: Record<string, Map<number, { name: string; nameEn: string | null }>>;
  /** What the dashboard's figure is under, for prints and reports (set by the dashboard). */
  figure: { caliber: string; caliberName: string; method: string; dataHash: string | null; computedAt: string | null } | null;
  i18n(): I18n;
  lang(): Lang;
  onLang(cb: () => void): void;
  setLayerVisible(id: string, visible: boolean): void;
  isLayerVisible(id: string): boolean;
  /** Called when any feature with synthetic=true is seen: shows the 示例数据 banner. */
  sawSynthetic(): void;
  /** Whether a map click belongs to a tool (the isochrone picker) instead of the popup. */
  clickTool: ((lngLat: { lng: number; lat: number }) => void) | null;
  /** The scenario the capacity figures and layer are asked on (the scenario tool's open one), null for the baseline. */
  scenario(): ActiveScenario | null;
  /** Sets it (the scenario tool, on opening, changing or promoting one); listeners hear when it moved (scenarioMoved). */
  setScenario(s: ActiveScenario | null): void;
  onScenario(cb: () => void): void;
}

/** A scenario open in the scenario tool: its id, and how many changes it has (a change added or undone moves its figures). */
export interface ActiveScenario { id: number; changes: number }

/** Whether the active scenario moved from a to b: another scenario, none, or a change added or undone. */
export function scenarioMoved(a: ActiveScenario | null, b: ActiveScenario | null): boolean {
  return (a?.id ?? null) !== (b?.id ?? null) || (a?.changes ?? 0) !== (b?.changes ?? 0);
}

/** Creates an element with attributes and children; strings become text nodes (never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v as EventListener);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Shows a panel's "loading / not available yet / failed" state in el. */
export function stateMessage(el: HTMLElement, ctx: Ctx, state: 'loading' | 'unavailable' | 'error' | 'empty', detail?: string): void {
  el.replaceChildren(h('p', { class: `state state-${state}`, role: 'status', 'data-state': state },
    h('span', { 'data-i18n': `state.${state}` }, ctx.i18n().t(`state.${state}`)), detail ? h('small', {}, ` (${detail})`) : null));
}
