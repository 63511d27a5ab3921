/**
 * What a method is to the harness: a name, the table kind it serves, and one `run` that trains its table for
 * every budget through the harness (which owns the split, the backbone, the metric and the accounting) and
 * returns what it measured. The harness imports no method; the CLI's registry names them.
 */
import type { Dtype } from '@peelrec/format';
import type { UserMetric } from '../quality/budgets.js';
import type { PeelModel } from '../quality/peel-model.js';
import type { Harness } from './harness.js';
import type { ValidationMetric } from './metric.js';

/** `dense`: one width for every item (uniform): a `mixed` table whose sizes are all equal. */
export type TableKind = 'peel-blocks' | 'mixed' | 'sparse' | 'dense';

/** One budget's outcome. */
export interface BudgetOutcome {
  fraction: number;
  /** Device bytes of the item table as stored (format contract), ≤ the budget. */
  bytes: number;
  dtype: Dtype;
  /** Test metric, per user (for the paired differences). */
  test: UserMetric;
  /** Papers' accounting of this model: the share of user + item parameters not stored. */
  paperSparsity: number;
  /** The quick validation metric of the table served (optional: a method that chose on validation says so). */
  validation?: ValidationMetric;
  /** Method-specific figures: width, α, nnz, validation before fine-tuning … (JSON-serialisable). */
  details?: Record<string, unknown>;
}

/** A trained `mixed` table at one target fraction: sizes and values by item index (masked entries 0). */
export interface MixedVariant {
  fraction: number;
  sizes: Uint16Array;
  items: Float32Array;
}

/** A trained `sparse` table at one target fraction: values by item index, pruned entries exactly 0. */
export interface SparseVariant {
  fraction: number;
  items: Float32Array;
  nnz: number;
  /** The kept entries (one byte an entry): a kept value that rounds to 0 is still stored. */
  mask: Uint8Array;
}

export interface MethodOutcome {
  kind: TableKind;
  budgets: BudgetOutcome[];
  /** Every trained variant (the budgets' and the extra `variants` fractions), for the trim measurement and export. */
  mixed?: MixedVariant[];
  sparse?: SparseVariant[];
  /** PEEL's model (user groups, refined tables, block weights), for export as a `peel-blocks` artifact. */
  peel?: PeelModel;
  /** Method-level figures (the α grid on validation, …), JSON-serialisable. */
  extra?: Record<string, unknown>;
  notes?: string[];
}

export interface Method {
  readonly name: string;
  readonly kind: TableKind;
  /** One line for the report: what the method does and where it comes from. */
  readonly about: string;
  run(h: Harness): Promise<MethodOutcome>;
}
