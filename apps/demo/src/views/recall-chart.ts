/** Recall@20 against budget, from the metrics the trainer measured (manifest.metrics), with the current budget marked. */
import type { Manifest } from '@peelrec/format';
import { formatBytes } from '../units.js';

const SVG = 'http://www.w3.org/2000/svg';

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

export function renderRecallChart(el: HTMLElement, m: Manifest, budgetBytes: number): void {
  const pts = [...(m.metrics?.budgets ?? [])].sort((a, b) => a.bytes - b.bytes);
  if (pts.length === 0) {
    el.textContent = 'This artifact carries no budget metrics.';
    return;
  }
  const W = 320, H = 170, L = 40, R = 10, T = 10, Bm = 34;
  const xs = pts.map((p) => Math.log2(Math.max(1, p.bytes)));
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const yMax = Math.max(...pts.map((p) => p.recall20), m.metrics?.full?.recall20 ?? 0) * 1.1 || 1;
  const sx = (b: number) => L + ((Math.log2(Math.max(1, b)) - x0) / (x1 - x0)) * (W - L - R);
  const sy = (r: number) => T + (1 - r / yMax) * (H - T - Bm);
  const svg = node('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Recall at 20 against memory budget' });
  svg.append(node('line', { class: 'axis', x1: L, y1: H - Bm, x2: W - R, y2: H - Bm }));
  svg.append(node('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - Bm }));
  for (const f of [0, 0.5, 1]) {
    const r = yMax * f / 1.1;
    svg.append(node('text', { x: L - 4, y: sy(r) + 4, 'text-anchor': 'end' }, r.toFixed(2)));
  }
  svg.append(node('text', { x: L + 2, y: T + 10 }, 'Recall@20'));
  const first = pts[0]!, last = pts[pts.length - 1]!;
  svg.append(node('text', { x: sx(first.bytes), y: H - Bm + 14, 'text-anchor': 'start' }, formatBytes(first.bytes)));
  svg.append(node('text', { x: sx(last.bytes), y: H - Bm + 14, 'text-anchor': 'end' }, formatBytes(last.bytes)));
  svg.append(node('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, 'budget (log scale)'));
  svg.append(node('polyline', { class: 'line', points: pts.map((p) => `${sx(p.bytes)},${sy(p.recall20)}`).join(' ') }));
  for (const p of pts) {
    const dot = node('circle', { class: 'dot', cx: sx(p.bytes), cy: sy(p.recall20), r: 3 });
    dot.append(node('title', {}, `${formatBytes(p.bytes)} (${(p.fraction * 100).toFixed(0)}%, ${p.dtype}): Recall@20 ${p.recall20.toFixed(4)}, NDCG@20 ${p.ndcg20.toFixed(4)}`));
    svg.append(dot);
  }
  const bx = Math.min(W - R, Math.max(L, sx(budgetBytes)));
  svg.append(node('line', { class: 'now', x1: bx, y1: T, x2: bx, y2: H - Bm }));
  svg.append(node('text', { x: bx, y: T + 22, 'text-anchor': bx > W / 2 ? 'end' : 'start', dx: bx > W / 2 ? -4 : 4 }, 'this device'));
  el.replaceChildren(svg);
  const cap = document.createElement('p');
  cap.className = 'meta';
  cap.textContent = `Measured by the trainer on ${m.metrics?.dataset ?? '?'} (${m.metrics?.split ?? '?'})` +
    (m.metrics?.full ? `; full table: Recall@20 ${m.metrics.full.recall20.toFixed(4)}.` : '.');
  el.append(cap);
}
