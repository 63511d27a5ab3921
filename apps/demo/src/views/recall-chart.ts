/**
 * Recall@20 against budget, from the metrics the trainer measured (manifest.metrics), with the budget in
 * force marked where it is (issue 18). The x range always takes the marker in, never clamps it: past the
 * whole table the curve goes on flat and dashed (more budget selects nothing more); below the smallest
 * measured budget there is no curve, and the caption says so. The marker's label has a band of its own
 * above the plot, so it crosses neither the curve nor the axis labels. The SVG is drawn at the
 * container's pixel width (re-drawn when that changes), so its text is the size the CSS gives it.
 */
import { fullTableBytes, type Manifest } from '@peelrec/format';
import { formatBytes, formatBytesAlike } from '../units.js';

const SVG = 'http://www.w3.org/2000/svg';

export interface ChartMarker {
  readonly bytes: number;
  /** Whose budget: "this device", "a simulated 1 GiB device", "your budget". */
  readonly label: string;
}

interface Point {
  readonly bytes: number;
  readonly recall: number;
  readonly title: string;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

/** The trainer's budget points and the whole f32 table (its `full` metric), by budget. */
function measuredPoints(m: Manifest): Point[] {
  const pts: Point[] = (m.metrics?.budgets ?? []).map((p) => ({
    bytes: p.bytes,
    recall: p.recall20,
    title: `${formatBytes(p.bytes)} (${(p.fraction * 100).toFixed(0)}% of the f32 table, ${p.dtype}): Recall@20 ${p.recall20.toFixed(4)}, NDCG@20 ${p.ndcg20.toFixed(4)}`,
  }));
  const full = m.metrics?.full;
  if (full) pts.push({ bytes: fullTableBytes(m, 'f32'), recall: full.recall20, title: `whole table, ${formatBytes(fullTableBytes(m, 'f32'))} (f32): Recall@20 ${full.recall20.toFixed(4)}` });
  return pts.sort((a, b) => a.bytes - b.bytes);
}

/** One sentence on where the marker falls among the measurements: the quality that budget costs. */
function whereItFalls(pts: readonly Point[], marker: ChartMarker): string {
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  const r = (p: Point) => `Recall@20 ${p.recall.toFixed(3)}`;
  if (marker.bytes >= last.bytes) {
    const [b, l] = formatBytesAlike(marker.bytes, last.bytes);
    return `${marker.label}: ${b}, ${marker.bytes > last.bytes ? 'more than' : 'exactly'} the whole table (${l}): every block, ${r(last)}.`;
  }
  if (marker.bytes < first.bytes) {
    const [b, f] = formatBytesAlike(marker.bytes, first.bytes);
    return `${marker.label}: ${b}, below the smallest budget the trainer measured (${f}, ${r(first)}); no figure for it.`;
  }
  const i = pts.findIndex((p) => p.bytes > marker.bytes);
  const below = pts[i - 1]!;
  const above = pts[i]!;
  const [b, lo, hi] = formatBytesAlike(marker.bytes, below.bytes, above.bytes);
  if (below.bytes === marker.bytes) return `${marker.label}: ${b}, measured: ${r(below)}.`;
  return `${marker.label}: ${b}, between the trainer's measurements at ${lo} (${r(below)}) and ${hi} (${r(above)}).`;
}

function draw(el: HTMLElement, m: Manifest, marker: ChartMarker): void {
  const pts = measuredPoints(m);
  if (pts.length === 0) {
    el.textContent = 'This artifact carries no budget metrics.';
    return;
  }
  const W = Math.max(240, Math.round(el.clientWidth || 320));
  const H = 190,
    L = 40,
    R = 14,
    T = 24,
    Bm = 36;
  const lo = Math.min(pts[0]!.bytes, marker.bytes);
  const hi = Math.max(pts[pts.length - 1]!.bytes, marker.bytes);
  const x0 = Math.log2(lo);
  const x1 = Math.max(Math.log2(hi), x0 + 1e-9);
  const yMax = Math.max(...pts.map((p) => p.recall)) * 1.1 || 1;
  const sx = (b: number) => L + ((Math.log2(b) - x0) / (x1 - x0)) * (W - L - R);
  const sy = (r: number) => T + (1 - r / yMax) * (H - T - Bm);
  const svg = node('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Recall at 20 against memory budget' });
  svg.append(node('line', { class: 'axis', x1: L, y1: H - Bm, x2: W - R, y2: H - Bm }));
  svg.append(node('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - Bm }));
  for (const f of [0, 0.5, 1]) {
    const r = (yMax * f) / 1.1;
    svg.append(node('text', { x: L - 4, y: sy(r) + 4, 'text-anchor': 'end' }, r.toFixed(2)));
  }
  // The range's ends, labelled with their budgets: the marker lies between them by construction.
  const last = pts[pts.length - 1]!;
  const [loText, hiText, lastText] = formatBytesAlike(lo, hi, last.bytes);
  svg.append(node('text', { class: 'x-end', x: sx(lo), y: H - Bm + 15, 'text-anchor': 'start', 'data-bytes': lo }, loText));
  svg.append(node('text', { class: 'x-end', x: sx(hi), y: H - Bm + 15, 'text-anchor': 'end', 'data-bytes': hi }, hiText));
  // The whole table, where the flat part begins, when it is not an end and its label has room.
  const lx = sx(last.bytes);
  if (last.bytes < hi && lx - sx(lo) > 80 && sx(hi) - lx > 80) {
    svg.append(node('line', { class: 'axis', x1: lx, y1: H - Bm, x2: lx, y2: H - Bm + 4 }));
    svg.append(node('text', { x: lx, y: H - Bm + 15, 'text-anchor': 'middle', 'data-bytes': last.bytes }, lastText));
  }
  svg.append(node('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, 'budget (log scale)'));
  svg.append(node('polyline', { class: 'line', points: pts.map((p) => `${sx(p.bytes)},${sy(p.recall)}`).join(' ') }));
  if (marker.bytes > last.bytes) {
    svg.append(node('line', { class: 'flat', x1: sx(last.bytes), y1: sy(last.recall), x2: sx(marker.bytes), y2: sy(last.recall) }));
  }
  for (const p of pts) {
    const dot = node('circle', { class: 'dot', cx: sx(p.bytes), cy: sy(p.recall), r: 3 });
    dot.append(node('title', {}, p.title));
    svg.append(dot);
  }
  const mx = sx(marker.bytes);
  svg.append(node('line', { class: 'now', x1: mx, y1: T - 4, x2: mx, y2: H - Bm, 'data-bytes': marker.bytes }));
  const label = node('text', { class: 'now-label', x: mx, y: T - 8, 'text-anchor': 'start' }, `${marker.label}: ${formatBytes(marker.bytes)}`);
  svg.append(label);
  el.replaceChildren(svg);
  // Centred on the marker, then kept inside the SVG: measured once it is in the document.
  const width = label.getComputedTextLength();
  label.setAttribute('x', String(Math.min(W - 2 - width, Math.max(2, mx - width / 2))));
  const cap = document.createElement('p');
  cap.className = 'meta';
  cap.dataset.testid = 'chart-caption';
  const where = whereItFalls(pts, marker);
  cap.textContent = `${where[0]!.toUpperCase()}${where.slice(1)} Measured by the trainer on ${m.metrics?.dataset ?? '?'} (${m.metrics?.split ?? '?'}).`;
  el.append(cap);
}

const drawn = new WeakMap<HTMLElement, { m: Manifest; marker: ChartMarker; width: number }>();
const observer =
  typeof ResizeObserver === 'undefined'
    ? undefined
    : new ResizeObserver((entries) => {
        for (const { target } of entries) {
          const el = target as HTMLElement;
          const last = drawn.get(el);
          if (last && Math.round(el.clientWidth) !== last.width) renderRecallChart(el, last.m, last.marker);
        }
      });

export function renderRecallChart(el: HTMLElement, m: Manifest, marker: ChartMarker): void {
  draw(el, m, marker);
  drawn.set(el, { m, marker, width: Math.round(el.clientWidth) });
  observer?.observe(el);
}
