/**
 * Scores resident tfjs-wasm tensors in place with a fused WASM SIMD kernel
 * (src/kernel/scan.wat): one sequential pass over the embedding bytes that
 * computes each item's score and hands back only the items that reach the
 * current k-th best score, which a size-k heap here keeps.
 *
 * Why not tf.matMul: for a 1M-item catalog matMul writes 1M scores, `data()`
 * copies them out and a JS pass selects the top-k (three extra passes over
 * 4 MB), and XNNPACK keeps a packed copy of every weight matrix in wasm
 * memory. The kernel imports tfjs-backend-wasm's WebAssembly.Memory and reads
 * the tensors where tfjs keeps them, so the resident bytes stay the tensors
 * `tf.memory()` counts, with nothing beside them.
 *
 * The tensors must be in the packed layout (packed-layout.ts): with one SIMD
 * stream per row of a dim-major matrix, 128 rows ran at a seventh of the
 * bandwidth (the prefetchers follow only so many streams).
 *
 * This relies on tfjs-backend-wasm 4.22.0 internals (`backend.wasm.asm.memory`,
 * `getMemoryOffset`, `_malloc`/`_free`); {@link WasmScan.open} returns
 * undefined when they are missing or the kernel cannot be instantiated, and
 * the scorer keeps dim-major tensors and matMul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SCAN_WASM_BASE64 } from './kernel/scan-wasm.js';
import { TopKHeap } from './top-k.js';
import { TILE } from './packed-layout.js';

/** Candidate slots: the first pass emits every item until the heap fills, then a few. */
const CAPACITY = 2048;

interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown }; _malloc?: (n: number) => number; _free?: (p: number) => void };
  getMemoryOffset?: (dataId: object) => number;
}

interface ScanExports {
  scan(mat: number, rows: number, u: number, from: number, to: number, thr: number, out: number, cap: number, tmp: number): number;
  count: WebAssembly.Global;
}

/** One resident matrix of `rows` × `count` items in the packed layout (packed-layout.ts). */
export interface ScanSegment {
  readonly matrix: tf.Tensor;
  /** Block index of each band of `blockDim` rows, in row order: row r is user dimension blocks[r / blockDim] · blockDim + r mod blockDim. */
  readonly blocks: readonly number[];
  readonly rows: number;
  readonly count: number;
  /** Artifact position of item 0. */
  readonly start: number;
}

export class WasmScan {
  private uPtr = 0;
  private uCap = 0;
  private readonly outPtr: number;
  private readonly tmpPtr: number;

  private constructor(
    private readonly backend: Required<WasmBackendLike> & { wasm: { _malloc: (n: number) => number; _free: (p: number) => void } },
    private readonly memory: WebAssembly.Memory,
    private readonly kernel: ScanExports,
  ) {
    this.outPtr = backend.wasm._malloc(CAPACITY * 8);
    this.tmpPtr = backend.wasm._malloc(TILE * 4);
  }

  /** The kernel bound to the active tfjs-wasm backend, or undefined when that is not possible. */
  static async open(): Promise<WasmScan | undefined> {
    if (tf.getBackend() !== 'wasm') return undefined;
    const backend = tf.backend() as unknown as WasmBackendLike;
    const memory = backend.wasm?.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory) || typeof backend.getMemoryOffset !== 'function' || typeof backend.wasm?._malloc !== 'function' || typeof backend.wasm._free !== 'function') {
      return undefined;
    }
    try {
      const bytes = Uint8Array.from(atob(SCAN_WASM_BASE64), (c) => c.charCodeAt(0));
      const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
      return new WasmScan(backend as never, memory, instance.exports as unknown as ScanExports);
    } catch {
      return undefined; // no WASM SIMD, or a CSP without wasm-unsafe-eval
    }
  }

  /**
   * Top-k over the segments for the user `vector` (length fullDim), skipping
   * `exclude` positions. Each segment's user rows are written straight into
   * the kernel's scratch, so a request allocates almost nothing.
   */
  top(segments: readonly ScanSegment[], vector: Float32Array, blockDim: number, k: number, exclude: ReadonlySet<number>): { position: number; score: number }[] {
    const heap = new TopKHeap(k);
    if (k === 0) return heap.result();
    let rowsMax = 0;
    for (const seg of segments) rowsMax = Math.max(rowsMax, seg.rows);
    if (rowsMax > this.uCap) {
      if (this.uPtr) this.backend.wasm._free(this.uPtr);
      this.uPtr = this.backend.wasm._malloc(rowsMax * 4);
      this.uCap = rowsMax;
    }
    // Views after every allocation: growing the memory detaches old buffers.
    const f32 = new Float32Array(this.memory.buffer);
    const i32 = new Int32Array(this.memory.buffer);
    const u = this.uPtr >> 2;
    for (const seg of segments) {
      const { rows, count: n, start } = seg;
      if (rows === 0 || rows !== seg.blocks.length * blockDim || seg.matrix.size !== rows * n) throw new RangeError(`segment at ${start}: ${seg.blocks.length} blocks of ${blockDim} for a ${rows} × ${n} matrix of ${seg.matrix.size} values`);
      for (let j = 0; j < seg.blocks.length; j++) {
        const from = seg.blocks[j]! * blockDim;
        f32.set(vector.subarray(from, from + blockDim), u + j * blockDim);
      }
      const mat = this.offsetOf(seg.matrix);
      const end = n - (n % TILE);
      let next = 0;
      while (next < end) {
        next = this.kernel.scan(mat, rows, this.uPtr, next, end, heap.threshold, this.outPtr, CAPACITY, this.tmpPtr);
        const found = this.kernel.count.value as number;
        for (let c = 0, at = this.outPtr >> 2; c < found; c++, at += 2) {
          const position = start + i32[at]!;
          if (!exclude.has(position)) heap.offer(f32[at + 1]!, position);
        }
      }
      // The last n mod 32 items (stored dim-major after the tiles), in JS.
      const tail = n - end;
      const base = (mat >> 2) + end * rows;
      for (let i = 0; i < tail; i++) {
        let score = 0;
        for (let r = 0; r < rows; r++) score += f32[u + r]! * f32[base + r * tail + i]!;
        const position = start + end + i;
        if (!exclude.has(position)) heap.offer(Math.fround(score), position);
      }
    }
    return heap.result();
  }

  /** A view of the whole backend memory; take a fresh one after any allocation (growth detaches the old buffer). */
  view(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  /** Byte offset of a tensor's values in that memory. */
  offsetOf(tensor: tf.Tensor): number {
    return this.backend.getMemoryOffset(tensor.dataId);
  }

  dispose(): void {
    const { _free } = this.backend.wasm;
    if (this.uPtr) _free(this.uPtr);
    _free(this.outPtr);
    _free(this.tmpPtr);
    this.uPtr = 0;
    this.uCap = 0;
  }
}
