/**
 * Binary payloads of the v3 kinds (README, "Kind `mixed`", "Kind `sparse`"),
 * all little-endian. Decoders take bytes whose SHA-256 already matched their
 * ref, and still check the structure the format promises (a permutation is a
 * permutation, sparse indices ascend): a wrong writer must fail here, loudly,
 * not rank items from garbage. Such failures are `FormatDataError`s.
 */
import { decodeBlock, encodeBlock } from './codec.js';
import { FormatDataError } from './errors.js';
import { type MixedVariant, mixedColumnByteLength, permutationEntryBytes, SPARSE_MAX_FULL_DIM, sparseByteLength, sparseValuesOffset, type VariantDtype } from './kinds.js';
import type { Dtype } from './manifest-files.js';

/** A mixed variant, encoded: what `ArtifactWriter.mixedVariant` writes. */
export interface MixedPayload {
  /** Row → artifact position (rows sorted by size descending, ties by position). */
  readonly order: Uint32Array;
  /** The permutation file's bytes; undefined when `order` is the identity. */
  readonly permutation: Uint8Array | undefined;
  /** `counts[r]`: rows holding dimension r (non-increasing; `counts[0]` = every item). */
  readonly counts: readonly number[];
  /** Column r's bytes: dimension r of rows `0 … counts[r] − 1`. */
  readonly columns: readonly Uint8Array[];
}

/** A sparse table, decoded: CSR with u8 indices, rows in artifact order. */
export interface SparsePayload {
  /** `rows + 1` offsets into `indices`/`values`; row i holds entries `[rowPtr[i], rowPtr[i+1])`. */
  readonly rowPtr: Uint32Array;
  readonly indices: Uint8Array;
  readonly values: Float32Array;
}

/**
 * Encodes a mixed variant from the dense table `rows` (`sizes.length × fullDim` f32, row-major, artifact order):
 * item p keeps its first `sizes[p]` dimensions (1 … fullDim).
 * @throws RangeError for a table or sizes of the wrong shape.
 */
export function encodeMixedVariant(rows: Float32Array, fullDim: number, sizes: ArrayLike<number>, dtype: VariantDtype): MixedPayload {
  const n = sizes.length;
  if (n < 1 || rows.length !== n * fullDim) throw new RangeError(`rows hold ${rows.length} values, expected ${n} items × fullDim ${fullDim}`);
  let widest = 0;
  for (let p = 0; p < n; p++) {
    const d = sizes[p]!;
    if (!Number.isInteger(d) || d < 1 || d > fullDim) throw new RangeError(`sizes[${p}] is ${d}, expected an integer in [1, ${fullDim}]`);
    widest = Math.max(widest, d);
  }
  const order = Uint32Array.from({ length: n }, (_, p) => p).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  const identity = order.every((p, j) => p === j);
  const counts = Array.from({ length: widest }, (_, r) => {
    let c = 0;
    while (c < n && sizes[order[c]!]! > r) c++;
    return c;
  });
  const columns = counts.map((count, r) => {
    const values = new Float32Array(count);
    for (let j = 0; j < count; j++) values[j] = rows[order[j]! * fullDim + r]!;
    return encodeBlock(values, dtype);
  });
  return { order, permutation: identity ? undefined : encodePermutation(order), counts, columns };
}

/** A permutation's bytes: u16 LE entries when it has ≤ 65536 of them, u32 LE above. */
export function encodePermutation(order: Uint32Array): Uint8Array {
  const width = permutationEntryBytes(order.length);
  const out = new Uint8Array(order.length * width);
  const view = new DataView(out.buffer);
  for (let j = 0; j < order.length; j++) {
    if (width === 2) view.setUint16(j * 2, order[j]!, true);
    else view.setUint32(j * 4, order[j]!, true);
  }
  return out;
}

/**
 * Decodes the permutation of a catalog of `count` items: row → artifact position.
 * @throws FormatDataError for a wrong length, a position out of range or a repeated one.
 */
export function decodePermutation(bytes: Uint8Array, count: number): Uint32Array {
  const width = permutationEntryBytes(count);
  if (bytes.byteLength !== count * width) throw new FormatDataError('permutation', [`${bytes.byteLength} bytes, expected ${count} × u${width * 8}`]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(count);
  const seen = new Uint8Array(count);
  const issues: string[] = [];
  for (let j = 0; j < count; j++) {
    const p = width === 2 ? view.getUint16(j * 2, true) : view.getUint32(j * 4, true);
    if (p >= count) issues.push(`row ${j}: position ${p} out of range [0, ${count})`);
    else if (seen[p]) issues.push(`row ${j}: position ${p} repeated`);
    else seen[p] = 1;
    out[j] = p;
    if (issues.length >= 10) break;
  }
  if (issues.length) throw new FormatDataError('permutation', issues);
  return out;
}

/**
 * Decodes one mixed column of `count` values to f32.
 * @throws FormatDataError when the bytes are not `count` values of `dtype`.
 */
export function decodeMixedColumn(bytes: Uint8Array, count: number, dtype: Dtype): Float32Array {
  if (dtype === 'i8') throw new RangeError('mixed columns hold f32 or f16 values, not i8');
  const want = mixedColumnByteLength(count, dtype);
  if (bytes.byteLength !== want) throw new FormatDataError('mixed column', [`${bytes.byteLength} bytes, expected ${count} × ${dtype} = ${want}`]);
  return decodeBlock(bytes, dtype);
}

/**
 * Decodes the first `columnBytes.length` columns of `variant` (all of them, or a trimmed prefix) to f32.
 * @throws FormatDataError when a column's bytes do not match its count; RangeError for more columns than the variant has.
 */
export function decodeMixedColumns(variant: Pick<MixedVariant, 'columns' | 'dtype'>, columnBytes: readonly Uint8Array[], dtype: Dtype = variant.dtype): Float32Array[] {
  if (columnBytes.length > variant.columns.length) throw new RangeError(`${columnBytes.length} columns given, the variant has ${variant.columns.length}`);
  return columnBytes.map((bytes, r) => decodeMixedColumn(bytes, variant.columns[r]!.count, dtype));
}

/**
 * Encodes a sparse table from the dense table `rows` (`count × fullDim` f32, row-major, artifact order), keeping the
 * entries where `mask` is nonzero (default: where the value is nonzero).
 * @throws RangeError for a table or mask of the wrong shape, or fullDim above 255.
 */
export function encodeSparse(rows: Float32Array, fullDim: number, dtype: VariantDtype, mask?: ArrayLike<number>): { bytes: Uint8Array; nnz: number } {
  if (fullDim < 1 || fullDim > SPARSE_MAX_FULL_DIM) throw new RangeError(`sparse tables are 1 … ${SPARSE_MAX_FULL_DIM} wide, got fullDim ${fullDim}`);
  const count = rows.length / fullDim;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`rows hold ${rows.length} values, not a whole number of rows of ${fullDim}`);
  if (mask && mask.length !== rows.length) throw new RangeError(`mask holds ${mask.length} entries, expected ${rows.length}`);
  const keep = (i: number) => (mask ? mask[i] !== 0 : rows[i] !== 0);
  let nnz = 0;
  for (let i = 0; i < rows.length; i++) if (keep(i)) nnz++;
  const bytes = new Uint8Array(sparseByteLength(count, nnz, dtype));
  const values = new Float32Array(nnz);
  let k = 0;
  for (let row = 0; row < count; row++) {
    for (let r = 0; r < fullDim; r++) {
      const i = row * fullDim + r;
      if (!keep(i)) continue;
      bytes[row]!++;
      bytes[count + k] = r;
      values[k++] = rows[i]!;
    }
  }
  bytes.set(encodeBlock(values, dtype), sparseValuesOffset(count, nnz));
  return { bytes, nnz };
}

/**
 * Decodes a sparse payload of `count` rows and `nnz` entries. Checks the length, that the row counts sum to `nnz`,
 * that each row's indices strictly ascend below `fullDim` (default 255, the most a u8 index allows), and that the
 * padding is zero.
 * @throws FormatDataError listing the first problems found.
 */
export function decodeSparse(bytes: Uint8Array, count: number, nnz: number, dtype: Dtype, fullDim: number = SPARSE_MAX_FULL_DIM): SparsePayload {
  if (dtype === 'i8') throw new RangeError('sparse values are f32 or f16, not i8');
  const want = sparseByteLength(count, nnz, dtype);
  if (bytes.byteLength !== want) throw new FormatDataError('sparse payload', [`${bytes.byteLength} bytes, expected align4(${count} + ${nnz}) + ${nnz} × ${dtype} = ${want}`]);
  const rowPtr = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) rowPtr[i + 1] = rowPtr[i]! + bytes[i]!;
  if (rowPtr[count] !== nnz) throw new FormatDataError('sparse payload', [`row counts sum to ${rowPtr[count]}, expected nnz ${nnz}`]);
  const indices = bytes.slice(count, count + nnz);
  const issues: string[] = [];
  for (let i = 0; i < count && issues.length < 10; i++) {
    for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) {
      if (indices[k]! >= fullDim) issues.push(`row ${i}: index ${indices[k]} ≥ fullDim ${fullDim}`);
      else if (k > rowPtr[i]! && indices[k]! <= indices[k - 1]!) issues.push(`row ${i}: index ${indices[k]} after ${indices[k - 1]} (must ascend)`);
      else continue;
      break;
    }
  }
  const offset = sparseValuesOffset(count, nnz);
  for (let b = count + nnz; b < offset; b++) if (bytes[b] !== 0) issues.push(`padding byte ${b} is ${bytes[b]}, expected 0`);
  if (issues.length) throw new FormatDataError('sparse payload', issues);
  return { rowPtr, indices, values: decodeBlock(bytes.subarray(offset), dtype) };
}
