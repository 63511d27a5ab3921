/**
 * The cpu backend's scorer: a plain loop over the values tfjs-cpu already
 * holds (read without a copy), then a threshold-guarded heap top-k. tfjs-cpu's
 * matMul of a [1, d] row with a [d, 1M] matrix is generic, untiled JS and
 * allocates its output per call; summing row by row into one reused buffer is
 * the same arithmetic in sequential streams.
 */
import { TopKHeap } from './top-k.js';

/** One dim-major [rows, count] matrix's values. */
export interface JsScanSegment {
  readonly values: Float32Array;
  readonly rows: number;
  readonly count: number;
  /** Artifact position of column 0. */
  readonly start: number;
}

export class JsScan {
  private acc = new Float32Array(0);

  /** Top-k over the segments for user rows `u[s]`, skipping `exclude` positions. */
  top(segments: readonly JsScanSegment[], u: readonly Float32Array[], k: number, exclude: ReadonlySet<number>): { position: number; score: number }[] {
    const heap = new TopKHeap(k);
    if (k === 0) return heap.result();
    segments.forEach((seg, s) => {
      const { values, rows, count: n, start } = seg;
      const row = u[s]!;
      if (row.length !== rows || values.length !== rows * n) throw new RangeError(`segment ${s}: ${row.length} user rows for a ${rows} × ${n} matrix of ${values.length} values`);
      if (this.acc.length < n) this.acc = new Float32Array(n);
      const acc = this.acc;
      const w0 = row[0]!;
      for (let i = 0; i < n; i++) acc[i] = w0 * values[i]!;
      for (let r = 1; r < rows; r++) {
        const w = row[r]!;
        if (w === 0) continue;
        const off = r * n;
        for (let i = 0; i < n; i++) acc[i]! += w * values[off + i]!;
      }
      let threshold = heap.threshold;
      for (let i = 0; i < n; i++) {
        const score = acc[i]!;
        if (!(score >= threshold) || exclude.has(start + i)) continue;
        heap.offer(score, start + i);
        threshold = heap.threshold;
      }
    });
    return heap.result();
  }
}
