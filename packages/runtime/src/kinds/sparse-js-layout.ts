/**
 * The plain-JS layout of a `sparse` table (the cpu backend, and wherever nothing faster opens): the row counts
 * and indices as stored (one byte each), the values widened to a Float32Array (`residentDtype` 'f32'), scored
 * row by row in position order into a bounded heap. It needs no tfjs.
 */
import { decodeSparse, type TableSelection, type Variant } from '@peelrec/format';
import type { ScoredPosition } from '../reference.js';
import { TopKHeap } from '../top-k.js';
import type { KindLayout, KindLayoutFactory, KindModel, VariantBytes } from './kind-layout.js';
import { checkUserVector, sparseParts } from './variant-parts.js';

interface Held {
  /** `rows` row counts, then `nnz` indices. */
  readonly counts: Uint8Array;
  readonly values: Float32Array;
}

class SparseJsLayout implements KindLayout {
  readonly residentDtype = 'f32';
  private held: Held | undefined;

  constructor(private readonly model: KindModel) {}

  get residentBytes(): number {
    return this.held ? this.held.counts.byteLength + this.held.values.byteLength : 0;
  }

  apply(selection: TableSelection, variant: Variant, bytes: VariantBytes): void {
    const parts = sparseParts(this.model, selection, variant, bytes);
    const { values } = decodeSparse(parts.payload, parts.rows, parts.nnz, parts.dtype, this.model.dims.fullDim);
    this.held = { counts: parts.payload.slice(0, parts.rows + parts.nnz), values };
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    checkUserVector(this.model, vector);
    const held = this.held;
    const rows = this.model.items.count;
    k = Math.min(k, rows);
    if (!held || !(k > 0)) return [];
    const { counts, values } = held;
    const heap = new TopKHeap(k);
    let threshold = heap.threshold;
    for (let i = 0, e = 0; i < rows; i++) {
      let score = 0;
      for (const end = e + counts[i]!; e < end; e++) score += vector[counts[rows + e]!]! * values[e]!;
      if (!(score >= threshold) || exclude.has(i)) continue;
      heap.offer(score, i);
      threshold = heap.threshold;
    }
    return heap.result();
  }

  async itemVectors(positions: readonly number[]): Promise<Float32Array[]> {
    const { fullDim } = this.model.dims;
    const out = positions.map(() => new Float32Array(fullDim));
    if (!this.held) return out;
    const { counts, values } = this.held;
    const rows = this.model.items.count;
    const wanted = new Map<number, number[]>();
    positions.forEach((p, i) => Number.isInteger(p) && p >= 0 && p < rows && wanted.set(p, [...(wanted.get(p) ?? []), i]));
    for (let p = 0, e = 0; p < rows && wanted.size; e += counts[p++]!) {
      const at = wanted.get(p);
      if (!at) continue;
      for (const i of at) for (let t = e; t < e + counts[p]!; t++) out[i]![counts[rows + t]!] = values[t]!;
      wanted.delete(p);
    }
    return out;
  }

  dispose(): void {
    this.held = undefined;
  }

  forget(): void {
    this.dispose();
  }
}

export const sparseJsScan: KindLayoutFactory = {
  name: 'sparse-js-scan',
  kind: 'sparse',
  residentDtype: 'f32',
  // Plain JS: it runs on every backend, so it is the registry's last entry for the kind.
  expects: () => true,
  open: async (model) => new SparseJsLayout(model),
};
