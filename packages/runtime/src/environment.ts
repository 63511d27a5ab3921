/**
 * Reads the budget inputs from the environment. `globalThis.navigator` is the
 * WorkerNavigator inside workers, which also exposes deviceMemory and storage.
 */
import type { BudgetInputs } from './budget.js';

interface NavigatorLike {
  deviceMemory?: unknown;
  storage?: { estimate?: () => Promise<{ quota?: number; usage?: number }> };
}

/** deviceMemory and `storage.estimate()` of this page or worker; fields the browser lacks stay undefined. */
export async function readBudgetInputs(): Promise<Pick<BudgetInputs, 'deviceMemory' | 'storage'>> {
  const nav = (globalThis as { navigator?: NavigatorLike }).navigator;
  const deviceMemory = typeof nav?.deviceMemory === 'number' ? nav.deviceMemory : undefined;
  let storage: BudgetInputs['storage'];
  try {
    const est = await nav?.storage?.estimate?.();
    if (est) storage = { quota: est.quota, usage: est.usage };
  } catch {
    // Some browsers reject estimate() in private modes: then there is simply no storage input.
  }
  return { deviceMemory, storage };
}
