/**
 * The Compare methods card (issue 20): Recall@20 against device bytes for every method of the demo's method
 * comparison (one `peelrec-train methods` run, one backbone), one line each on a log byte axis, with the budget
 * in force marked; a table of the same figures; one button per method and one for the page's own model, which
 * ask the app to switch (the app loads that artifact through the SDK); and what is resident now: the method,
 * its table kind and, for a v3 kind, the variant `selectTable` chose (`info.table`). While `npm run demo` still
 * prepares the comparison, the card says so.
 */
import type { RecommenderInfo } from '@peelrec/runtime';
import type { FoundMethods, MethodEntry } from '../methods.js';
import type { ChartMarker } from './recall-chart.js';
import { formatBytes, formatBytesAlike } from '../units.js';

/** The page's own model in `active` and on its button: not part of the comparison. */
export const PAGE_MODEL = 'page';

const SVG = 'http://www.w3.org/2000/svg';

export interface MethodsCardState {
  readonly found: FoundMethods;
  /** The method serving now, or {@link PAGE_MODEL}. */
  readonly active: string;
  /** The method being loaded, if any. */
  readonly loading?: string;
  /** The last switch's failure, shown in the card. */
  readonly error?: string;
  readonly info: RecommenderInfo;
  /** The budget in force and whose it is ("this device", a simulated device, the slider's). */
  readonly marker: ChartMarker;
}

export interface MethodsCard {
  render(state: MethodsCardState): void;
}

/** What the app switches to: a method of the comparison, or the page's model. */
export type SwitchTarget = Pick<MethodEntry, 'name' | 'manifestUrl'>;

function svgNode<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

function html<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

/** One polyline per method, a log byte axis whose range always takes the budget in, and the budget's line. */
function chart(methods: readonly MethodEntry[], marker: ChartMarker, width: number): SVGSVGElement {
  const budgetBytes = marker.bytes;
  const pts = methods.flatMap((m) => m.points);
  const W = Math.max(240, width);
  const [H, L, R, T, B] = [170, 40, 12, 22, 32];
  const lo = Math.min(budgetBytes, ...pts.map((p) => p.bytes));
  const hi = Math.max(budgetBytes, ...pts.map((p) => p.bytes));
  const x0 = Math.log2(lo);
  const x1 = Math.max(Math.log2(hi), x0 + 1e-9);
  const yMax = Math.max(...pts.map((p) => p.recall20)) * 1.1 || 1;
  const sx = (b: number) => L + ((Math.log2(b) - x0) / (x1 - x0)) * (W - L - R);
  const sy = (r: number) => T + (1 - r / yMax) * (H - T - B);
  const svg = svgNode('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Recall at 20 against device bytes, per method' });
  svg.append(svgNode('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }), svgNode('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
  for (const f of [0, 0.5, 1]) svg.append(svgNode('text', { x: L - 4, y: sy((yMax * f) / 1.1) + 4, 'text-anchor': 'end' }, ((yMax * f) / 1.1).toFixed(2)));
  svg.append(svgNode('text', { x: L, y: H - B + 14, 'text-anchor': 'start' }, formatBytes(lo)));
  svg.append(svgNode('text', { x: W - R, y: H - B + 14, 'text-anchor': 'end' }, formatBytes(hi)));
  svg.append(svgNode('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, 'device bytes (log scale)'));
  methods.forEach((m, i) => {
    svg.append(svgNode('polyline', { class: `line m${i}`, 'data-method': m.name, points: m.points.map((p) => `${sx(p.bytes)},${sy(p.recall20)}`).join(' ') }));
    for (const p of m.points) {
      const dot = svgNode('circle', { class: `dot m${i}`, cx: sx(p.bytes), cy: sy(p.recall20), r: 3 });
      dot.append(svgNode('title', {}, `${m.name}, ${p.label}: ${formatBytes(p.bytes)}, Recall@20 ${p.recall20.toFixed(4)}`));
      svg.append(dot);
    }
  });
  const mx = sx(budgetBytes);
  svg.append(svgNode('line', { class: 'now', x1: mx, y1: T - 4, x2: mx, y2: H - B, 'data-bytes': budgetBytes }));
  const label = `${marker.label}: ${formatBytes(budgetBytes)}`;
  // Kept inside the SVG: anchored at the end when the marker is in the right half.
  svg.append(svgNode('text', { class: 'now-label', x: mx, y: T - 8, 'text-anchor': mx > W / 2 ? 'end' : 'start' }, label));
  return svg;
}

/** Method, kind, then one cell per measured budget: its bytes and Recall@20. */
function table(methods: readonly MethodEntry[]): HTMLTableElement {
  const t = html('table', undefined, { class: 'methods-table' });
  const head = html('tr');
  head.append(html('th', 'Method'), html('th', 'Bytes → Recall@20'));
  t.append(head);
  methods.forEach((m, i) => {
    const row = html('tr', undefined, { 'data-method': m.name, 'data-kind': m.kind });
    const name = html('th', undefined, { scope: 'row' });
    name.append(html('span', '', { class: `swatch m${i}`, 'aria-hidden': 'true' }), `${m.name} `, html('small', `${m.kind}, ${m.fullDim} dims`));
    const cells = html('td');
    for (const p of m.points) cells.append(html('span', `${formatBytes(p.bytes)} → ${p.recall20.toFixed(3)}`, { class: 'point', 'data-bytes': String(p.bytes), title: p.label }));
    if (m.points.length === 0) cells.textContent = 'no metrics in this artifact';
    row.append(name, cells);
    t.append(row);
  });
  return t;
}

/** What is resident: the method, its kind, and the variant a v3 kind selected. */
function residentLine(state: MethodsCardState): HTMLElement {
  const { info, active } = state;
  const kind = info.table?.kind ?? 'peel-blocks';
  const p = html('p', undefined, { class: 'meta', id: 'methods-resident', 'data-method': active, 'data-kind': kind });
  const t = info.table;
  const who = active === PAGE_MODEL ? "this page's model" : active;
  // One unit per sentence (issue 18).
  const [held, budget] = formatBytesAlike(t ? t.bytes : info.residentBytes, info.budget.bytes);
  p.textContent = t
    ? `Serving ${who}: ${t.kind} table, variant ${t.name}${t.trimmed ? ' (trimmed to fit)' : ''}, ${held} resident of a ${budget} budget.`
    : `Serving ${who}: PEEL blocks, ${info.selection.blocks.length} blocks, ${held} resident of a ${budget} budget.`;
  return p;
}

/** The card before the comparison is there: not served, still being prepared, or failed. */
function notReady(found: Exclude<FoundMethods, { state: 'ready' }>): HTMLElement {
  const p = html('p', undefined, { class: 'meta', id: 'methods-state', 'data-state': found.state });
  if (found.state === 'absent') p.textContent = 'No method comparison is served here: `npm run demo` prepares one (apps/demo/README.md).';
  else if (found.state === 'preparing')
    p.textContent = `Preparing the method comparison on the server since ${new Date(found.since).toLocaleTimeString()} (peelrec-train methods: a few minutes on a first start). This card fills in when it is ready.`;
  else p.textContent = `The method comparison failed: ${found.reason}`;
  return p;
}

/** `pageUrl`: the manifest of the page's own model, which its button switches back to. */
export function methodsCard(el: HTMLElement, pageUrl: URL, onSwitch: (target: SwitchTarget) => void): MethodsCard {
  return {
    render(state) {
      const { found } = state;
      if (found.state !== 'ready') return el.replaceChildren(notReady(found));
      const { methods } = found;
      const buttons = html('div', undefined, { class: 'devices', role: 'group', 'aria-label': 'Switch method' });
      buttons.append(html('span', 'Serve:', { class: 'devices-label' }));
      const page: SwitchTarget = { name: PAGE_MODEL, manifestUrl: pageUrl };
      for (const m of [...methods, page]) {
        const b = html('button', m.name === PAGE_MODEL ? "this page's model" : m.name, { type: 'button', 'data-method': m.name, 'aria-pressed': String(m.name === state.active) });
        (b as HTMLButtonElement).disabled = state.loading !== undefined;
        b.addEventListener('click', () => m.name !== state.active && onSwitch(m));
        buttons.append(b);
      }
      const parts: Node[] = [buttons];
      if (methods.some((m) => m.points.length > 0)) parts.push(chart(methods, state.marker, Math.round(el.clientWidth || 320)));
      parts.push(table(methods), residentLine(state));
      if (state.loading) parts.push(html('p', `Loading ${state.loading}…`, { class: 'meta', role: 'status' }));
      if (state.error) parts.push(html('p', state.error, { class: 'meta error', role: 'alert', id: 'methods-error' }));
      if (methods.length < 2) parts.push(html('p', 'The comparison holds fewer than two methods: nothing to compare.', { class: 'hint' }));
      for (const s of found.skipped) parts.push(html('p', `Not listed: ${s}.`, { class: 'hint' }));
      el.replaceChildren(...parts);
    },
  };
}
