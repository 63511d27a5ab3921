/**
 * What every layout of a v3 kind reads from a selected variant's verified bytes, checked once: the structure the
 * format promises (column lengths, a permutation that is one, sparse rows that sum to nnz with ascending indices
 * below fullDim), so that no kernel reads past what it was given. Nothing here copies the values: the WASM
 * layouts hold the bytes as stored.
 */
import { FormatDataError, ManifestError, decodePermutation, mixedColumnByteLength, permutationByteLength, sparseByteLength, sparseValuesOffset } from '@peelrec/format';
import type { MixedVariant, SparseVariant, TableSelection, Variant } from '@peelrec/format';
import { UserError } from '../errors.js';
import type { KindModel, VariantBytes } from './kind-layout.js';

/** Rows [lo, hi) of a mixed variant (in its row order), which keep their first `size` dimensions. */
export interface MixedBand {
  readonly size: number;
  readonly lo: number;
  readonly hi: number;
}

/** A mixed variant's kept columns, checked. */
export interface MixedParts {
  readonly dtype: 'f32' | 'f16';
  /** Rows (= items), in the variant's order: largest size first. */
  readonly rows: number;
  /** Values held of each kept column. */
  readonly counts: readonly number[];
  /** The non-empty bands, in row order (largest size first). */
  readonly bands: readonly MixedBand[];
  /** Each kept column's bytes, as stored. */
  readonly columns: readonly Uint8Array[];
  /** Row → artifact position at the file's width (u16 up to 65,536 items, else u32); undefined: the identity. */
  readonly permutation: Uint16Array | Uint32Array | undefined;
}

/** A sparse variant's payload, checked. */
export interface SparseParts {
  readonly dtype: 'f32' | 'f16';
  readonly rows: number;
  readonly nnz: number;
  /** The payload as stored: row counts, indices, padding, values. */
  readonly payload: Uint8Array;
  /** Byte offset of the values section. */
  readonly valuesOffset: number;
}

/** A wiring mistake (a layout handed another kind's variant): the manifest and the selection disagree. */
function mismatch(what: string): ManifestError {
  return new ManifestError(`kind layout: ${what}`);
}

function valueDtype(selection: TableSelection, variant: Variant): 'f32' | 'f16' {
  if (selection.dtype !== variant.dtype) throw mismatch(`selection dtype ${selection.dtype}, variant ${variant.name} is ${variant.dtype}`);
  return variant.dtype;
}

/** The permutation bytes at their stored width, checked to be a permutation of [0, count). */
function permutationOf(bytes: Uint8Array, count: number): Uint16Array | Uint32Array {
  const order = decodePermutation(bytes, count);
  return permutationByteLength(count) === 2 * count ? Uint16Array.from(order) : order;
}

export function mixedParts(model: KindModel, selection: TableSelection, variant: Variant, bytes: VariantBytes): MixedParts {
  if (model.kind !== 'mixed' || selection.kind !== 'mixed' || bytes.kind !== 'mixed' || !('columns' in variant)) throw mismatch(`a ${bytes.kind} variant for a ${model.kind} layout`);
  const v: MixedVariant = variant;
  const dtype = valueDtype(selection, v);
  const rows = model.items.count;
  const kept = bytes.columns.length;
  const expected = selection.columns ?? v.columns.length;
  if (kept !== expected || kept < 1 || kept > v.columns.length || kept > model.dims.fullDim) {
    throw mismatch(`${kept} columns given, the selection keeps ${expected} of ${v.columns.length} (fullDim ${model.dims.fullDim})`);
  }
  const counts = v.columns.slice(0, kept).map((c) => c.count);
  const issues: string[] = [];
  if (counts[0] !== rows) issues.push(`column 0 holds ${counts[0]} values, expected every item (${rows})`);
  counts.forEach((c, r) => {
    if (r > 0 && c > counts[r - 1]!) issues.push(`column ${r} holds ${c} values, more than column ${r - 1} (${counts[r - 1]})`);
    const want = mixedColumnByteLength(c, dtype);
    if (bytes.columns[r]!.byteLength !== want) issues.push(`column ${r}: ${bytes.columns[r]!.byteLength} bytes, expected ${c} × ${dtype} = ${want}`);
  });
  if (issues.length) throw new FormatDataError('mixed columns', issues);
  if (Boolean(v.permutation) !== Boolean(bytes.permutation)) throw mismatch(`variant ${v.name} ${v.permutation ? 'has' : 'has no'} permutation, the bytes ${bytes.permutation ? 'have' : 'have none'}`);
  const permutation = bytes.permutation && permutationOf(bytes.permutation, rows);
  // Band of size s: rows [count_s, count_{s-1}) (count_kept = 0); the widest first, so bands run in row order.
  const bands: MixedBand[] = [];
  for (let size = kept; size >= 1; size--) {
    const lo = size < kept ? counts[size]! : 0;
    const hi = counts[size - 1]!;
    if (hi > lo) bands.push({ size, lo, hi });
  }
  return { dtype, rows, counts, bands, columns: bytes.columns, permutation };
}

/**
 * Checks a sparse payload without decoding it (the WASM layout holds it as stored): its length, row counts that
 * sum to nnz, each row's indices strictly ascending below fullDim, a zero padding.
 */
export function sparseParts(model: KindModel, selection: TableSelection, variant: Variant, bytes: VariantBytes): SparseParts {
  if (model.kind !== 'sparse' || selection.kind !== 'sparse' || bytes.kind !== 'sparse' || !('nnz' in variant)) throw mismatch(`a ${bytes.kind} variant for a ${model.kind} layout`);
  const v: SparseVariant = variant;
  const dtype = valueDtype(selection, v);
  const { payload } = bytes;
  const rows = model.items.count;
  const { nnz } = v;
  const want = sparseByteLength(rows, nnz, dtype);
  if (payload.byteLength !== want) throw new FormatDataError('sparse payload', [`${payload.byteLength} bytes, expected align4(${rows} + ${nnz}) + ${nnz} × ${dtype} = ${want}`]);
  const issues: string[] = [];
  const { fullDim } = model.dims;
  let at = rows;
  for (let i = 0; i < rows && at <= rows + nnz; i++) {
    const end = at + payload[i]!;
    for (let e = at; e < end && e < rows + nnz; e++) {
      const d = payload[e]!;
      if (d >= fullDim) issues.push(`row ${i}: index ${d} ≥ fullDim ${fullDim}`);
      else if (e > at && d <= payload[e - 1]!) issues.push(`row ${i}: index ${d} after ${payload[e - 1]} (must ascend)`);
      else continue;
      break;
    }
    if (issues.length >= 10) break;
    at = end;
  }
  if (!issues.length && at !== rows + nnz) issues.push(`row counts sum to ${at - rows}, expected nnz ${nnz}`);
  const valuesOffset = sparseValuesOffset(rows, nnz);
  for (let b = rows + nnz; b < valuesOffset; b++) if (payload[b] !== 0) issues.push(`padding byte ${b} is ${payload[b]}, expected 0`);
  if (issues.length) throw new FormatDataError('sparse payload', issues);
  return { dtype, rows, nnz, payload, valuesOffset };
}

/** The row of each of `positions` in a variant's row order (-1 for a position outside the catalog): one pass over the permutation. */
export function rowsOfPositions(positions: readonly number[], permutation: Uint16Array | Uint32Array | undefined, rows: number): Int32Array {
  const out = new Int32Array(positions.length).fill(-1);
  const inside = (p: number) => Number.isInteger(p) && p >= 0 && p < rows;
  if (!permutation) {
    positions.forEach((p, i) => inside(p) && (out[i] = p));
    return out;
  }
  const wanted = new Map<number, number[]>();
  positions.forEach((p, i) => inside(p) && wanted.set(p, [...(wanted.get(p) ?? []), i]));
  for (let j = 0; j < rows && wanted.size; j++) {
    const at = wanted.get(permutation[j]!);
    if (!at) continue;
    for (const i of at) out[i] = j;
    wanted.delete(permutation[j]!);
  }
  return out;
}

/** A user vector must have fullDim values: a shorter one would read past it (the kernels) or score NaN. */
export function checkUserVector(model: KindModel, vector: Float32Array): void {
  if (vector.length !== model.dims.fullDim) throw new UserError(`user vector has ${vector.length} dims, expected ${model.dims.fullDim}`);
}
