/**
 * Dim-major segments on the cpu backend, scored by the plain loop of js-scan.ts over the values tfjs-cpu
 * holds, instead of tfjs-cpu's matMul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DimMajorLayout } from './dim-major-layout.js';
import { JsScan } from './js-scan.js';
import type { ScoredPosition } from './reference.js';
import type { LayoutFactory } from './table-layout.js';

class JsScanLayout extends DimMajorLayout {
  private readonly scan = new JsScan();

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    // tfjs-cpu keeps float32 values in a Float32Array and readSync hands that array out without a copy.
    const backend = tf.backend();
    const withValues = this.segments.map((s) => ({ ...s, values: backend.readSync(s.matrix.dataId) as Float32Array }));
    return this.scan.top(
      withValues,
      this.segments.map((s) => this.userRows(s, vector)),
      k,
      exclude,
    );
  }
}

export const dimMajorJsScan: LayoutFactory = {
  name: 'dim-major-js-scan',
  kind: 'peel-blocks',
  residentDtype: 'f32',
  expects: (backend) => backend === 'cpu',
  open: async (model) => (tf.getBackend() === 'cpu' ? new JsScanLayout(model) : undefined),
};
