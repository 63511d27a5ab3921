/**
 * Which table of a v3 (`mixed` / `sparse`) manifest a device holds under a
 * byte budget (README, "Selection of a variant"). Pure and deterministic: the
 * trainer's harness and the runtime call this same function, so the trained
 * accounting and the served one cannot drift apart.
 */
import { BudgetTooSmallError } from './errors.js';
import { type MixedVariant, type SparseVariant, sparseValuesOffset, type Variant } from './kinds.js';
import type { Dtype } from './manifest-files.js';
import { BYTES_PER_ELEMENT, DTYPE_PRECISION_ORDER } from './constants.js';

export interface TableSelection {
  readonly kind: 'mixed' | 'sparse';
  /** Index into `manifest.variants`. */
  readonly variant: number;
  readonly name: string;
  /** The variant's file dtype. */
  readonly dtype: Dtype;
  readonly budgetBytes: number;
  /** Bytes counted against the budget (values at `residentDtype` when given, index and permutation bytes as stored); ≤ `budgetBytes`. */
  readonly bytes: number;
  /** Bytes downloaded: the refs used (a trimmed mixed variant: its permutation and kept columns). */
  readonly fileBytes: number;
  /** The smallest budget that selects anything under the same options. */
  readonly minimumBytes: number;
  /** Mixed only: columns kept, a prefix of the variant's; fewer than it has means trimmed. */
  readonly columns?: number;
  readonly trimmed: boolean;
}

/** What selection reads of a v3 manifest (a `KindManifest` is one): its kind, variants, catalog size and trim choice. */
export interface TableSelectionSource {
  readonly kind: 'mixed' | 'sparse';
  readonly variants: readonly Variant[];
  readonly items: { readonly count: number };
  /** Mixed only: the trainer's choice, decided on its validation data; absent in artifacts written before it. */
  readonly selection?: { readonly trim: boolean };
}

export interface TableSelectOptions {
  /** Count values at this dtype (a runtime that widens f16 to f32 passes `'f32'`); index and permutation bytes stay as stored. Default: the file dtype. */
  residentDtype?: Dtype;
  /**
   * Mixed only: also consider the longest column prefix of each variant that does not fit whole; `false` falls back
   * to whole variants. Default: the manifest's `selection.trim` (the trainer measured which serves its data better,
   * and it differs between datasets: README, "Selection"), else true (artifacts written before that member).
   */
  trim?: boolean;
}

/** One thing a device could hold: a whole variant, or a column prefix of a mixed one. */
interface Candidate {
  readonly variant: number;
  readonly bytes: number;
  readonly fileBytes: number;
  readonly columns: number | undefined;
  readonly trimmed: boolean;
}

/**
 * Selects the variant to hold under `budgetBytes`:
 *  1. the variant with the most counted bytes that fit; ties go to the more
 *     precise dtype, then to the lower index;
 *  2. with `trim` (mixed only; default: the manifest's `selection.trim`, else true), each variant that does not fit also offers its
 *     longest column prefix that fits (its permutation counted in full), and
 *     the candidate holding the most counted bytes wins; on equal bytes a
 *     whole variant beats a trimmed one, then rule 1's ties apply;
 *  3. the counted bytes never exceed `budgetBytes`.
 *
 * @throws BudgetTooSmallError when nothing fits; `minimumBytes` is the smallest candidate's counted bytes.
 * @throws RangeError for a budget that is not a finite number ≥ 0, or an `i8` resident dtype.
 */
export function selectTable(manifest: TableSelectionSource, budgetBytes: number, options: TableSelectOptions = {}): TableSelection {
  if (!(budgetBytes >= 0) || !Number.isFinite(budgetBytes)) throw new RangeError(`budgetBytes must be a finite number ≥ 0, got ${budgetBytes}`);
  if (options.residentDtype === 'i8') throw new RangeError('the mixed and sparse kinds hold f32 or f16 values, not i8');
  const resident = options.residentDtype;
  const variants = manifest.variants;
  const whole = variants.map((v, i) => wholeCandidate(v, i, manifest.items.count, resident));
  const fitting = whole.filter((c) => c.bytes <= budgetBytes);
  const minimal = [...whole];
  if ((options.trim ?? manifest.selection?.trim ?? true) && manifest.kind === 'mixed') {
    for (const [i, v] of variants.entries()) {
      if (!('columns' in v)) continue;
      minimal.push(prefixCandidate(v, i, 1, resident));
      if (whole[i]!.bytes <= budgetBytes) continue;
      const prefix = longestPrefix(v, i, budgetBytes, resident);
      if (prefix) fitting.push(prefix);
    }
  }
  const dtypeRank = (c: Candidate) => DTYPE_PRECISION_ORDER.indexOf(variants[c.variant]!.dtype);
  const best = fitting.sort((a, b) => b.bytes - a.bytes || Number(a.trimmed) - Number(b.trimmed) || dtypeRank(a) - dtypeRank(b) || a.variant - b.variant)[0];
  const smallest = minimal.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  if (!best) {
    const what = smallest.trimmed ? `the first column of variant ${JSON.stringify(variants[smallest.variant]!.name)}` : `variant ${JSON.stringify(variants[smallest.variant]!.name)}`;
    throw new BudgetTooSmallError(budgetBytes, smallest.bytes, resident ?? variants[smallest.variant]!.dtype, `${what}, the smallest ${manifest.kind} table`);
  }
  const v = variants[best.variant]!;
  return {
    kind: manifest.kind,
    variant: best.variant,
    name: v.name,
    dtype: v.dtype,
    budgetBytes,
    bytes: best.bytes,
    fileBytes: best.fileBytes,
    minimumBytes: smallest.bytes,
    ...(best.columns !== undefined && { columns: best.columns }),
    trimmed: best.trimmed,
  };
}

function wholeCandidate(v: MixedVariant | SparseVariant, index: number, items: number, resident: Dtype | undefined): Candidate {
  if ('columns' in v) return prefixCandidate(v, index, v.columns.length, resident);
  const values = v.nnz * BYTES_PER_ELEMENT[resident ?? v.dtype];
  return { variant: index, bytes: sparseValuesOffset(items, v.nnz) + values, fileBytes: v.file.byteLength, columns: undefined, trimmed: false };
}

/** The first `columns` columns of `v`, with its permutation. */
function prefixCandidate(v: MixedVariant, index: number, columns: number, resident: Dtype | undefined): Candidate {
  const perm = v.permutation?.byteLength ?? 0;
  const bpe = BYTES_PER_ELEMENT[resident ?? v.dtype];
  let bytes = perm;
  let fileBytes = perm;
  for (const c of v.columns.slice(0, columns)) {
    bytes += c.count * bpe;
    fileBytes += c.file.byteLength;
  }
  return { variant: index, bytes, fileBytes, columns, trimmed: columns < v.columns.length };
}

/** The longest prefix of at least one column that fits, or undefined. */
function longestPrefix(v: MixedVariant, index: number, budgetBytes: number, resident: Dtype | undefined): Candidate | undefined {
  const bpe = BYTES_PER_ELEMENT[resident ?? v.dtype];
  let bytes = v.permutation?.byteLength ?? 0;
  let columns = 0;
  for (const c of v.columns) {
    if (bytes + c.count * bpe > budgetBytes) break;
    bytes += c.count * bpe;
    columns++;
  }
  return columns > 0 ? prefixCandidate(v, index, columns, resident) : undefined;
}
