/**
 * Reads the budget inputs from the environment. `globalThis.navigator` is the
 * WorkerNavigator inside workers, which also exposes deviceMemory and storage.
 */
import { BROWSER_API_MS, within } from './bounded.js';
import type { BudgetInputs } from './budget.js';

interface NavigatorLike {
  deviceMemory?: unknown;
  storage?: { estimate?: () => Promise<{ quota?: number; usage?: number }> };
}

/** deviceMemory and `storage.estimate()` of this page or worker; fields the browser lacks (or an estimate unanswered within `ms`) stay undefined. */
export async function readBudgetInputs(ms = BROWSER_API_MS): Promise<Pick<BudgetInputs, 'deviceMemory' | 'storage'>> {
  const nav = (globalThis as { navigator?: NavigatorLike }).navigator;
  const deviceMemory = typeof nav?.deviceMemory === 'number' ? nav.deviceMemory : undefined;
  let storage: BudgetInputs['storage'];
  try {
    const estimate = nav?.storage?.estimate?.();
    const est = estimate && (await within(estimate, ms, 'storage.estimate()'));
    if (est) storage = { quota: est.quota, usage: est.usage };
  } catch {
    // Some browsers reject estimate() in private modes, or never answer: then there is simply no storage input.
  }
  return { deviceMemory, storage };
}
