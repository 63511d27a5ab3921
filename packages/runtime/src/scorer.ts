/**
 * The resident embedding tensors and the scoring math.
 *
 * Consecutive item groups whose selected block sets are equal share one
 * matrix (a "segment") of shape [|blocks|·blockDim, items], with each block's
 * rows pre-multiplied by its controller weight. Scoring a user is then one
 * untransposed matMul(user[1, d], items[d, n]) per segment (the XNNPACK fast
 * path on tfjs-wasm), where the user row is the concatenation of the user's
 * sub-vectors of that segment's blocks, and one concat of the results.
 *
 * Resident bytes are exactly 4 × Σ selected block elements, i.e. the
 * selection's `bytes` counted with residentDtype 'f32'. A rebuild briefly
 * holds the old and new matrices of the segments that changed; the old ones
 * are disposed before `apply` resolves.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Manifest, Selection } from '@peelrec/format';

interface Segment {
  readonly itemGroups: readonly number[];
  /** Block index of each row band, in row order. */
  readonly blocks: readonly number[];
  readonly start: number;
  readonly count: number;
  readonly matrix: tf.Tensor2D;
}

/** Key of a resident block: weights and payloads depend on the user group. */
export const blockKey = (userGroup: number, itemGroup: number, block: number) => `${userGroup}/${itemGroup}/${block}`;

export class Scorer {
  private segments: Segment[] = [];
  private userGroup = -1;
  private selection: Selection | undefined;

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
    const next: Segment[] = [];
    try {
      for (const p of plan) {
        const reuse = sameGroup && old.find((s) => sameList(s.itemGroups, p.itemGroups) && sameList(s.blocks, p.blocks));
        if (reuse) {
          next.push(reuse);
          continue;
        }
        const matrix = tf.tidy(() => {
          const columns = p.itemGroups.map((g) => {
            const n = groups[g]!.count;
            const bands = p.blocks.map((b) => {
              const from = sameGroup ? this.locate(old, g, b) : undefined;
              if (from) return tf.slice(from.segment.matrix, [from.row, from.col], [blockDim, n]);
              const data = fresh(g, b);
              if (data.length !== blockDim * n) throw new RangeError(`block (${g}, ${b}) has ${data.length} values, expected ${blockDim * n}`);
              // Weighted in place: the payload is a fresh decode owned by this call, and a copy would double peak memory.
              const w = weight.get(`${g}/${b}`)!;
              for (let i = 0; i < data.length; i++) data[i]! *= w;
              return tf.tensor2d(data, [blockDim, n]);
            });
            return bands.length === 1 ? bands[0]! : tf.concat(bands, 0);
          });
          return (columns.length === 1 ? columns[0]! : tf.concat(columns, 1)) as tf.Tensor2D;
        });
        next.push({ ...p, matrix });
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

  /** Scores of every item by position, for a user vector of length fullDim. */
  async scores(vector: Float32Array): Promise<Float32Array> {
    const { blockDim } = this.manifest.dims;
    const out = tf.tidy(() => {
      const parts = this.segments.map((s) => {
        const u = new Float32Array(s.blocks.length * blockDim);
        s.blocks.forEach((b, k) => u.set(vector.subarray(b * blockDim, (b + 1) * blockDim), k * blockDim));
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
      const picked = tf.tidy(() => tf.gather(s.matrix, tf.tensor1d(cols, 'int32'), 1));
      let data: Float32Array;
      try {
        data = (await picked.data()) as Float32Array;
      } finally {
        picked.dispose();
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
    await this.scores(new Float32Array(this.manifest.dims.fullDim));
  }

  dispose(): void {
    for (const s of this.segments) s.matrix.dispose();
    this.segments = [];
    this.selection = undefined;
    this.userGroup = -1;
  }

  /** Forget tensors that died with their backend (a lost GPU device) without touching them. */
  forget(): void {
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
export function planSegments(selection: Selection, groups: Manifest['itemGroups']): Omit<Segment, 'matrix'>[] {
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
