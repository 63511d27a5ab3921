/**
 * The dim-major layout (cpu, webgpu, and wasm without the kernel): consecutive item groups whose selected
 * block sets are equal share one float32 Tensor2D (a "segment") of [|blocks|·blockDim, items], each block's
 * rows pre-multiplied by its controller weight; f16 files are widened to f32 when loaded, so the budget counts
 * 4 bytes per value (`residentDtype` 'f32'). How the segments are scored is each backend path's: a tfjs
 * matMul (matmul-layout.ts) or the plain cpu loop (js-scan-layout.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeBlock, type Manifest, type Selection } from '@peelrec/format';
import { itemVectorsOf, sameList } from './block-bands.js';
import type { ScoredPosition } from './reference.js';
import type { FreshBlock, ItemVectors, ScorerModel, TableLayout } from './table-layout.js';

/** Weighted float32 [rows, count] Tensor2D over consecutive item groups with the same blocks. */
export interface DimMajorSegment {
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

export abstract class DimMajorLayout implements TableLayout {
  readonly residentDtype = 'f32';
  protected segments: DimMajorSegment[] = [];
  private weights: ReadonlyMap<string, number> = new Map();

  constructor(protected readonly model: ScorerModel) {}

  abstract top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]>;

  get residentBytes(): number {
    return this.segments.reduce((n, s) => n + s.matrix.size * 4, 0);
  }

  apply(selection: Selection, fresh: FreshBlock, reuse: boolean): void {
    const old = this.segments;
    const next: DimMajorSegment[] = [];
    try {
      this.build(selection, fresh, reuse ? old : [], next);
    } catch (e) {
      for (const s of next) if (!old.includes(s)) s.matrix.dispose();
      throw e;
    }
    for (const s of old) if (!next.includes(s)) s.matrix.dispose();
    this.segments = next;
    this.weights = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
  }

  itemVectors(positions: readonly number[]): Promise<ItemVectors> {
    return itemVectorsOf(
      this.model,
      this.weights,
      this.segments,
      positions,
      async (s, cols) => {
        const picked = tf.tidy(() => tf.gather(s.matrix, tf.tensor1d(Int32Array.from(cols), 'int32'), 1));
        try {
          return (await picked.data()) as Float32Array;
        } finally {
          picked.dispose();
        }
      },
      true,
    );
  }

  dispose(): void {
    for (const s of this.segments) s.matrix.dispose();
    this.segments = [];
  }

  forget(): void {
    for (const s of this.segments) {
      try {
        s.matrix.dispose();
      } catch {
        // the device is gone; the engine may refuse to free what it cannot reach
      }
    }
    this.segments = [];
  }

  /** The user's sub-vectors of a segment's blocks, concatenated in row order. */
  protected userRows(s: DimMajorSegment, vector: Float32Array): Float32Array {
    const { blockDim } = this.model.dims;
    const u = new Float32Array(s.blocks.length * blockDim);
    s.blocks.forEach((b, k) => u.set(vector.subarray(b * blockDim, (b + 1) * blockDim), k * blockDim));
    return u;
  }

  private build(selection: Selection, fresh: FreshBlock, old: readonly DimMajorSegment[], next: DimMajorSegment[]): void {
    const { blockDim } = this.model.dims;
    const groups = this.model.itemGroups;
    const weight = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
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
      const reuse = old.find((s) => sameList(s.itemGroups, p.itemGroups) && sameList(s.blocks, p.blocks) && keys.every((k) => s.weights.get(k) === weights.get(k)));
      if (reuse) {
        next.push(reuse);
        continue;
      }
      const matrix = tf.tidy(() => {
        const columns = p.itemGroups.map((g) => {
          const n = groups[g]!.count;
          const bands = p.blocks.map((b) => {
            const from = this.locate(old, g, b);
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
      next.push({ ...p, rows: p.blocks.length * blockDim, matrix, weights });
    }
  }

  private locate(segments: readonly DimMajorSegment[], itemGroup: number, block: number): { segment: DimMajorSegment; row: number; col: number } | undefined {
    const { blockDim } = this.model.dims;
    for (const segment of segments) {
      const gi = segment.itemGroups.indexOf(itemGroup);
      const bi = segment.blocks.indexOf(block);
      if (gi < 0 || bi < 0) continue;
      const col = this.model.itemGroups[itemGroup]!.start - segment.start;
      return { segment, row: bi * blockDim, col };
    }
    return undefined;
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
