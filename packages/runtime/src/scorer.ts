/**
 * The resident embedding tensors and the scoring math.
 *
 * Consecutive item groups whose selected block sets are equal share one
 * matrix (a "segment") of logical shape [|blocks|·blockDim, items], with each
 * block's rows pre-multiplied by its controller weight. A user's scores for a
 * segment are the product of the concatenation of the user's sub-vectors of
 * that segment's blocks with the matrix. Per backend:
 *  - wasm (when `prepare` bound the fused kernel of wasm-scan.ts): segments are
 *    1-D tensors in the packed layout of packed-layout.ts (same bytes) and `top`
 *    scans them in place: score and top-k in one sequential pass, nothing
 *    written back or read out;
 *  - cpu: dim-major Tensor2Ds, scored by the plain loop of js-scan.ts over the
 *    values tfjs-cpu holds;
 *  - webgpu (and wasm without the kernel): dim-major Tensor2Ds, one untransposed
 *    matMul(user[1, d], items[d, n]) per segment, one concat, one `data()`
 *    readback and a heap top-k in JS.
 *
 * Resident bytes are exactly 4 × Σ selected block elements, i.e. the
 * selection's `bytes` counted with residentDtype 'f32'. A rebuild briefly
 * holds the old and new matrices of the segments that changed; the old ones
 * are disposed before `apply` resolves.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Manifest, Selection } from '@peelrec/format';
import { packedIndex, packInto, unpack } from './packed-layout.js';
import { topK, type ScoredPosition } from './reference.js';
import { runtimeTuning } from './tuning.js';
import { JsScan } from './js-scan.js';
import { WasmScan } from './wasm-scan.js';

interface Segment {
  readonly itemGroups: readonly number[];
  /** Block index of each row band, in row order. */
  readonly blocks: readonly number[];
  readonly start: number;
  readonly count: number;
  /** Logical [rows, count], rows = blocks.length · blockDim: dim-major Tensor2D, or packed 1-D when `packed`. */
  readonly matrix: tf.Tensor;
  readonly rows: number;
  readonly packed: boolean;
}

/** Key of a resident block: weights and payloads depend on the user group. */
export const blockKey = (userGroup: number, itemGroup: number, block: number) => `${userGroup}/${itemGroup}/${block}`;

export class Scorer {
  private segments: Segment[] = [];
  private userGroup = -1;
  private selection: Selection | undefined;
  /** The fused kernel and the backend it was bound to (null: not available there). */
  private scan: { backend: tf.KernelBackend; kernel: WasmScan | null } | undefined;
  private jsScan: JsScan | undefined;

  constructor(private readonly manifest: Manifest) {}

  get residentBytes(): number {
    return this.segments.reduce((n, s) => n + s.matrix.size * 4, 0);
  }

  /** Whether block (itemGroup, block) of `userGroup` is resident. */
  has(userGroup: number, itemGroup: number, block: number): boolean {
    return userGroup === this.userGroup && (this.selection?.byItemGroup[itemGroup]?.includes(block) ?? false);
  }

  /**
   * Makes `selection` resident. `fresh(itemGroup, block)` gives the decoded,
   * unweighted payload of each block that is not resident yet; the array is
   * consumed (weighted in place and handed to the backend).
   */
  apply(selection: Selection, fresh: (itemGroup: number, block: number) => Float32Array): void {
    const { blockDim } = this.manifest.dims;
    const groups = this.manifest.itemGroups;
    const weight = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.weight]));
    const old = this.segments;
    const sameGroup = selection.userGroup === this.userGroup;
    const plan = planSegments(selection, groups);
    const kernel = this.scan?.backend === tf.backend() ? this.scan.kernel : null;
    const next: Segment[] = [];
    /** The weighted payload of a fresh block. Weighted in place: it is a decode owned by this call, and a copy would double peak memory. */
    const freshWeighted = (g: number, b: number, n: number) => {
      const data = fresh(g, b);
      if (data.length !== blockDim * n) throw new RangeError(`block (${g}, ${b}) has ${data.length} values, expected ${blockDim * n}`);
      const w = weight.get(`${g}/${b}`)!;
      for (let i = 0; i < data.length; i++) data[i]! *= w;
      return data;
    };
    try {
      for (const p of plan) {
        const reuse = sameGroup && old.find((s) => sameList(s.itemGroups, p.itemGroups) && sameList(s.blocks, p.blocks) && s.packed === Boolean(kernel));
        if (reuse) {
          next.push(reuse);
          continue;
        }
        const rows = p.blocks.length * blockDim;
        if (kernel) {
          const packed = new Float32Array(rows * p.count);
          for (const g of p.itemGroups) {
            const n = groups[g]!.count;
            const col = groups[g]!.start - p.start;
            p.blocks.forEach((b, k) => {
              const from = sameGroup ? this.locate(old, g, b) : undefined;
              let src: Float32Array;
              if (!from) src = freshWeighted(g, b, n);
              else if (from.segment.packed) src = unpack(kernel.view(), kernel.offsetOf(from.segment.matrix) >> 2, from.segment.rows, from.segment.count, from.row, from.col, blockDim, n);
              else {
                // A dim-major segment on this same wasm backend (made before the kernel was bound): rows are contiguous.
                const mem = kernel.view();
                const base = (kernel.offsetOf(from.segment.matrix) >> 2) + from.col;
                src = new Float32Array(blockDim * n);
                for (let r = 0; r < blockDim; r++) src.set(mem.subarray(base + (from.row + r) * from.segment.count, base + (from.row + r) * from.segment.count + n), r * n);
              }
              packInto(packed, rows, p.count, k * blockDim, col, src, blockDim, n);
            });
          }
          next.push({ ...p, rows, packed: true, matrix: tf.tensor1d(packed) });
          continue;
        }
        const matrix = tf.tidy(() => {
          const columns = p.itemGroups.map((g) => {
            const n = groups[g]!.count;
            const bands = p.blocks.map((b) => {
              const from = sameGroup ? this.locate(old, g, b) : undefined;
              if (from?.segment.packed) throw new Error('a packed segment outlived its kernel'); // forget() drops both together
              if (from) return tf.slice(from.segment.matrix as tf.Tensor2D, [from.row, from.col], [blockDim, n]);
              return tf.tensor2d(freshWeighted(g, b, n), [blockDim, n]);
            });
            return bands.length === 1 ? bands[0]! : tf.concat(bands, 0);
          });
          return (columns.length === 1 ? columns[0]! : tf.concat(columns, 1)) as tf.Tensor2D;
        });
        next.push({ ...p, rows, packed: false, matrix });
      }
    } catch (e) {
      for (const s of next) if (!old.includes(s)) s.matrix.dispose();
      throw e;
    }
    for (const s of old) if (!next.includes(s)) s.matrix.dispose();
    this.segments = next;
    this.selection = selection;
    this.userGroup = selection.userGroup;
  }

  /**
   * Binds the fused kernel to the active backend when it can run there (call
   * after the backend changes, before `apply`); later segments use its layout.
   */
  async prepare(): Promise<void> {
    const backend = tf.backend();
    if (this.scan?.backend === backend) return;
    this.dropKernel();
    this.scan = { backend, kernel: runtimeTuning.kernel ? ((await WasmScan.open()) ?? null) : null };
  }

  /** The top `k` items (score descending, ties by position) for a user vector of length fullDim, skipping `exclude` positions. */
  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    const kernel = this.scan?.backend === tf.backend() ? this.scan.kernel : null;
    if (kernel && this.segments.every((s) => s.packed)) return kernel.top(this.segments, vector, this.manifest.dims.blockDim, k, exclude);
    if (runtimeTuning.jsScan && tf.getBackend() === 'cpu' && !this.segments.some((s) => s.packed)) {
      // tfjs-cpu keeps float32 values in a Float32Array and readSync hands that array out without a copy.
      const backend = tf.backend();
      const segments = this.segments.map((s) => ({ ...s, values: backend.readSync(s.matrix.dataId) as Float32Array }));
      return (this.jsScan ??= new JsScan()).top(segments, this.segments.map((s) => this.userRows(s, vector)), k, exclude);
    }
    return topK(await this.scores(vector), k, exclude);
  }

  /** Scores of every item by position, for a user vector of length fullDim (dim-major segments). */
  private async scores(vector: Float32Array): Promise<Float32Array> {
    if (this.segments.some((s) => s.packed)) throw new Error('packed segments are scored by the fused kernel only');
    const out = tf.tidy(() => {
      const parts = this.segments.map((s) => {
        const u = this.userRows(s, vector);
        return tf.matMul(tf.tensor2d(u, [1, u.length]), s.matrix as tf.Tensor2D);
      });
      return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /**
   * Unweighted item vectors (fullDim) for `positions`, with a mask of which
   * blocks are resident for each. Blocks of zero weight cannot be unweighted
   * and count as absent.
   */
  async itemVectors(positions: readonly number[]): Promise<{ vectors: Float32Array[]; known: Uint8Array[] }> {
    const { blockDim, fullDim, blocksPerItem } = this.manifest.dims;
    const weights = new Map(this.selection?.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.weight]) ?? []);
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
      // `data` is dim-major [rows, cols.length].
      let data: Float32Array;
      const kernel = this.scan?.kernel;
      if (s.packed && kernel) {
        const mem = kernel.view();
        const base = kernel.offsetOf(s.matrix) >> 2;
        data = new Float32Array(s.rows * cols.length);
        for (let r = 0; r < s.rows; r++) cols.forEach((col, c) => (data[r * cols.length + c] = mem[base + packedIndex(s.rows, s.count, r, col)]!));
      } else {
        const picked = tf.tidy(() => tf.gather(s.matrix, tf.tensor1d(cols, 'int32'), 1));
        try {
          data = (await picked.data()) as Float32Array;
        } finally {
          picked.dispose();
        }
      }
      which.forEach((i, c) => {
        const g = this.groupOf(positions[i]!);
        s.blocks.forEach((b, k) => {
          const w = weights.get(`${g}/${b}`) ?? 0;
          if (!(w > 0)) return;
          known[i]![b] = 1;
          for (let r = 0; r < blockDim; r++) vectors[i]![b * blockDim + r] = data[(k * blockDim + r) * cols.length + c]! / w;
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
    this.dropKernel();
    for (const s of this.segments) s.matrix.dispose();
    this.segments = [];
    this.selection = undefined;
    this.userGroup = -1;
  }

  /** Forget tensors that died with their backend (a lost GPU device) without touching them. */
  forget(): void {
    this.scan = undefined; // bound to the backend that went away
    for (const s of this.segments) {
      try {
        s.matrix.dispose();
      } catch {
        // the device is gone; the engine may refuse to free what it cannot reach
      }
    }
    this.segments = [];
    this.selection = undefined;
    this.userGroup = -1;
  }

  /** The user's sub-vectors of a segment's blocks, concatenated in row order. */
  private userRows(s: Segment, vector: Float32Array): Float32Array {
    const { blockDim } = this.manifest.dims;
    const u = new Float32Array(s.blocks.length * blockDim);
    s.blocks.forEach((b, k) => u.set(vector.subarray(b * blockDim, (b + 1) * blockDim), k * blockDim));
    return u;
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

  private locate(segments: readonly Segment[], itemGroup: number, block: number): { segment: Segment; row: number; col: number } | undefined {
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
}

/** Runs of consecutive item groups with equal selected block sets. */
export function planSegments(selection: Selection, groups: Manifest['itemGroups']): Pick<Segment, 'itemGroups' | 'blocks' | 'start' | 'count'>[] {
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
