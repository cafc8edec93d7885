// ECharts, tree-shaken to the bar chart, grid, tooltip and mark line the dashboard draws.
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, MarkLineComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, GridComponent, TooltipComponent, MarkLineComponent, CanvasRenderer]);

export interface BarSpec {
  labels: string[];
  values: (number | null)[]; // fractions
  target?: number; // fraction
  targetLabel?: string;
  horizontal?: boolean;
  colorFor?: (v: number) => string;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Draws (or redraws) a percentage bar chart into el, with an optional target line. */
export function barChart(el: HTMLElement, spec: BarSpec): echarts.ECharts {
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el, undefined, { renderer: 'canvas' });
  const cat = { type: 'category' as const, data: spec.labels, axisLabel: { interval: 0, fontSize: 11, ...(spec.horizontal ? {} : { rotate: spec.labels.length > 5 ? 30 : 0 }) } };
  const val = { type: 'value' as const, min: 0, max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%`, fontSize: 10 } };
  chart.setOption({
    animation: false,
    grid: { left: spec.horizontal ? 110 : 40, right: 16, top: 16, bottom: spec.horizontal ? 24 : 56 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (v == null ? '—' : pct(v)) },
    xAxis: spec.horizontal ? val : cat,
    yAxis: spec.horizontal ? { ...cat, inverse: true } : val,
    series: [{
      type: 'bar', barMaxWidth: 28,
      data: spec.values.map((v) => (v == null ? null : { value: v, itemStyle: spec.colorFor ? { color: spec.colorFor(v) } : undefined })),
      markLine: spec.target !== undefined ? {
        symbol: 'none', silent: true, lineStyle: { color: '#c0392b', type: 'dashed', width: 1.5 },
        label: { formatter: spec.targetLabel ?? pct(spec.target), fontSize: 10, position: 'insideEndTop' },
        data: [spec.horizontal ? { xAxis: spec.target } : { yAxis: spec.target }],
      } : undefined,
    }],
  }, true);
  return chart;
}

/** Keeps every chart sized to its box. */
export function autoResize(): void {
  window.addEventListener('resize', () => {
    document.querySelectorAll<HTMLElement>('[_echarts_instance_]').forEach((el) => echarts.getInstanceByDom(el)?.resize());
  });
}
