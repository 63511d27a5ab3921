/**
 * WGSL programs (run through tfjs-backend-webgpu's `runWebGPUProgram`) that score a `sparse` table held as
 * stored: its row counts and u8 indices packed four to an i32 word (so they cost one byte each, as counted),
 * its values as f32. A thread scores a chunk of CHUNK consecutive rows; where its first entry starts is the sum
 * of every earlier row count, which {@link ChunkStartsProgram} computes per request (one workgroup, one read of
 * the row counts) rather than holding a row-pointer table the budget does not count.
 * The program interface is tfjs-backend-webgpu's (webgpu-program.ts); the registry falls back to the plain-JS
 * layout where it cannot run.
 */

import type { WebGpuProgram } from '../webgpu-program.js';

/** Rows a scoring thread walks. */
export const CHUNK = 32;
/** Threads of the one workgroup of {@link ChunkStartsProgram}. */
const THREADS = 256;

/** The byte `i` of the packed words (counts, then indices), as a WGSL function. */
const BYTE_AT = `
  fn byteAt(i : i32) -> i32 {
    return (words[i >> 2u] >> (u32(i & 3) * 8u)) & 255;
  }`;

/**
 * Output int32 [chunks]: the index of the first entry of each chunk of CHUNK rows (an exclusive prefix sum of
 * the row counts). Input `words`: the packed counts and indices; uniform `rows`.
 */
export class ChunkStartsProgram implements WebGpuProgram {
  readonly variableNames = ['words'];
  readonly outputShape: number[];
  readonly shaderKey = 'peelrecSparseChunkStarts';
  readonly dispatchLayout = { x: [0] };
  dispatch: [number, number, number] = [1, 1, 1];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly uniforms = 'rows : i32,';

  constructor(chunks: number) {
    this.outputShape = [chunks];
  }

  getUserCode(): string {
    return `
  var<workgroup> partial : array<i32, ${THREADS}>;
  ${BYTE_AT}
  fn main(index : i32) {
    let t = i32(localIndex);
    let chunks = uniforms.outShape;
    let per = (chunks + ${THREADS - 1}) / ${THREADS};
    let c0 = min(t * per, chunks);
    let c1 = min(c0 + per, chunks);
    let r1 = min(c1 * ${CHUNK}, uniforms.rows);
    var total = 0;
    for (var r = c0 * ${CHUNK}; r < r1; r++) {
      total += byteAt(r);
    }
    partial[t] = total;
    workgroupBarrier();
    if (t == 0) {
      var run = 0;
      for (var i = 0; i < ${THREADS}; i++) {
        let s = partial[i];
        partial[i] = run;
        run += s;
      }
    }
    workgroupBarrier();
    var start = partial[t];
    for (var c = c0; c < c1; c++) {
      result[c] = start;
      let end = min((c + 1) * ${CHUNK}, uniforms.rows);
      for (var r = c * ${CHUNK}; r < end; r++) {
        start += byteAt(r);
      }
    }
  }`;
  }
}

/**
 * Output float32 [rows]: every row's score Σ user[index] · value over its entries. Inputs: `words` (packed
 * counts and indices), `values` (f32, nnz), `starts` ({@link ChunkStartsProgram}'s output), `user` (f32,
 * fullDim); uniform `rows`. One thread per chunk of CHUNK rows.
 */
export class SparseScoreProgram implements WebGpuProgram {
  readonly variableNames = ['words', 'values', 'starts', 'user'];
  readonly outputShape: number[];
  readonly shaderKey = 'peelrecSparseScore';
  readonly dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly uniforms = 'rows : i32,';

  constructor(rows: number) {
    this.outputShape = [rows];
    this.dispatch = [Math.ceil(Math.ceil(rows / CHUNK) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
  ${BYTE_AT}
  fn main(index : i32) {
    if (index >= uniforms.startsShape) {
      return;
    }
    var e = starts[index];
    let end = min((index + 1) * ${CHUNK}, uniforms.rows);
    for (var r = index * ${CHUNK}; r < end; r++) {
      let n = byteAt(r);
      var acc = 0.0;
      for (var t = 0; t < n; t++) {
        acc += user[byteAt(uniforms.rows + e + t)] * values[e + t];
      }
      e += n;
      setOutputAtIndex(r, acc);
    }
  }`;
  }
}
