/**
 * The plain-TypeScript reference of the v3 kinds' scoring, in float64: every layout must agree with it. It
 * re-expands the held variant to dense fullDim rows in artifact order (zeros where nothing is stored), with the
 * format's own decoders, then scores every item and takes the reference top-k of reference.ts (ties by
 * ascending artifact position). Slow and simple on purpose.
 *
 *   mixed:  score(p) = Σ_{r < d_p} u[r] · columns[r][row(p)]        (d_p: the columns kept that hold p's row)
 *   sparse: score(p) = Σ_{entries e of row p} u[index e] · value e
 */
import { decodeMixedColumns, decodePermutation, decodeSparse, type TableSelection, type Variant } from '@peelrec/format';
import { UserError } from '../errors.js';
import { topK, type ScoredPosition } from '../reference.js';
import type { KindModel, VariantBytes } from './kind-layout.js';

export interface KindReferenceInput {
  /** Only the kind, fullDim and the item count are read. */
  readonly model: KindModel;
  readonly selection: TableSelection;
  readonly variant: Variant;
  /** The variant's verified bytes, as a layout is given them. */
  readonly bytes: VariantBytes;
}

/** The held table as dense rows: `items.count × fullDim` values, row p being artifact position p. */
export function denseKindTable(input: KindReferenceInput): Float32Array {
  const { model, variant, bytes } = input;
  const { fullDim } = model.dims;
  const count = model.items.count;
  const dense = new Float32Array(count * fullDim);
  if (bytes.kind === 'mixed' && 'columns' in variant) {
    const columns = decodeMixedColumns(variant, bytes.columns, input.selection.dtype);
    const order = bytes.permutation ? decodePermutation(bytes.permutation, count) : undefined;
    columns.forEach((column, r) => {
      for (let j = 0; j < column.length; j++) dense[(order ? order[j]! : j) * fullDim + r] = column[j]!;
    });
  } else if (bytes.kind === 'sparse' && 'nnz' in variant) {
    const { rowPtr, indices, values } = decodeSparse(bytes.payload, count, variant.nnz, input.selection.dtype, fullDim);
    for (let p = 0; p < count; p++) for (let e = rowPtr[p]!; e < rowPtr[p + 1]!; e++) dense[p * fullDim + indices[e]!] = values[e]!;
  } else {
    throw new UserError(`a ${bytes.kind} variant's bytes with a variant that is not ${bytes.kind}`);
  }
  return dense;
}

/** Scores of every item, indexed by artifact position, for a user vector of length fullDim. */
export function kindReferenceScores(input: KindReferenceInput & { readonly vector: ArrayLike<number> }): Float64Array {
  const { fullDim } = input.model.dims;
  if (input.vector.length !== fullDim) throw new UserError(`user vector has ${input.vector.length} dims, expected ${fullDim}`);
  const dense = denseKindTable(input);
  const scores = new Float64Array(input.model.items.count);
  for (let p = 0; p < scores.length; p++) {
    let s = 0;
    for (let r = 0; r < fullDim; r++) s += input.vector[r]! * dense[p * fullDim + r]!;
    scores[p] = s;
  }
  return scores;
}

/** The reference top-k of a v3 table: {@link kindReferenceScores} then `topK`. `exclude` holds artifact positions. */
export function scoreKindReference(input: KindReferenceInput & { readonly vector: ArrayLike<number>; readonly k: number; readonly exclude?: Iterable<number> }): ScoredPosition[] {
  return topK(kindReferenceScores(input), input.k, new Set(input.exclude ?? []));
}
