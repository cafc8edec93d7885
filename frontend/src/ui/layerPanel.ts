// The layer panel: one checkbox per layer with a legend swatch, grouped into the base map
// and the planning layers. Analysis overlays have their toggles in the indicator and tool panels.
import { type Ctx, h } from '../ctx';
import { LAYER_COLORS } from '../colors';
import type { LayerDef } from '../style';

function swatch(def: LayerDef): HTMLElement {
  const c = LAYER_COLORS[def.id] ?? '#888';
  const style = def.geom === 'point' ? `background:${c};border-radius:50%;width:10px;height:10px;margin:3px`
    : def.geom === 'line' ? `background:${c};height:3px;margin-top:7px`
    : def.outline ? `border:2px ${def.dash ? 'dashed' : 'solid'} ${c}` : `background:${c};opacity:${Math.max(def.fillOpacity ?? 0.4, 0.5)}`;
  return h('span', { class: 'swatch', style, 'aria-hidden': 'true' });
}

export function layerPanel(ctx: Ctx): HTMLElement {
  const section = h('section', { class: 'card', 'aria-labelledby': 'layers-h' }, h('h2', { id: 'layers-h', 'data-i18n': 'layers.heading' }));
  for (const group of ['basemap', 'planning'] as const) {
    const defs = ctx.defs.filter((d) => d.group === group);
    const list = h('ul', { class: 'layer-list' });
    for (const d of defs) {
      const id = `toggle-${d.id}`;
      const box = h('input', { type: 'checkbox', id, 'data-layer': d.id, checked: ctx.isLayerVisible(d.id) });
      box.addEventListener('change', () => ctx.setLayerVisible(d.id, box.checked));
      list.append(h('li', {}, h('label', { for: id }, box, swatch(d), h('span', { 'data-i18n': `layer.${d.id}` }))));
    }
    section.append(h('fieldset', {}, h('legend', { 'data-i18n': group === 'basemap' ? 'layers.basemap' : 'layers.planning' }), list));
  }
  return section;
}
