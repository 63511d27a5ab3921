/**
 * Diagnostics that split the runtime's time in two, on the backend the
 * runtime is using: the tensor part (one untransposed matMul per item group,
 * concat, `await data()`), and the runtime's exported `topK` over the
 * resulting score array with the same exclusion set, next to a top-k that
 * compares with the current k-th score before it looks up the exclusions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { topK } from '@peelrec/runtime';
import type { GroupMatrix } from './onnx-graph.js';
import { topKOf } from './ts-loop.js';

export interface DiagImpl {
  readonly impl: string;
  readonly backend: string;
  readonly scores: false;
  readonly run: () => Promise<number> | number;
}

export async function tfjsDiagnostics(groups: readonly GroupMatrix[], user: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<{ impls: DiagImpl[]; dispose: () => void }> {
  // Weights folded into the matrices, as the runtime does.
  const mats = groups.map((g) => {
    const w = new Float32Array(g.matrix.length);
    for (let r = 0; r < g.dims.length; r++) for (let i = 0; i < g.items; i++) w[r * g.items + i] = g.matrix[r * g.items + i]! * g.weights[r]!;
    return tf.tensor2d(w, [g.dims.length, g.items]);
  });
  const tensorPart = async (): Promise<Float32Array> => {
    const out = tf.tidy(() => {
      const parts = groups.map((g, i) =>
        tf.matMul(
          tf.tensor2d(
            Float32Array.from(g.dims, (d) => user[d]!),
            [1, g.dims.length],
          ),
          mats[i]!,
        ),
      );
      return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  };
  const scores = await tensorPart();
  const backend = tf.getBackend();
  const batched = batchedPart(groups, user);
  return {
    impls: [
      { impl: 'diag-tfjs-matmul-readback', backend, scores: false, run: async () => (await tensorPart()).length },
      { impl: 'diag-runtime-topK', backend: 'js', scores: false, run: () => topK(scores, k, exclude).length },
      { impl: 'diag-floor-first-topK', backend: 'js', scores: false, run: () => topKOf(scores, k, exclude).positions.length },
      ...(batched ? [{ impl: 'diag-tfjs-batched-matmul-readback', backend, scores: false as const, run: batched.run }] : []),
    ],
    dispose: () => {
      mats.forEach((m) => m.dispose());
      batched?.dispose();
    },
  };
}

/**
 * When every item group selected the same number of dims (true at 100 % and
 * at the 1M/16 MiB point), all groups fit one batched matMul
 * [G, 1, d] × [G, d, nMax], columns zero-padded to the largest group
 * (groups differ by at most one item): one kernel call instead of G, no concat.
 */
function batchedPart(groups: readonly GroupMatrix[], user: Float32Array): { run: () => Promise<number>; dispose: () => void } | undefined {
  const d = groups[0]!.dims.length;
  if (groups.length < 2 || groups.some((g) => g.dims.length !== d)) return undefined;
  const nMax = Math.max(...groups.map((g) => g.items));
  const data = new Float32Array(groups.length * d * nMax);
  groups.forEach((g, gi) => {
    for (let r = 0; r < d; r++) {
      const row = g.matrix.subarray(r * g.items, (r + 1) * g.items);
      const dst = (gi * d + r) * nMax;
      for (let i = 0; i < g.items; i++) data[dst + i] = row[i]! * g.weights[r]!;
    }
  });
  const m = tf.tensor3d(data, [groups.length, d, nMax]);
  return {
    run: async () => {
      const out = tf.tidy(() => {
        const u = new Float32Array(groups.length * d);
        groups.forEach((g, gi) => g.dims.forEach((dim, r) => (u[gi * d + r] = user[dim]!)));
        return tf.matMul(tf.tensor3d(u, [groups.length, 1, d]), m);
      });
      try {
        return ((await out.data()) as Float32Array).length;
      } finally {
        out.dispose();
      }
    },
    dispose: () => m.dispose(),
  };
}
