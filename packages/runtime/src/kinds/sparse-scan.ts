/**
 * The `sparse` export of the scan kernel (kernel/sparse.wat, spliced into scan.wat): one pass over a CSR table
 * held in tfjs-backend-wasm's memory, as stored (u8 row counts, u8 indices, f32 or f16 values), that scores
 * every row and keeps the top-k in the kernel's heap, skipping excluded positions through its bitmap. Per
 * request JS writes the user's coefficients (fullDim floats) and the exclusion bits, makes one call and reads k
 * results, as wasm-scan.ts does for dense tables. Like WasmScan it relies on tfjs-backend-wasm 4.22.0's
 * internals and opens as undefined where they are missing.
 *
 * Measured at 100k items × 64 dims: 0.5–0.8 ns per stored entry when every row holds as many, 0.8–2 ns when
 * the counts vary (the end of each row is a mispredicted branch; the fewer entries a row, the more it weighs),
 * i.e. 3–12× the time the dense scan takes over the same bytes (issue 20).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ScoredPosition } from '../reference.js';
import { instantiateKernel, type KernelBuild } from '../wasm-scan.js';

interface WasmBackend {
  wasm: { asm: { memory: WebAssembly.Memory }; _malloc: (n: number) => number; _free: (p: number) => void };
  getMemoryOffset: (dataId: object) => number;
}

interface SparseExports {
  sparse(nnz: number, count: number, idx: number, vals: number, dtype: number, coef: number, heap: number, k: number, excl: number): void;
  size: WebAssembly.Global;
}

/** f16 coefficients carry 2^112 (the kernel widens a half to half × 2^-112); |user dim| must stay below this for them to stay finite in f32. */
const MAX_HALF_COEFFICIENT = 2 ** 14;

/** A sparse payload held at byte `base` of the backend's memory. */
export interface HeldSparse {
  readonly base: number;
  readonly rows: number;
  readonly nnz: number;
  /** Byte offset of the values from `base`. */
  readonly valuesOffset: number;
  readonly dtype: 'f32' | 'f16';
  /** A value is `scale` × the value held: 1, or 2^-10 for f16 values held lifted out of the subnormals (half.ts). */
  readonly scale: number;
}

export class SparseScan {
  /** Scratch in the backend's memory: coefficients, the heap, the exclusion bitmap (zero between calls). */
  private readonly scratch = { coef: 0, coefCap: 0, heap: 0, heapCap: 0, excl: 0, exclWords: 0 };

  private constructor(
    private readonly backend: WasmBackend,
    private readonly kernel: SparseExports,
  ) {}

  /** The kernel's `build` bound to the active tfjs-wasm backend, or undefined where it cannot run (see WasmScan.open). */
  static async open(build: KernelBuild): Promise<SparseScan | undefined> {
    const bound = await instantiateKernel(build);
    return bound && new SparseScan(bound.backend as WasmBackend, bound.exports as unknown as SparseExports);
  }

  /** Top-k (score descending, ties by position) of the held table for the user `vector` (fullDim), skipping `exclude` positions. */
  top(held: HeldSparse, vector: Float32Array, k: number, exclude: ReadonlySet<number>): ScoredPosition[] {
    k = Math.min(k, held.rows);
    if (!(k > 0)) return [];
    const { rows } = held;
    this.reserve(vector.length, k, rows);
    const s = this.scratch;
    const memory = this.backend.wasm.asm.memory;
    // Views after every allocation: growing the memory detaches old buffers.
    const f32 = new Float32Array(memory.buffer);
    const i32 = new Int32Array(memory.buffer);
    // f16: the coefficients carry 2^112 and the values' scale, times 2^-shift (exact) when the user vector is huge
    // (decided as if unlifted, so every product is the real number it is unlifted); scores come back × 2^shift.
    let shift = 0;
    if (held.dtype === 'f16') {
      let largest = 0;
      for (let d = 0; d < vector.length; d++) largest = Math.max(largest, Math.abs(vector[d]!));
      if (largest >= MAX_HALF_COEFFICIENT) shift = Math.ceil(Math.log2(largest / MAX_HALF_COEFFICIENT)) + 1;
    }
    const factor = held.dtype === 'f16' ? 2 ** (112 - shift) * held.scale : 1;
    for (let d = 0; d < vector.length; d++) f32[(s.coef >> 2) + d] = vector[d]! * factor;
    const excl = s.excl >> 2;
    const marked: number[] = [];
    for (const p of exclude) {
      if (!(Number.isInteger(p) && p >= 0 && p < rows)) continue;
      i32[excl + (p >>> 5)]! |= 1 << (p & 31);
      marked.push(p);
    }
    try {
      this.kernel.sparse(held.base, rows, held.base + rows, held.base + held.valuesOffset, held.dtype === 'f16' ? 1 : 0, s.coef, s.heap, k, s.excl);
    } finally {
      for (const p of marked) i32[excl + (p >>> 5)] = 0;
    }
    const size = this.kernel.size.value as number;
    const unscale = 2 ** shift;
    const out: ScoredPosition[] = [];
    for (let i = 0, h = s.heap >> 2; i < size; i++, h += 2) out.push({ position: i32[h + 1]!, score: f32[h]! * unscale });
    return out.sort((a, b) => b.score - a.score || a.position - b.position);
  }

  /** A view of the whole backend memory; take a fresh one after any allocation. */
  view(): ArrayBuffer {
    return this.backend.wasm.asm.memory.buffer;
  }

  /** Byte offset of a tensor's values in that memory. */
  offsetOf(tensor: tf.Tensor): number {
    return this.backend.getMemoryOffset(tensor.dataId);
  }

  dispose(): void {
    const s = this.scratch;
    for (const p of [s.coef, s.heap, s.excl]) if (p) this.backend.wasm._free(p);
    Object.assign(s, { coef: 0, coefCap: 0, heap: 0, heapCap: 0, excl: 0, exclWords: 0 });
  }

  /** Grows the scratch to `dims` coefficients, a heap of `k` and a bitmap of `items` bits (zeroed when new). */
  private reserve(dims: number, k: number, items: number): void {
    const { _malloc, _free } = this.backend.wasm;
    const s = this.scratch;
    if (dims > s.coefCap) {
      if (s.coef) _free(s.coef);
      s.coef = _malloc(dims * 4);
      s.coefCap = dims;
    }
    if (k > s.heapCap) {
      if (s.heap) _free(s.heap);
      s.heap = _malloc(k * 8);
      s.heapCap = k;
    }
    const words = Math.ceil(items / 32);
    if (words > s.exclWords) {
      if (s.excl) _free(s.excl);
      s.excl = _malloc(words * 4);
      s.exclWords = words;
      new Int32Array(this.backend.wasm.asm.memory.buffer, s.excl, words).fill(0);
    }
  }
}
