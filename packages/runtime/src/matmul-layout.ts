/**
 * Dim-major segments scored by tfjs (webgpu, and wasm without the kernel): one untransposed
 * matMul(user[1, d], items[d, n]) per segment, one concat, one `data()` readback and a heap top-k in JS.
 * It runs on every backend, so it is the registry's last entry.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DimMajorLayout } from './dim-major-layout.js';
import { topK, type ScoredPosition } from './reference.js';
import type { LayoutFactory } from './table-layout.js';

class MatMulLayout extends DimMajorLayout {
  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    return topK(await this.scores(vector), k, exclude);
  }

  /** Scores of every item by position, for a user vector of length fullDim. */
  private async scores(vector: Float32Array): Promise<Float32Array> {
    const out = tf.tidy(() => {
      const parts = this.segments.map((s) => {
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
}

export const dimMajorMatMul: LayoutFactory = {
  name: 'dim-major-matmul',
  kind: 'peel-blocks',
  residentDtype: 'f32',
  expects: () => true,
  open: async (model) => new MatMulLayout(model),
};
