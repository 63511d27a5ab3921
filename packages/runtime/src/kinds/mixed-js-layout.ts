/**
 * The cpu backend's layout of a `mixed` table, in plain JS instead of tfjs-cpu's matMul: each kept column
 * widened to a Float32Array (`residentDtype` 'f32'), scored column by column into one reused accumulator (the
 * loop of js-scan.ts), then every row offered at its artifact position to a bounded heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeMixedColumn, type TableSelection, type Variant } from '@peelrec/format';
import type { ScoredPosition } from '../reference.js';
import { TopKHeap } from '../top-k.js';
import type { KindLayout, KindLayoutFactory, KindModel, VariantBytes } from './kind-layout.js';
import { checkUserVector, mixedParts, rowsOfPositions } from './variant-parts.js';

interface Held {
  /** Column r: dimension r of rows 0 … length − 1. */
  readonly columns: readonly Float32Array[];
  readonly permutation: Uint16Array | Uint32Array | undefined;
}

class MixedJsLayout implements KindLayout {
  readonly residentDtype = 'f32';
  private held: Held | undefined;
  private acc = new Float32Array(0);

  constructor(private readonly model: KindModel) {}

  get residentBytes(): number {
    if (!this.held) return 0;
    return this.held.columns.reduce((n, c) => n + c.byteLength, 0) + (this.held.permutation?.byteLength ?? 0);
  }

  apply(selection: TableSelection, variant: Variant, bytes: VariantBytes): void {
    const parts = mixedParts(this.model, selection, variant, bytes);
    const columns = parts.columns.map((b, r) => decodeMixedColumn(b, parts.counts[r]!, parts.dtype));
    this.held = { columns, permutation: parts.permutation };
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    checkUserVector(this.model, vector);
    const held = this.held;
    const rows = this.model.items.count;
    k = Math.min(k, rows);
    if (!held || !(k > 0)) return [];
    if (this.acc.length < rows) this.acc = new Float32Array(rows);
    const acc = this.acc;
    const [first, ...rest] = held.columns;
    const u0 = vector[0]!;
    for (let j = 0; j < rows; j++) acc[j] = u0 * first![j]!;
    rest.forEach((column, i) => {
      const u = vector[i + 1]!;
      if (u === 0) return;
      for (let j = 0; j < column.length; j++) acc[j]! += u * column[j]!;
    });
    const heap = new TopKHeap(k);
    const order = held.permutation;
    let threshold = heap.threshold;
    for (let j = 0; j < rows; j++) {
      const score = acc[j]!;
      if (!(score >= threshold)) continue;
      const position = order ? order[j]! : j;
      if (exclude.has(position)) continue;
      heap.offer(score, position);
      threshold = heap.threshold;
    }
    return heap.result();
  }

  async itemVectors(positions: readonly number[]): Promise<Float32Array[]> {
    const { fullDim } = this.model.dims;
    const out = positions.map(() => new Float32Array(fullDim));
    const held = this.held;
    if (!held) return out;
    rowsOfPositions(positions, held.permutation, this.model.items.count).forEach((j, i) => {
      if (j < 0) return;
      held.columns.forEach((column, r) => {
        if (j < column.length) out[i]![r] = column[j]!;
      });
    });
    return out;
  }

  dispose(): void {
    this.held = undefined;
    this.acc = new Float32Array(0);
  }

  forget(): void {
    this.dispose();
  }
}

export const mixedJsScan: KindLayoutFactory = {
  name: 'mixed-js-scan',
  kind: 'mixed',
  residentDtype: 'f32',
  expects: (backend) => backend === 'cpu',
  open: async (model) => (tf.getBackend() === 'cpu' ? new MixedJsLayout(model) : undefined),
};
