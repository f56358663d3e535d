import type { GoalStats, VariantStats } from '../stats';
import { percent, verdict } from './model';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 30;
const RIGHT = 56;
const TOP = 8;
const AXIS = 24;

/** Builds an SVG element: `el('line', { x1: 0, ... })`. */
export function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The axis maximum: the highest interval end rounded up to a readable step. */
export function axisMax(highest: number): number {
  if (!(highest > 0)) return 0.01;
  const step = 10 ** Math.floor(Math.log10(highest));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= highest) return Math.min(1, m * step);
  return 1;
}

/** Decimals of the percent labels of `steps` equal steps up to `max`: a 1-2-2.5-5 maximum gives round numbers. */
export function tickDigits(max: number, steps: number): number {
  const step = (max / steps) * 100;
  let digits = 0;
  while (digits < 3 && Math.abs(Math.round(step * 10 ** digits) - step * 10 ** digits) > 1e-6) digits++;
  return digits;
}

/**
 * One goal's rates as an inline SVG: a dot per variant at its rate and a bar over its 95%
 * interval, the control's rate as a dashed line; variants better or worse than the control
 * in green or red, as `kind` judges them.
 * @param kind a variant's verdict against the control. @default the fixed-horizon one (z-test p < 0.05)
 * @param width the drawing's width in SVG units (the page draws at its CSS pixel width). @default 640
 */
export function rateChart(
  stats: GoalStats,
  kind: (r: VariantStats) => string = (r) => verdict(r.pValue, r.diff?.value ?? null),
  width = 640,
): SVGElement {
  const rows = stats.variants;
  // The labels' column: a quarter of a narrow drawing, 130 units of a wide one; about 7 units a character.
  const left = Math.min(130, Math.round(width / 4));
  const chars = Math.floor((left - 10) / 7);
  const height = TOP + rows.length * ROW + AXIS;
  const max = axisMax(Math.max(...rows.map((r) => r.interval[1])));
  const x = (v: number) => left + (Math.min(v, max) / max) * (width - left - RIGHT);
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart',
    role: 'img',
    'aria-label': 'conversion rate of each variant with its 95% interval',
  });
  const axisY = TOP + rows.length * ROW;
  // Five steps of a 1-2-2.5-5 maximum are round numbers: 0, 4, 8 … 20% or 0, 0.2 … 1%.
  const digits = tickDigits(max, 5);
  for (let i = 0; i <= 5; i++) {
    const v = (max * i) / 5;
    svg.append(el('line', { x1: x(v), x2: x(v), y1: TOP, y2: axisY, class: 'grid' }));
    svg.append(el('text', { x: x(v), y: axisY + 16, 'text-anchor': 'middle', class: 'tick' }, percent(v, digits)));
  }
  const control = rows.find((r) => r.label === stats.control);
  if (control)
    svg.append(el('line', { x1: x(control.rate), x2: x(control.rate), y1: TOP, y2: axisY, class: 'control-line' }));
  rows.forEach((r, i) => {
    const y = TOP + i * ROW + ROW / 2;
    const g = el('g', { class: `row ${r.label === stats.control ? 'control' : kind(r)}` });
    g.append(
      el(
        'text',
        { x: left - 10, y: y + 4, 'text-anchor': 'end', class: 'label' },
        r.label.length > chars ? `${r.label.slice(0, chars - 1)}\u2026` : r.label,
      ),
    );
    g.append(el('line', { x1: x(r.interval[0]), x2: x(r.interval[1]), y1: y, y2: y, class: 'ci' }));
    for (const end of r.interval) g.append(el('line', { x1: x(end), x2: x(end), y1: y - 6, y2: y + 6, class: 'ci' }));
    g.append(el('circle', { cx: x(r.rate), cy: y, r: 5, class: 'dot' }));
    g.append(el('text', { x: width - RIGHT + 8, y: y + 4, class: 'value' }, percent(r.rate, 1)));
    svg.append(g);
  });
  return svg;
}
