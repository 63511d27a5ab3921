/** The Device facts: what the browser reports and how the runtime turned it into a budget. */
import type { RecommenderInfo } from '@peelrec/runtime';
import { formatBytes, formatBytesAlike } from '../units.js';
import type { BudgetChoice } from './device-sim.js';
import { renderFacts, type Fact } from './facts.js';

const SOURCE: Record<RecommenderInfo['budget']['decidedBy'], string> = {
  override: 'your setting (slider)',
  deviceMemory: 'device memory',
  default: 'assumed memory (none reported)',
  storage: 'free storage',
  webgpu: 'WebGPU buffer limit',
  minimum: "the model's smallest selection",
};

export function renderDevice(el: HTMLElement, info: RecommenderInfo, choice: BudgetChoice): void {
  const dm = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  const { budget } = info;
  const facts: Fact[] = [
    ['Device memory', typeof dm === 'number' ? `${dm} GiB` : 'not reported by this browser', typeof dm !== 'number'],
    ['Budget', formatBytes(budget.bytes)],
  ];
  if (choice.kind === 'device') {
    // The runtime sees an app budget (setBudget); the page knows it stands for a simulated device.
    facts.push(['Decided by', `a simulated ${choice.gib} GiB device`], ['Why', choice.decision.explanation]);
    if (choice.raisedTo !== undefined) facts.push(['Model minimum', `${formatBytes(choice.raisedTo)} (above that device's budget)`, true]);
  } else {
    facts.push(['Decided by', SOURCE[budget.decidedBy]], ['Why', budget.explanation]);
  }
  facts.push(['Memory limit', `${formatBytes(budget.limits.memory.bytes)} (${budget.limits.memory.source})`]);
  if (budget.limits.storage) {
    const [limit, free] = formatBytesAlike(budget.limits.storage.bytes, budget.limits.storage.headroom);
    facts.push(['Storage limit', `${limit} (half of ${free} free)`]);
  }
  if (budget.limits.webgpu) facts.push(['WebGPU limit', formatBytes(budget.limits.webgpu.bytes)]);
  if (budget.limits.minimum) facts.push(['Model minimum', `${formatBytes(budget.limits.minimum.bytes)} (above the automatic budget)`, true]);
  renderFacts(el, facts);
}
