// Map furniture a planning map needs: a north arrow (指北针) that turns with the map's
// bearing (rotation is off by default, so it points up), and the 示例数据 stamp on the map
// itself when the data is synthetic, so a screenshot or print carries it.
import type { IControl, Map as MLMap } from 'maplibre-gl';
import type { Ctx } from '../ctx';
import { h } from '../ctx';

/** The north arrow's SVG: a split arrowhead over 北 (or N). */
export function northArrowSvg(label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 52" width="40" height="52" aria-hidden="true">`
    + `<polygon points="20,3 31,34 20,28" fill="#1f2933"/><polygon points="20,3 9,34 20,28" fill="#fff" stroke="#1f2933" stroke-width="1.4"/>`
    + `<text x="20" y="49" text-anchor="middle" font-size="13" font-weight="700" fill="#1f2933" font-family="Noto Sans CJK SC, sans-serif">${label}</text></svg>`;
}

export class NorthArrow implements IControl {
  private el: HTMLElement | null = null;
  private map: MLMap | null = null;
  constructor(private ctx: Ctx) {}
  private draw = () => {
    if (!this.el || !this.map) return;
    const label = this.ctx.lang() === 'zh' ? '北' : 'N';
    this.el.innerHTML = northArrowSvg(label);
    this.el.style.transform = `rotate(${-this.map.getBearing()}deg)`;
    this.el.setAttribute('aria-label', this.ctx.i18n().t('map.north'));
    this.el.title = this.ctx.i18n().t('map.north');
  };
  onAdd(map: MLMap): HTMLElement {
    this.map = map;
    this.el = h('div', { class: 'maplibregl-ctrl north-arrow', id: 'north-arrow', role: 'img' });
    map.on('rotate', this.draw);
    this.ctx.onLang(this.draw);
    this.draw();
    return this.el;
  }
  onRemove(): void {
    this.map?.off('rotate', this.draw);
    this.el?.remove();
  }
}

/** The 示例数据 stamp over the map, shown once synthetic data is seen. */
export function syntheticStamp(ctx: Ctx): HTMLElement {
  const el = h('div', { class: 'map-stamp', id: 'map-stamp', hidden: true, 'data-i18n': 'app.synthetic', 'data-i18n-title': 'app.syntheticBanner' });
  ctx.map.getContainer().append(el);
  return el;
}
