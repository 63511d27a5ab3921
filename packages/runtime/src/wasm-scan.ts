/**
 * Scores resident tfjs-wasm tensors in place with the fused WASM SIMD kernel
 * of src/kernel/scan.wat: one sequential pass over the embedding bytes that
 * computes every item's score and keeps the top-k in a heap in wasm memory,
 * skipping excluded items there. Per request JS writes the user vector and the
 * exclusion bits, makes one call and reads k results: it touches no score
 * array and no candidate list, however large the catalog. The segments' table
 * (tensor offsets, each row's user dim and block weight) is written once per
 * selection ({@link WasmScan.plan}).
 *
 * Why not tf.matMul: for a 1M-item catalog matMul writes 1M scores, `data()`
 * copies them out and a JS pass selects the top-k (three extra passes over
 * 4 MB), and XNNPACK keeps a packed copy of every weight matrix in wasm
 * memory. The kernel imports tfjs-backend-wasm's WebAssembly.Memory and reads
 * the tensors where tfjs keeps them, so the resident bytes stay the tensors
 * `tf.memory()` counts, with nothing beside them but the plan and a little
 * scratch (the user vector, coefficients, the heap, an exclusion bitmap of one
 * bit per item: 125 KiB for a million items).
 *
 * Tensors are in the packed layout (packed-layout.ts), unweighted: f32
 * matrices as float32 tensors, f16 ones as the half-precision bit patterns in
 * a 'bool' tensor (tfjs's only one-byte dtype, used as a byte buffer: it is
 * never an operand of a tfjs op), so an f16 block costs 2 bytes per value
 * resident and is widened to f32 in registers; i8 ones as their int8 values in
 * a 'bool' tensor (1 byte per value, its sign bit flipped; each block's scale
 * rides in its rows' weights), scored with integer dot products (scan.wat,
 * i8-scores.ts).
 *
 * This relies on tfjs-backend-wasm 4.22.0 internals (`backend.wasm.asm.memory`,
 * `getMemoryOffset`, `_malloc`/`_free`); {@link WasmScan.open} returns
 * undefined when they are missing or the kernel cannot be instantiated, and
 * the layout registry (layouts.ts) moves on to dim-major f32 tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dtype } from '@peelrec/format';
import { SCAN_WASM_RELAXED_BASE64, SCAN_WASM_SIMD_BASE64 } from './kernel/scan-wasm.js';
import type { ScoredPosition } from './reference.js';

export interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown }; _malloc?: (n: number) => number; _free?: (p: number) => void };
  getMemoryOffset?: (dataId: object) => number;
}

interface ScanExports {
  run(table: number, segments: number, user: number, scale: number, heap: number, k: number, excl: number, coef: number, tmp: number): void;
  size: WebAssembly.Global;
}

/** Coefficients of f16 rows carry 2^112 inside the kernel; |weight · user dim| must stay below this for them to stay finite in f32. */
const MAX_HALF_COEFFICIENT = 2 ** 14;
/** Bytes per segment record of the kernel's table (see scan.wat). */
const RECORD = 32;
/** Bytes per value and the kernel's dtype code of each dtype (see scan.wat). */
const BYTES: Record<Dtype, number> = { f32: 4, f16: 2, i8: 1 };
const CODE: Record<Dtype, number> = { f32: 0, f16: 1, i8: 2 };

/** One resident item-group matrix of `rows` × `count` items in the packed layout. */
export interface ScanSegment {
  readonly matrix: tf.Tensor;
  /** 'f32': float32 values; 'f16': half-precision bit patterns (a 'bool' tensor of 2·rows·count bytes); 'i8': int8 values (a 'bool' tensor of rows·count bytes). */
  readonly dtype: Dtype;
  readonly rows: number;
  readonly count: number;
  /** Artifact position of item 0. */
  readonly start: number;
  /** The user dim each row multiplies. */
  readonly dims: Int32Array;
  /** The controller weight of each row's block (scores are Σ weight · ⟨u_b, v_b⟩); an i8 row's carries its block's scale too (i8RowWeight). */
  readonly rowWeights: Float32Array;
}

export type KernelBuild = 'relaxed-simd' | 'simd';

const BUILDS: Record<KernelBuild, string> = { 'relaxed-simd': SCAN_WASM_RELAXED_BASE64, simd: SCAN_WASM_SIMD_BASE64 };

let simd: boolean | undefined;

/** What a kernel instance is bound to: tfjs-wasm's backend, its memory, and the instance's exports. */
export interface BoundKernel {
  readonly backend: WasmBackendLike;
  readonly memory: WebAssembly.Memory;
  readonly exports: WebAssembly.Exports;
}

/**
 * The kernel's `build` instantiated on the active tfjs-wasm backend's memory (the dense scan and the sparse
 * scan of kinds/sparse-scan.ts are exports of the same module), or undefined where it cannot run: another
 * backend, tfjs-wasm's internals missing, an engine without that build's (relaxed) SIMD, or a CSP without
 * wasm-unsafe-eval.
 */
export async function instantiateKernel(build: KernelBuild): Promise<BoundKernel | undefined> {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || typeof backend.getMemoryOffset !== 'function' || typeof backend.wasm?._malloc !== 'function' || typeof backend.wasm._free !== 'function') {
    return undefined;
  }
  try {
    const instance = await WebAssembly.instantiate(await compileKernel(build), { env: { memory } });
    return { backend, memory, exports: instance.exports };
  } catch {
    return undefined;
  }
}

/** Each build's compiled module, once per page: every recommender (and layout) only instantiates it on its own memory. */
const compiled = new Map<KernelBuild, Promise<WebAssembly.Module>>();

/**
 * The kernel's `build`, compiled on first use and shared by every later instantiation (a module holds code, no
 * state; memory and scratch belong to each instance). A failed compile (an engine without the build's SIMD, a CSP
 * without wasm-unsafe-eval) is not kept: the next open tries again and fails as cheaply.
 */
export function compileKernel(build: KernelBuild): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = WebAssembly.compile(Uint8Array.from(atob(BUILDS[build]), (c) => c.charCodeAt(0)));
    compiled.set(build, module);
    module.catch(() => compiled.delete(build));
  }
  return module;
}

/**
 * The segments as the kernel reads them (a table in wasm memory, built once
 * per selection): each request then only writes the user vector and the
 * exclusions. Valid while its segments' tensors live; free it with
 * {@link WasmScan.release}.
 */
export interface ScanPlan {
  readonly ptr: number;
  readonly segments: number;
  readonly maxRows: number;
  /** Positions [0, items) the segments cover (the exclusion bitmap's size). */
  readonly items: number;
  /** The largest weight of an f16 row (0 without f16 segments): bounds |coefficient| / max |user dim|. */
  readonly maxHalfWeight: number;
}

export class WasmScan {
  private coefPtr = 0;
  private coefCap = 0;
  private userPtr = 0;
  private userCap = 0;
  private heapPtr = 0;
  private heapCap = 0;
  private exclPtr = 0;
  private exclWords = 0;
  private readonly tmpPtr: number;

  private constructor(
    private readonly backend: Required<WasmBackendLike> & { wasm: { _malloc: (n: number) => number; _free: (p: number) => void } },
    private readonly memory: WebAssembly.Memory,
    private readonly kernel: ScanExports,
    /** Which build of the kernel runs. */
    readonly build: KernelBuild,
  ) {
    this.tmpPtr = backend.wasm._malloc(128);
  }

  /** Whether this engine can compile the kernel (WASM SIMD), without instantiating it. */
  static supported(): boolean {
    simd ??= typeof WebAssembly === 'object' && WebAssembly.validate(Uint8Array.from(atob(SCAN_WASM_SIMD_BASE64), (c) => c.charCodeAt(0)));
    return simd;
  }

  /** The kernel's `build` bound to the active tfjs-wasm backend, or undefined where it cannot run (instantiateKernel). */
  static async open(build: KernelBuild): Promise<WasmScan | undefined> {
    const bound = await instantiateKernel(build);
    return bound && new WasmScan(bound.backend as never, bound.memory, bound.exports as unknown as ScanExports, build);
  }

  /**
   * Writes the kernel's table for `segments` (in increasing, non-overlapping
   * position order within [0, items)).
   */
  plan(segments: readonly ScanSegment[], items: number): ScanPlan {
    let rows = 0;
    let maxRows = 0;
    let maxHalfWeight = 0;
    let last = 0;
    for (const seg of segments) {
      const bytes = BYTES[seg.dtype];
      if (seg.rows < 1 || seg.dims.length !== seg.rows || seg.rowWeights.length !== seg.rows || seg.matrix.size * (seg.matrix.dtype === 'bool' ? 1 : 4) !== seg.rows * seg.count * bytes) {
        throw new RangeError(
          `segment at ${seg.start}: ${seg.rows} rows × ${seg.count} ${seg.dtype} items, ${seg.dims.length} dims, ${seg.rowWeights.length} weights, a ${seg.matrix.dtype} tensor of ${seg.matrix.size}`,
        );
      }
      if (seg.start < last || seg.start + seg.count > items) throw new RangeError(`segments must be in increasing, non-overlapping position order within [0, ${items})`);
      last = seg.start + seg.count;
      rows += seg.rows;
      maxRows = Math.max(maxRows, seg.rows);
      if (seg.dtype === 'f16') for (const w of seg.rowWeights) maxHalfWeight = Math.max(maxHalfWeight, Math.abs(w));
    }
    const ptr = this.backend.wasm._malloc(segments.length * RECORD + rows * 8);
    const i32 = new Int32Array(this.memory.buffer);
    const f32 = new Float32Array(this.memory.buffer);
    let at = (ptr >> 2) + (segments.length * RECORD) / 4; // dims and weights after the records
    segments.forEach((seg, s) => {
      const rec = (ptr + s * RECORD) >> 2;
      i32.set([this.offsetOf(seg.matrix), seg.rows, seg.count, seg.start, CODE[seg.dtype], at * 4, (at + seg.rows) * 4, 0], rec);
      i32.set(seg.dims, at);
      f32.set(seg.rowWeights, at + seg.rows);
      at += 2 * seg.rows;
    });
    return { ptr, segments: segments.length, maxRows, items, maxHalfWeight };
  }

  /** Frees a plan's table (its segments' tensors are the scorer's). */
  release(plan: ScanPlan): void {
    this.backend.wasm._free(plan.ptr);
  }

  /**
   * Top-k (score descending, ties by position) over a plan's segments for the
   * user `vector` (length fullDim), skipping `exclude` positions.
   */
  top(plan: ScanPlan, vector: Float32Array, k: number, exclude: ReadonlySet<number>): ScoredPosition[] {
    if (k === 0 || plan.segments === 0) return [];
    const { items } = plan;
    this.reserve(plan.maxRows, k, items, vector.length);
    // Views after every allocation: growing the memory detaches old buffers.
    const f32 = new Float32Array(this.memory.buffer);
    const i32 = new Int32Array(this.memory.buffer);
    f32.set(vector, this.userPtr >> 2);
    // A huge user vector: scale every coefficient by 2^-shift (exact) so that the f16 ones stay finite; scores come back × 2^shift.
    let largest = 0;
    if (plan.maxHalfWeight > 0) for (let i = 0; i < vector.length; i++) largest = Math.max(largest, Math.abs(vector[i]!));
    largest *= plan.maxHalfWeight;
    const shift = largest >= MAX_HALF_COEFFICIENT ? Math.ceil(Math.log2(largest / MAX_HALF_COEFFICIENT)) + 1 : 0;
    const excl = this.exclPtr >> 2;
    const marked: number[] = [];
    for (const p of exclude) {
      if (!(Number.isInteger(p) && p >= 0 && p < items)) continue;
      i32[excl + (p >>> 5)]! |= 1 << (p & 31);
      marked.push(p);
    }
    try {
      this.kernel.run(plan.ptr, plan.segments, this.userPtr, 2 ** -shift, this.heapPtr, k, this.exclPtr, this.coefPtr, this.tmpPtr);
    } finally {
      for (const p of marked) i32[excl + (p >>> 5)] = 0;
    }
    const size = this.kernel.size.value as number;
    const unscale = 2 ** shift;
    const out: ScoredPosition[] = [];
    for (let i = 0, h = this.heapPtr >> 2; i < size; i++, h += 2) out.push({ position: i32[h + 1]!, score: f32[h]! * unscale });
    return out.sort((a, b) => b.score - a.score || a.position - b.position);
  }

  /** A view of the whole backend memory; take a fresh one after any allocation (growth detaches the old buffer). */
  view(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Byte offset of a tensor's values in that memory. */
  offsetOf(tensor: tf.Tensor): number {
    return this.backend.getMemoryOffset(tensor.dataId);
  }

  dispose(): void {
    const { _free } = this.backend.wasm;
    for (const p of [this.coefPtr, this.userPtr, this.heapPtr, this.exclPtr]) if (p) _free(p);
    _free(this.tmpPtr);
    this.coefPtr = this.userPtr = this.heapPtr = this.exclPtr = 0;
    this.coefCap = this.userCap = this.heapCap = this.exclWords = 0;
  }

  /** Grows the scratch to `rows` coefficients, a heap of `k`, a bitmap of `items` bits (zeroed when new) and a user vector of `dims`. */
  private reserve(rows: number, k: number, items: number, dims: number): void {
    const { _malloc, _free } = this.backend.wasm;
    if (rows > this.coefCap) {
      if (this.coefPtr) _free(this.coefPtr);
      this.coefPtr = _malloc(rows * 4);
      this.coefCap = rows;
    }
    if (dims > this.userCap) {
      if (this.userPtr) _free(this.userPtr);
      this.userPtr = _malloc(dims * 4);
      this.userCap = dims;
    }
    if (k > this.heapCap) {
      if (this.heapPtr) _free(this.heapPtr);
      this.heapPtr = _malloc(k * 8);
      this.heapCap = k;
    }
    const words = Math.ceil(items / 32);
    if (words > this.exclWords) {
      if (this.exclPtr) _free(this.exclPtr);
      this.exclPtr = _malloc(words * 4);
      this.exclWords = words;
      new Int32Array(this.memory.buffer, this.exclPtr, words).fill(0);
    }
  }
}
