/**
 * The budget slider's scale: logarithmic, from the smallest budget that selects anything to the whole f32
 * table. It depends on the model and on how the backend holds blocks, never on the current selection, so
 * one position is one budget (issue 18: the range followed the selection's dtype, so a position gave
 * 165 KiB once and 88.4 KiB later, and the thumb jumped when a budget switched the dtype).
 */
import { BudgetTooSmallError, fullTableBytes, selectBlocks, type Dtype, type Manifest, type Selection } from '@peelrec/format';

export const SLIDER_STEPS = 1000;

export interface BudgetScale {
  readonly minBytes: number;
  readonly maxBytes: number;
  /** The budget of a slider position (0 … SLIDER_STEPS). */
  toBytes(step: number): number;
  /** The position of a budget; budgets outside the range sit at its ends. toStep(toBytes(s)) === s. */
  toStep(bytes: number): number;
}

export function budgetScale(minBytes: number, maxBytes: number, steps = SLIDER_STEPS): BudgetScale {
  const lo = Math.max(1, Math.floor(minBytes));
  const hi = Math.max(lo + 1, Math.floor(maxBytes));
  const span = Math.log(hi / lo);
  const clampStep = (s: number) => Math.min(steps, Math.max(0, Math.round(s)));
  return {
    minBytes: lo,
    maxBytes: hi,
    // The ends are exact: the last position is the whole table, the first the smallest selection.
    toBytes: (step) => {
      const s = clampStep(step);
      return s === 0 ? lo : s === steps ? hi : Math.round(lo * Math.exp((span * s) / steps));
    },
    toStep: (bytes) => clampStep((Math.log(Math.min(hi, Math.max(lo, bytes)) / lo) / span) * steps),
  };
}

/**
 * How the active backend counts a block against the budget (selectBlocks' `residentDtype`): the WASM kernel
 * and WebGPU keep f16 and i8 as stored (their file bytes), the CPU backend widens them to f32. An f16 or i8
 * selection shows which; an f32 one, the backend's name.
 */
export function residentDtypeOf(selection: Selection, backend: string): Dtype | undefined {
  if (selection.dtype !== 'f32') return selection.bytes === selection.fileBytes ? undefined : 'f32';
  return backend === 'wasm' || backend === 'webgpu' ? undefined : 'f32';
}

/** The slider's range for this model and backend: one block per item group (the cheapest encoding) … the whole f32 table. */
export function budgetRange(m: Manifest, userGroup: number, residentDtype: Dtype | undefined): { minBytes: number; maxBytes: number } {
  let minBytes: number;
  try {
    minBytes = selectBlocks(m, userGroup, 0, { residentDtype }).bytes; // only a model with empty blocks selects at 0
  } catch (e) {
    if (!(e instanceof BudgetTooSmallError)) throw e;
    minBytes = e.minimumBytes; // the smallest over the exported encodings
  }
  return { minBytes, maxBytes: fullTableBytes(m, 'f32') };
}
