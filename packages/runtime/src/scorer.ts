/**
 * The resident embedding tensors and the scoring math. Two layouts:
 *
 *  - packed (wasm, once `prepare` bound the fused kernel of wasm-scan.ts):
 *    one tensor per item group, its selected blocks stacked as rows in the
 *    packed layout of packed-layout.ts, holding the block files' values
 *    unweighted and in the files' dtype: f32 as float32, f16 as half-precision
 *    bit patterns (2 bytes each). The kernel applies the weights through the
 *    user coefficients and widens f16 in registers, so the budget counts
 *    every block at its file size (`residentDtype` undefined).
 *  - dim-major (cpu, webgpu, and wasm without the kernel): consecutive item
 *    groups whose selected block sets are equal share one float32 Tensor2D
 *    (a "segment") of [|blocks|·blockDim, items], each block's rows
 *    pre-multiplied by its controller weight; f16 files are widened to f32
 *    when loaded, so the budget counts 4 bytes per value
 *    (`residentDtype` 'f32'). Scored per backend:
 *      - cpu: the plain loop of js-scan.ts over the values tfjs-cpu holds;
 *      - webgpu (and wasm without the kernel): one untransposed
 *        matMul(user[1, d], items[d, n]) per segment, one concat, one `data()`
 *        readback and a heap top-k in JS.
 *
 * Resident bytes are exactly the selection's `bytes` counted with
 * `residentDtype`. A rebuild briefly holds the old and new matrices of the
 * item groups (segments) that changed; the old ones are disposed before
 * `apply` resolves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeBlock, type Dtype, type Manifest, type Selection } from '@peelrec/format';
import type { BackendName } from './types.js';
import { packedIndex, packInto, unpack } from './packed-layout.js';
import { topK, type ScoredPosition } from './reference.js';
import { runtimeTuning } from './tuning.js';
import { JsScan } from './js-scan.js';
import { WasmScan, type ScanPlan, type ScanSegment } from './wasm-scan.js';

/** What the scorer reads of the manifest. */
export type ScorerModel = Pick<Manifest, 'dims' | 'itemGroups'> & { readonly items: { readonly count: number } };

/** Weighted float32 [rows, count] Tensor2D over consecutive item groups with the same blocks. */
interface DimMajorSegment {
  readonly kind: 'dim-major';
  readonly itemGroups: readonly number[];
  /** Block index of each row band, in row order. */
  readonly blocks: readonly number[];
  readonly start: number;
  readonly count: number;
  readonly rows: number;
  readonly matrix: tf.Tensor2D;
  /** The scoreWeight each `${itemGroup}/${block}` band is multiplied by (it changes with the selection). */
  readonly weights: ReadonlyMap<string, number>;
}

/** One item group's unweighted blocks in the packed layout, in the file dtype (see wasm-scan.ts). */
interface PackedSegment extends ScanSegment {
  readonly kind: 'packed';
  readonly itemGroup: number;
  /** Block index of each row band, in row order. */
  readonly blocks: readonly number[];
}

type Segment = DimMajorSegment | PackedSegment;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class Scorer {
  private segments: Segment[] = [];
  /** The kernel's table of the packed segments (see wasm-scan.ts). */
  private plan: ScanPlan | undefined;
  private selection: Selection | undefined;
  /** The fused kernel and the backend it was bound to (null: not available there). */
  private scan: { backend: tf.KernelBackend; kernel: WasmScan | null } | undefined;
  private jsScan: JsScan | undefined;

  constructor(private readonly manifest: ScorerModel) {}

  get residentBytes(): number {
    return this.segments.reduce((n, s) => n + s.matrix.size * (s.matrix.dtype === 'bool' ? 1 : 4), 0);
  }

  /**
   * How selection must count resident bytes: undefined when blocks stay in
   * their file dtype (the packed layout of the wasm kernel), 'f32' when f16
   * files are widened to float32 tensors. Once `prepare` bound the active
   * backend, what it holds; before, what `prepare` will give if `planned`
   * comes up (the kernel runs wherever tfjs-wasm runs with SIMD).
   */
  residentDtypeFor(planned: BackendName): Dtype | undefined {
    if (this.scan && this.scan.backend === tf.backend()) return this.scan.kernel ? undefined : 'f32';
    return planned === 'wasm' && runtimeTuning.kernel && WasmScan.supported() ? undefined : 'f32';
  }

  /** Whether `selection` counted its bytes as this scorer holds blocks (after `prepare`): if not, it must be selected again. */
  holdsAsCounted(selection: Selection): boolean {
    const elements = selection.blocks.reduce((n, b) => n + this.manifest.dims.blockDim * this.manifest.itemGroups[b.itemGroup]!.count, 0);
    return selection.bytes === (this.kernel() ? selection.fileBytes : elements * 4);
  }

  /**
   * The blocks of `selection` (keys `itemGroup/block`) that are resident and that `apply(selection)` reuses,
   * so their bytes need not be fetched.
   */
  held(selection: Selection): ReadonlySet<string> {
    if (!this.reusableFor(selection)) return new Set();
    const resident = this.selection!.byItemGroup;
    return new Set(selection.blocks.filter((b) => resident[b.itemGroup]?.includes(b.block)).map((b) => `${b.itemGroup}/${b.block}`));
  }

  /**
   * Whether resident blocks can serve `selection`: the same dtype, and every block held here byte-identical to
   * the one selected (the same file SHA-256: writers share one pack between user groups with the same table and
   * weights). Compared even within one user group: its group-blind plan holds another group's files.
   */
  private reusableFor(selection: Selection): boolean {
    const held = this.selection;
    if (!held || selection.dtype !== held.dtype) return false;
    const sha = new Map(held.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.file.sha256]));
    return selection.blocks.every((b) => (sha.get(`${b.itemGroup}/${b.block}`) ?? b.file.sha256) === b.file.sha256);
  }

  /**
   * Makes `selection` resident. `fresh(itemGroup, block)` gives the verified
   * file bytes (in `selection.dtype`) of each block for which `has` is false.
   */
  apply(selection: Selection, fresh: (itemGroup: number, block: number) => Uint8Array): void {
    const old = this.segments;
    const reusable = this.reusableFor(selection);
    const kernel = this.kernel();
    const next: Segment[] = [];
    let plan: ScanPlan | undefined;
    try {
      if (kernel) {
        this.buildPacked(selection, fresh, kernel, reusable ? old : [], next);
        plan = kernel.plan(next as PackedSegment[], this.manifest.items.count);
      } else {
        this.buildDimMajor(selection, fresh, reusable ? old : [], next);
      }
    } catch (e) {
      for (const s of next) if (!old.includes(s)) s.matrix.dispose();
      throw e;
    }
    if (this.plan) kernel?.release(this.plan);
    this.plan = plan;
    for (const s of old) if (!next.includes(s)) s.matrix.dispose();
    this.segments = next;
    this.selection = selection;
  }

  /**
   * Binds the fused kernel to the active backend when it can run there (call
   * after the backend changes, before selecting and `apply`).
   */
  async prepare(): Promise<void> {
    const backend = tf.backend();
    if (this.scan?.backend === backend) return;
    this.dropKernel();
    this.scan = { backend, kernel: runtimeTuning.kernel ? ((await WasmScan.open(runtimeTuning.relaxedSimd)) ?? null) : null };
  }

  /** The top `k` items (score descending, ties by position) for a user vector of length fullDim, skipping `exclude` positions. */
  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    // Every kernel sizes its heap by k: never more than the catalog, whatever the caller asked.
    k = Math.min(k, this.manifest.items.count);
    if (this.plan) {
      const kernel = this.kernel();
      if (!kernel) throw new Error('packed segments outlived their kernel'); // forget() drops both together
      return kernel.top(this.plan, vector, k, exclude);
    }
    const segments = this.segments.filter((s): s is DimMajorSegment => s.kind === 'dim-major');
    if (segments.length !== this.segments.length) throw new Error('packed segments without their kernel table');
    if (runtimeTuning.jsScan && tf.getBackend() === 'cpu') {
      // tfjs-cpu keeps float32 values in a Float32Array and readSync hands that array out without a copy.
      const backend = tf.backend();
      const withValues = segments.map((s) => ({ ...s, values: backend.readSync(s.matrix.dataId) as Float32Array }));
      return (this.jsScan ??= new JsScan()).top(
        withValues,
        segments.map((s) => this.userRows(s, vector)),
        k,
        exclude,
      );
    }
    return topK(await this.scores(segments, vector), k, exclude);
  }

  /**
   * Unweighted item vectors (fullDim) for `positions`, with a mask of which
   * blocks are resident for each. Blocks of zero weight count as absent (the
   * dim-major layout cannot unweight them; the packed one follows suit so
   * every backend folds a history the same way).
   */
  async itemVectors(positions: readonly number[]): Promise<{ vectors: Float32Array[]; known: Uint8Array[] }> {
    const { blockDim, fullDim, blocksPerItem } = this.manifest.dims;
    const weights = new Map(this.selection?.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]) ?? []);
    const vectors = positions.map(() => new Float32Array(fullDim));
    const known = positions.map(() => new Uint8Array(blocksPerItem));
    for (const s of this.segments) {
      const cols: number[] = [];
      const which: number[] = [];
      positions.forEach((p, i) => {
        if (p >= s.start && p < s.start + s.count) {
          cols.push(p - s.start);
          which.push(i);
        }
      });
      if (!cols.length) continue;
      // `data` is dim-major [rows, cols.length]; `unweight` turns a value of block band k back into the item's.
      let data: Float32Array;
      let unweight: (w: number) => number;
      if (s.kind === 'packed') {
        data = this.readPacked(s, cols);
        unweight = () => 1;
      } else {
        const picked = tf.tidy(() => tf.gather(s.matrix, tf.tensor1d(cols, 'int32'), 1));
        try {
          data = (await picked.data()) as Float32Array;
        } finally {
          picked.dispose();
        }
        unweight = (w) => 1 / w;
      }
      which.forEach((i, c) => {
        const g = this.groupOf(positions[i]!);
        s.blocks.forEach((b, k) => {
          const w = weights.get(`${g}/${b}`) ?? 0;
          if (!(w > 0)) return;
          known[i]![b] = 1;
          const f = unweight(w);
          for (let r = 0; r < blockDim; r++) vectors[i]![b * blockDim + r] = data[(k * blockDim + r) * cols.length + c]! * f;
        });
      });
    }
    return { vectors, known };
  }

  /** Runs one scoring pass so shader compilation and WASM setup happen before the first real request. */
  async warmUp(): Promise<void> {
    await this.top(new Float32Array(this.manifest.dims.fullDim), 1, new Set());
  }

  dispose(): void {
    if (this.plan) this.kernel()?.release(this.plan);
    this.plan = undefined;
    this.dropKernel();
    for (const s of this.segments) s.matrix.dispose();
    this.segments = [];
    this.selection = undefined;
  }

  /** Forget tensors that died with their backend (a lost GPU device) without touching them. */
  forget(): void {
    this.scan = undefined; // bound to the backend that went away, with the plan's memory
    this.plan = undefined;
    for (const s of this.segments) {
      try {
        s.matrix.dispose();
      } catch {
        // the device is gone; the engine may refuse to free what it cannot reach
      }
    }
    this.segments = [];
    this.selection = undefined;
  }

  // ---- packed (wasm kernel) ----

  private buildPacked(selection: Selection, fresh: (itemGroup: number, block: number) => Uint8Array, kernel: WasmScan, old: readonly Segment[], next: Segment[]): void {
    const { blockDim } = this.manifest.dims;
    const dtype = selection.dtype;
    const weight = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
    selection.byItemGroup.forEach((blocks, g) => {
      const { start, count: n } = this.manifest.itemGroups[g]!;
      const prev = old.find((s): s is PackedSegment => s.kind === 'packed' && s.itemGroup === g);
      // Reused whole only when weighted alike too (another user group sharing these bytes may score them with
      // other weights or another scoring rule); otherwise its bands are copied below and weighted afresh.
      if (prev && sameList(prev.blocks, blocks) && blocks.every((b, k) => prev.rowWeights[k * blockDim] === Math.fround(weight.get(`${g}/${b}`)!))) {
        next.push(prev);
        return;
      }
      const rows = blocks.length * blockDim;
      const packed = dtype === 'f16' ? new Uint16Array(rows * n) : new Float32Array(rows * n);
      const band = (k: number, src: Float32Array | Uint16Array) => {
        if (src.length !== blockDim * n) throw new RangeError(`block (${g}, ${blocks[k]}) has ${src.length} values, expected ${blockDim * n}`);
        packInto(packed, rows, n, k * blockDim, 0, src, blockDim, n, { dtype });
      };
      blocks.forEach((b, k) => {
        const j = prev ? prev.blocks.indexOf(b) : -1;
        if (prev && j >= 0) {
          // Still resident: copy the band out of the old matrix (same dtype, same bytes).
          const buffer = kernel.view();
          const offset = kernel.offsetOf(prev.matrix);
          const src = dtype === 'f16' ? new Uint16Array(buffer, offset, prev.rows * n) : new Float32Array(buffer, offset, prev.rows * n);
          band(k, unpack(src, 0, prev.rows, n, j * blockDim, 0, blockDim, n, dtype));
        } else {
          band(k, dtype === 'f16' ? halves(fresh(g, b)) : decodeBlock(fresh(g, b), 'f32'));
        }
      });
      const matrix = packed instanceof Uint16Array ? tf.tensor1d(new Uint8Array(packed.buffer), 'bool') : tf.tensor1d(packed);
      // Row r multiplies user dim blocks[r / blockDim]·blockDim + r mod blockDim, weighted by that block's weight.
      const dims = Int32Array.from({ length: rows }, (_, r) => blocks[Math.floor(r / blockDim)]! * blockDim + (r % blockDim));
      const rowWeights = Float32Array.from({ length: rows }, (_, r) => weight.get(`${g}/${blocks[Math.floor(r / blockDim)]}`)!);
      next.push({ kind: 'packed', itemGroup: g, blocks, dims, rowWeights, start, count: n, rows, dtype, matrix });
    });
  }

  /** Values of `cols` of a packed segment, widened to f32, dim-major [rows, cols.length]. */
  private readPacked(s: PackedSegment, cols: readonly number[]): Float32Array {
    const kernel = this.kernel();
    if (!kernel) throw new Error('packed segments outlived their kernel');
    const buffer = kernel.view();
    const offset = kernel.offsetOf(s.matrix);
    const out = new Float32Array(s.rows * cols.length);
    if (s.dtype === 'f16') {
      const src = new Uint16Array(buffer, offset, s.rows * s.count);
      for (let r = 0; r < s.rows; r++) cols.forEach((col, c) => (out[r * cols.length + c] = halfToFloat(src[packedIndex(s.rows, s.count, r, col, 'f16')]!)));
    } else {
      const src = new Float32Array(buffer, offset, s.rows * s.count);
      for (let r = 0; r < s.rows; r++) cols.forEach((col, c) => (out[r * cols.length + c] = src[packedIndex(s.rows, s.count, r, col)]!));
    }
    return out;
  }

  // ---- dim-major (cpu, webgpu, wasm without the kernel) ----

  private buildDimMajor(selection: Selection, fresh: (itemGroup: number, block: number) => Uint8Array, old: readonly Segment[], next: Segment[]): void {
    const { blockDim } = this.manifest.dims;
    const groups = this.manifest.itemGroups;
    const weight = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
    const dimMajor = old.filter((s): s is DimMajorSegment => s.kind === 'dim-major');
    /** The weighted payload of a fresh block. Weighted in place: it is a decode owned by this call, and a copy would double peak memory. */
    const freshWeighted = (g: number, b: number, n: number) => {
      const data = decodeBlock(fresh(g, b), selection.dtype);
      if (data.length !== blockDim * n) throw new RangeError(`block (${g}, ${b}) has ${data.length} values, expected ${blockDim * n}`);
      const w = weight.get(`${g}/${b}`)!;
      for (let i = 0; i < data.length; i++) data[i]! *= w;
      return data;
    };
    for (const p of planSegments(selection, groups)) {
      const keys = p.itemGroups.flatMap((g) => p.blocks.map((b) => `${g}/${b}`));
      const weights = new Map(keys.map((k) => [k, weight.get(k)!]));
      // A kept block's scoreWeight changes when its item group keeps more or fewer blocks: reuse only what is
      // weighted as needed, and rescale resident bands that are not.
      const reuse = dimMajor.find((s) => sameList(s.itemGroups, p.itemGroups) && sameList(s.blocks, p.blocks) && keys.every((k) => s.weights.get(k) === weights.get(k)));
      if (reuse) {
        next.push(reuse);
        continue;
      }
      const matrix = tf.tidy(() => {
        const columns = p.itemGroups.map((g) => {
          const n = groups[g]!.count;
          const bands = p.blocks.map((b) => {
            const from = this.locate(dimMajor, g, b);
            if (from) {
              const band = tf.slice(from.segment.matrix, [from.row, from.col], [blockDim, n]);
              const was = from.segment.weights.get(`${g}/${b}`)!;
              const now = weights.get(`${g}/${b}`)!;
              return was === now ? band : tf.mul(band, was === 0 ? 0 : now / was);
            }
            return tf.tensor2d(freshWeighted(g, b, n), [blockDim, n]);
          });
          return bands.length === 1 ? bands[0]! : tf.concat(bands, 0);
        });
        return (columns.length === 1 ? columns[0]! : tf.concat(columns, 1)) as tf.Tensor2D;
      });
      next.push({ kind: 'dim-major', ...p, rows: p.blocks.length * blockDim, matrix, weights });
    }
  }

  /** Scores of every item by position, for a user vector of length fullDim. */
  private async scores(segments: readonly DimMajorSegment[], vector: Float32Array): Promise<Float32Array> {
    const out = tf.tidy(() => {
      const parts = segments.map((s) => {
        const u = this.userRows(s, vector);
        return tf.matMul(tf.tensor2d(u, [1, u.length]), s.matrix);
      });
      return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /** The user's sub-vectors of a segment's blocks, concatenated in row order. */
  private userRows(s: DimMajorSegment, vector: Float32Array): Float32Array {
    const { blockDim } = this.manifest.dims;
    const u = new Float32Array(s.blocks.length * blockDim);
    s.blocks.forEach((b, k) => u.set(vector.subarray(b * blockDim, (b + 1) * blockDim), k * blockDim));
    return u;
  }

  private locate(segments: readonly DimMajorSegment[], itemGroup: number, block: number): { segment: DimMajorSegment; row: number; col: number } | undefined {
    const { blockDim } = this.manifest.dims;
    for (const segment of segments) {
      const gi = segment.itemGroups.indexOf(itemGroup);
      const bi = segment.blocks.indexOf(block);
      if (gi < 0 || bi < 0) continue;
      const col = this.manifest.itemGroups[itemGroup]!.start - segment.start;
      return { segment, row: bi * blockDim, col };
    }
    return undefined;
  }

  // ---- plumbing ----

  /** The fused kernel when it is bound to the active backend. */
  private kernel(): WasmScan | null {
    return this.scan && this.scan.backend === tf.backend() ? this.scan.kernel : null;
  }

  private dropKernel(): void {
    try {
      this.scan?.kernel?.dispose();
    } catch {
      // the backend was torn down with its memory
    }
    this.scan = undefined;
  }

  private groupOf(position: number): number {
    const groups = this.manifest.itemGroups;
    let lo = 0;
    let hi = groups.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (groups[mid]!.start <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Runs of consecutive item groups with equal selected block sets. */
export function planSegments(selection: Selection, groups: Manifest['itemGroups']): Pick<DimMajorSegment, 'itemGroups' | 'blocks' | 'start' | 'count'>[] {
  const out: { itemGroups: number[]; blocks: readonly number[]; start: number; count: number }[] = [];
  selection.byItemGroup.forEach((blocks, g) => {
    const last = out[out.length - 1];
    if (last && sameList(last.blocks, blocks)) {
      last.itemGroups.push(g);
      last.count += groups[g]!.count;
    } else {
      out.push({ itemGroups: [g], blocks, start: groups[g]!.start, count: groups[g]!.count });
    }
  });
  return out;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The half-precision bit patterns of an f16 block file (little-endian), without a copy where alignment allows. */
function halves(bytes: Uint8Array): Uint16Array {
  if (bytes.byteLength % 2) throw new RangeError(`an f16 payload of ${bytes.byteLength} bytes is not a whole number of halves`);
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint16Array.from({ length: bytes.byteLength / 2 }, (_, i) => view.getUint16(i * 2, true));
}

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
/** An f16 bit pattern's value, computed as the kernel widens it (exact for every finite half). */
export function halfToFloat(h: number): number {
  bits[0] = ((h & 0x8000) << 16) | ((h & 0x7fff) << 13);
  return asFloat[0]! * 2 ** 112;
}
