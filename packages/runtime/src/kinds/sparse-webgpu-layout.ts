/**
 * The webgpu backend's layout of a `sparse` table: the row counts and indices as stored, packed four to an
 * int32 tensor's word (one byte each), and the values widened to a float32 tensor (`residentDtype` 'f32'), so
 * resident bytes are align4(rows + nnz) + 4·nnz, what selection counts. Each request runs the two WGSL
 * programs of sparse-webgpu-programs.ts (chunk starts, then scores), reads the scores back once and takes the
 * reference heap top-k (ties by position). Correctness is checked on SwiftShader; speed is not measured.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeBlock, type TableSelection, type Variant } from '@peelrec/format';
import { topK, type ScoredPosition } from '../reference.js';
import type { KindLayout, KindLayoutFactory, KindModel, VariantBytes } from './kind-layout.js';
import { CHUNK, ChunkStartsProgram, SparseScoreProgram } from './sparse-webgpu-programs.js';
import { checkUserVector, sparseParts } from './variant-parts.js';
import { runProgram, runsPrograms } from '../webgpu-program.js';

interface Held {
  /** Row counts then indices, four bytes to a word. */
  readonly words: tf.Tensor1D;
  readonly values: tf.Tensor1D;
  readonly rows: number;
  readonly nnz: number;
}

class SparseWebGpuLayout implements KindLayout {
  readonly residentDtype = 'f32';
  private held: Held | undefined;

  constructor(private readonly model: KindModel) {}

  get residentBytes(): number {
    return this.held ? this.held.words.size * 4 + this.held.values.size * 4 : 0;
  }

  apply(selection: TableSelection, variant: Variant, bytes: VariantBytes): void {
    const { payload, rows, nnz, valuesOffset, dtype } = sparseParts(this.model, selection, variant, bytes);
    // A copy: aligned, and in the host's byte order, which WebGPU shares (little-endian everywhere it runs).
    const words = tf.tensor1d(new Int32Array(payload.slice(0, valuesOffset).buffer), 'int32');
    let values: tf.Tensor1D;
    try {
      values = tf.tensor1d(decodeBlock(payload.subarray(valuesOffset), dtype));
    } catch (e) {
      words.dispose();
      throw e;
    }
    this.release();
    this.held = { words, values, rows, nnz };
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    checkUserVector(this.model, vector);
    const held = this.held;
    if (!held) return [];
    // No entries: every score is 0 (and a zero-length buffer cannot be bound).
    if (held.nnz === 0) return topK(new Float32Array(held.rows), k, exclude);
    const scores = this.scores(held, vector);
    try {
      return topK((await scores.data()) as Float32Array, k, exclude);
    } finally {
      scores.dispose();
    }
  }

  async itemVectors(positions: readonly number[]): Promise<Float32Array[]> {
    const out = positions.map(() => new Float32Array(this.model.dims.fullDim));
    const held = this.held;
    if (!held || held.nnz === 0) return out;
    const { rows } = held;
    const counts = new Uint8Array(((await held.words.data()) as Int32Array).buffer);
    // Entry t of out[i] goes to dimension dims[t]; gathered from the values in one readback.
    const entries: number[] = [];
    const targets: { i: number; dim: number }[] = [];
    const wanted = new Set(positions);
    for (let p = 0, e = 0; p < rows; e += counts[p++]!) {
      if (!wanted.has(p)) continue;
      positions.forEach((q, i) => {
        if (q !== p) return;
        for (let t = e; t < e + counts[p]!; t++) {
          entries.push(t);
          targets.push({ i, dim: counts[rows + t]! });
        }
      });
    }
    if (!entries.length) return out;
    const picked = tf.tidy(() => tf.gather(held.values, tf.tensor1d(Int32Array.from(entries), 'int32')));
    try {
      const values = (await picked.data()) as Float32Array;
      targets.forEach(({ i, dim }, t) => (out[i]![dim] = values[t]!));
    } finally {
      picked.dispose();
    }
    return out;
  }

  dispose(): void {
    this.release();
  }

  forget(): void {
    const held = this.held;
    this.held = undefined;
    for (const t of held ? [held.words, held.values] : []) {
      try {
        t.dispose();
      } catch {
        // the device is gone; the engine may refuse to free what it cannot reach
      }
    }
  }

  /** The score of every row, by position: two programs, no readback between them. */
  private scores(held: Held, vector: Float32Array): tf.Tensor {
    const user = tf.tensor1d(vector);
    const starts = runProgram(new ChunkStartsProgram(Math.ceil(held.rows / CHUNK)), [held.words], 'int32', [held.rows]);
    try {
      return runProgram(new SparseScoreProgram(held.rows), [held.words, held.values, starts, user], 'float32', [held.rows]);
    } finally {
      starts.dispose();
      user.dispose();
    }
  }

  private release(): void {
    const held = this.held;
    this.held = undefined;
    held?.words.dispose();
    held?.values.dispose();
  }
}

export const sparseWebGpu: KindLayoutFactory = {
  name: 'sparse-webgpu',
  kind: 'sparse',
  residentDtype: 'f32',
  expects: (backend) => backend === 'webgpu',
  open: async (model) => (runsPrograms() ? new SparseWebGpuLayout(model) : undefined),
};
