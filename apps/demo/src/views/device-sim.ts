/**
 * "Simulate a device": the budget that the runtime's own policy (budgetFromDevice) gives a device with 1, 2,
 * 4 or 8 GiB, applied with setBudget, so a desktop shows what a phone would select. "This device" goes
 * back to the automatic budget. The buttons carry `data-gib` ("auto" or the GiB) and `aria-pressed`.
 */
import { budgetFromDevice, type BudgetDecision } from '@peelrec/runtime';

/** Where the budget in force came from, as the page tells it. */
export type BudgetChoice = { readonly kind: 'auto' } | { readonly kind: 'device'; readonly gib: number; readonly decision: BudgetDecision; readonly raisedTo?: number } | { readonly kind: 'slider' };

/**
 * The budget of a simulated device: the memory limit of the policy (storage and WebGPU limits are this
 * browser's, not the simulated device's), raised to the model's smallest selection as an automatic
 * budget would be.
 */
export function simulatedDevice(gib: number, minimumBytes: number): Extract<BudgetChoice, { kind: 'device' }> {
  const decision = budgetFromDevice({ deviceMemory: gib });
  return decision.bytes >= minimumBytes ? { kind: 'device', gib, decision } : { kind: 'device', gib, decision, raisedTo: minimumBytes };
}

export const budgetOfChoice = (c: Extract<BudgetChoice, { kind: 'device' }>): number => c.raisedTo ?? c.decision.bytes;

export interface DeviceButtons {
  show(choice: BudgetChoice): void;
}

/** Wires the buttons under `el` (each with `data-gib`): `onPick` gets 'auto' or a number of GiB. */
export function deviceButtons(el: HTMLElement, onPick: (gib: number | 'auto') => void): DeviceButtons {
  const buttons = [...el.querySelectorAll<HTMLButtonElement>('button[data-gib]')];
  for (const b of buttons) {
    b.addEventListener('click', () => onPick(b.dataset.gib === 'auto' ? 'auto' : Number(b.dataset.gib)));
  }
  return {
    show(choice) {
      const active = choice.kind === 'auto' ? 'auto' : choice.kind === 'device' ? String(choice.gib) : undefined;
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.gib === active));
    },
  };
}
