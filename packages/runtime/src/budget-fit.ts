/**
 * From a budget request to what it may hold, for every table kind: the budget decision (budget.ts, with this load's
 * inputs), and the loop that fits a selection to it. Storage limits what is persisted, not what can be served; an
 * automatic budget below the model's smallest selection serves that selection; only an app's explicit budget (or
 * WebGPU's binding limit) below it is a BudgetTooSmallError. `select` is the kind's pure policy (`selectBlocks`,
 * the group-blind plan, `selectTable`).
 */
import { BudgetTooSmallError } from '@peelrec/format';
import type { ActiveBackend } from './backend.js';
import { atLeastMinimum, budgetFromDevice, type BudgetDecision, type BudgetInputs } from './budget.js';
import type { RecommenderOptions } from './types.js';
import type { VersionLifecycle } from './version-lifecycle.js';

/** The environment's readings (deviceMemory, storage estimate). */
export type EnvironmentInputs = Pick<BudgetInputs, 'deviceMemory' | 'storage'>;

/** The budget decision for `budget` ('auto' or the app's bytes) on `backend`, with `env` read from the environment. */
export function decideBudget(budget: number | 'auto', env: EnvironmentInputs, options: RecommenderOptions, version: VersionLifecycle, backend: ActiveBackend | undefined): BudgetDecision {
  const inputs: BudgetInputs = {
    ...env,
    persist: version.persisting,
    cachedBytes: version.storedBytes,
    maxStorageBufferBindingSize: backend?.info.name === 'webgpu' ? backend.maxStorageBufferBindingSize : undefined,
    ...options.budgetInputs,
    override: budget === 'auto' ? undefined : budget,
  };
  return budgetFromDevice(inputs);
}

/**
 * The decision and the selection it allows. When the storage headroom cannot hold even the smallest selection, the
 * load stops persisting (memory mode, with the reason in `info.storage`) and is decided again without that limit.
 * @throws BudgetTooSmallError for an explicit budget (or WebGPU's binding limit) below the smallest selection
 */
export async function fitToBudget<S>(decide: () => Promise<BudgetDecision>, select: (bytes: number) => S, version: VersionLifecycle): Promise<{ decision: BudgetDecision; selection: S }> {
  let decision = await decide();
  for (;;) {
    try {
      return { decision, selection: select(decision.bytes) };
    } catch (e) {
      if (!(e instanceof BudgetTooSmallError)) throw e;
      if (decision.decidedBy === 'storage') {
        const size = (n: number) => (n < 2 ** 20 ? `${n} bytes` : `${(n / 2 ** 20).toFixed(1)} MiB`);
        version.queue!.stopPersisting(
          `storage headroom of ${size(decision.limits.storage!.headroom)} cannot hold the smallest selection (${size(e.minimumBytes)}): serving from memory, nothing is stored`,
        );
        decision = await decide();
      } else if (decision.decidedBy === 'deviceMemory' || decision.decidedBy === 'default') {
        decision = atLeastMinimum(decision, e.minimumBytes);
      } else {
        throw e;
      }
    }
  }
}
