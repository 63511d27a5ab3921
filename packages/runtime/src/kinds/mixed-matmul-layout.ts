/**
 * A `mixed` table scored by tfjs ops (webgpu, and wasm without the kernel): each band of rows that keep the
 * same number of dimensions s is one float32 [s, rows in band] Tensor2D (f16 widened, so `residentDtype` is
 * 'f32'), scored by one matMul(user[0, s), band) per band, one concat, one `data()` readback, then the scores
 * are put at their rows' artifact positions and the reference heap top-k picks (ties by position). It runs on
 * every backend, so it is the kind's last registry entry, as dim-major-matmul is for peel-blocks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeMixedColumn, type TableSelection, type Variant } from '@peelrec/format';
import { topK, type ScoredPosition } from '../reference.js';
import type { KindLayout, KindLayoutFactory, KindModel, VariantBytes } from './kind-layout.js';
import { checkUserVector, type MixedBand, mixedParts, rowsOfPositions } from './variant-parts.js';

interface Held {
  readonly bands: readonly (MixedBand & { readonly matrix: tf.Tensor2D })[];
  readonly permutation: Uint16Array | Uint32Array | undefined;
}

class MixedMatMulLayout implements KindLayout {
  readonly residentDtype = 'f32';
  private held: Held | undefined;

  constructor(private readonly model: KindModel) {}

  get residentBytes(): number {
    if (!this.held) return 0;
    return this.held.bands.reduce((n, b) => n + b.matrix.size * 4, 0) + (this.held.permutation?.byteLength ?? 0);
  }

  apply(selection: TableSelection, variant: Variant, bytes: VariantBytes): void {
    const parts = mixedParts(this.model, selection, variant, bytes);
    const columns = parts.columns.map((b, r) => decodeMixedColumn(b, parts.counts[r]!, parts.dtype));
    const bands: Held['bands'][number][] = [];
    try {
      for (const band of parts.bands) {
        const n = band.hi - band.lo;
        const values = new Float32Array(band.size * n);
        for (let r = 0; r < band.size; r++) values.set(columns[r]!.subarray(band.lo, band.hi), r * n);
        bands.push({ ...band, matrix: tf.tensor2d(values, [band.size, n]) });
      }
    } catch (e) {
      for (const b of bands) b.matrix.dispose();
      throw e;
    }
    this.release();
    this.held = { bands, permutation: parts.permutation };
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    checkUserVector(this.model, vector);
    const held = this.held;
    if (!held) return [];
    const out = tf.tidy(() => {
      const parts = held.bands.map((b) => tf.matMul(tf.tensor2d(vector.subarray(0, b.size), [1, b.size]), b.matrix));
      return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    });
    let byRow: Float32Array;
    try {
      byRow = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    const order = held.permutation;
    if (!order) return topK(byRow, k, exclude);
    const byPosition = new Float32Array(byRow.length);
    for (let j = 0; j < byRow.length; j++) byPosition[order[j]!] = byRow[j]!;
    return topK(byPosition, k, exclude);
  }

  async itemVectors(positions: readonly number[]): Promise<Float32Array[]> {
    const out = positions.map(() => new Float32Array(this.model.dims.fullDim));
    const held = this.held;
    if (!held) return out;
    const rows = rowsOfPositions(positions, held.permutation, this.model.items.count);
    for (const band of held.bands) {
      const which = positions.map((_, i) => i).filter((i) => rows[i]! >= band.lo && rows[i]! < band.hi);
      if (!which.length) continue;
      const picked = tf.tidy(() =>
        tf.gather(
          band.matrix,
          tf.tensor1d(
            Int32Array.from(which, (i) => rows[i]! - band.lo),
            'int32',
          ),
          1,
        ),
      );
      let values: Float32Array;
      try {
        values = (await picked.data()) as Float32Array;
      } finally {
        picked.dispose();
      }
      which.forEach((i, c) => {
        for (let r = 0; r < band.size; r++) out[i]![r] = values[r * which.length + c]!;
      });
    }
    return out;
  }

  dispose(): void {
    this.release();
  }

  forget(): void {
    const held = this.held;
    this.held = undefined;
    for (const b of held?.bands ?? []) {
      try {
        b.matrix.dispose();
      } catch {
        // the device is gone; the engine may refuse to free what it cannot reach
      }
    }
  }

  private release(): void {
    const held = this.held;
    this.held = undefined;
    for (const b of held?.bands ?? []) b.matrix.dispose();
  }
}

export const mixedMatMul: KindLayoutFactory = {
  name: 'mixed-matmul',
  kind: 'mixed',
  residentDtype: 'f32',
  expects: () => true,
  open: async (model) => new MixedMatMulLayout(model),
};
