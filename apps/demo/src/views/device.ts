/** The Device facts: what the browser reports and how the runtime turned it into a budget. */
import type { RecommenderInfo } from '@peelrec/runtime';
import { formatBytes } from '../units.js';
import { renderFacts, type Fact } from './facts.js';

const SOURCE: Record<RecommenderInfo['budget']['decidedBy'], string> = {
  override: 'your setting (slider)',
  deviceMemory: 'device memory',
  default: 'assumed memory (none reported)',
  storage: 'free storage',
  webgpu: 'WebGPU buffer limit',
  minimum: "the model's smallest selection",
};

export function renderDevice(el: HTMLElement, info: RecommenderInfo): void {
  const dm = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  const { budget } = info;
  const facts: Fact[] = [
    ['Device memory', typeof dm === 'number' ? `${dm} GiB` : 'not reported by this browser', typeof dm !== 'number'],
    ['Budget', formatBytes(budget.bytes)],
    ['Decided by', SOURCE[budget.decidedBy]],
    ['Why', budget.explanation],
    ['Memory limit', `${formatBytes(budget.limits.memory.bytes)} (${budget.limits.memory.source})`],
  ];
  if (budget.limits.storage) {
    facts.push(['Storage limit', `${formatBytes(budget.limits.storage.bytes)} (half of ${formatBytes(budget.limits.storage.headroom)} free)`]);
  }
  if (budget.limits.webgpu) facts.push(['WebGPU limit', formatBytes(budget.limits.webgpu.bytes)]);
  if (budget.limits.minimum) facts.push(['Model minimum', `${formatBytes(budget.limits.minimum.bytes)} (above the automatic budget)`, true]);
  renderFacts(el, facts);
}
