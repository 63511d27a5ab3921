/**
 * The hand-written SIMD kernels (kernels.wat) with their data copied into the
 * module's memory once, as resident tensors would be.
 */
import { decodeBlock, encodeBlock } from '@peelrec/format';
import kernelBytes from './kernels.wat';
import type { GroupMatrix } from './onnx-graph.js';
import { TopKHeap, topKOf, type TopK } from './ts-loop.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  sum(ptr: number, bytes: number): number;
  rows(scores: number, matrix: number, n: number, rows: number, coef: number, init: number): void;
  fused(matrix: number, n: number, rows: number, coef: number, scratch: number, threshold: number, cand: number): number;
  fused16(matrix: number, n: number, rows: number, coef: number, scratch: number, threshold: number, cand: number): number;
}

async function instantiate(bytes: number): Promise<KernelExports> {
  const { instance } = await WebAssembly.instantiate(kernelBytes as Uint8Array<ArrayBuffer>);
  const ex = instance.exports as unknown as KernelExports;
  const pages = Math.ceil(bytes / 65536) + 1;
  ex.memory.grow(pages);
  return ex;
}

/** Streams `bytes` bytes (a multiple of 64) once with SIMD loads: the bandwidth bound. */
export class WasmStream {
  private constructor(
    private readonly ex: KernelExports,
    private readonly bytes: number,
  ) {}

  /** Copies `arrays` back to back into wasm memory (zero-padded to 64 bytes). */
  static async of(arrays: readonly Float32Array[]): Promise<WasmStream> {
    const total = arrays.reduce((n, a) => n + a.byteLength, 0);
    const bytes = Math.ceil(total / 64) * 64;
    const ex = await instantiate(bytes);
    const f = new Float32Array(ex.memory.buffer);
    let at = 0;
    for (const a of arrays) {
      f.set(a, at);
      at += a.length;
    }
    return new WasmStream(ex, bytes);
  }

  get byteLength(): number {
    return this.bytes;
  }

  run(): number {
    return this.ex.sum(0, this.bytes);
  }
}

/**
 * The fused-scoring prototype: one wasm call per item group writes the
 * weighted sum of its rows straight into a shared score buffer (no per-group
 * tensors, no concat, no readback), then top-k in JS on a view of it.
 */
export class WasmScorer {
  private constructor(
    private readonly ex: KernelExports,
    private readonly groups: readonly GroupMatrix[],
    private readonly layout: { scores: number; items: number; matrix: Int32Array; coef: Int32Array; start: Int32Array },
  ) {}

  static async of(groups: readonly GroupMatrix[]): Promise<WasmScorer> {
    for (const g of groups) if (g.dims.length % 4) throw new RangeError(`the prototype needs a multiple of 4 selected dims per group, got ${g.dims.length}`);
    const items = groups.reduce((n, g) => n + g.items, 0);
    const coefFloats = groups.reduce((n, g) => n + g.dims.length, 0);
    const matrixFloats = groups.reduce((n, g) => n + g.matrix.length, 0);
    const ex = await instantiate((items + coefFloats + matrixFloats) * 4 + 64);
    const f = new Float32Array(ex.memory.buffer);
    const matrix = new Int32Array(groups.length),
      coef = new Int32Array(groups.length),
      start = new Int32Array(groups.length);
    let at = items; // floats: scores first
    let s = 0;
    groups.forEach((g, i) => {
      start[i] = s;
      s += g.items;
      matrix[i] = at * 4;
      f.set(g.matrix, at);
      at += g.matrix.length;
      coef[i] = at * 4;
      at += g.dims.length;
    });
    return new WasmScorer(ex, groups, { scores: 0, items, matrix, coef, start });
  }

  score(user: ArrayLike<number>, k: number, exclude: ReadonlySet<number>): TopK {
    const f = new Float32Array(this.ex.memory.buffer);
    const { matrix, coef, start } = this.layout;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi]!;
      const c = coef[gi]! >> 2;
      for (let r = 0; r < g.dims.length; r++) f[c + r] = g.weights[r]! * user[g.dims[r]!]!;
      this.ex.rows(start[gi]! * 4, matrix[gi]!, g.items, g.dims.length, coef[gi]!, 1);
    }
    return topKOf(f.subarray(0, this.layout.items), k, exclude);
  }
}

const TILE = 1024;

/**
 * The fused prototype with the top-k folded in: one pass over each group's
 * matrix, scores kept in an L1-sized tile, and only scores above the current
 * k-th best leave wasm. No score buffer is written or read back at all.
 */
export class FusedScorer {
  private constructor(
    private readonly ex: KernelExports,
    private readonly groups: readonly GroupMatrix[],
    private readonly at: { matrix: Int32Array; coef: Int32Array; start: Int32Array; scratch: number; cand: number },
    private readonly kernel: 'fused' | 'fused16',
  ) {}

  /**
   * `f16`: keep the matrices as half-precision (encoded with the format's
   * `encodeBlock`, the bytes of the artifact's f16 files) and widen in the kernel.
   */
  static async of(groups: readonly GroupMatrix[], opts: { f16?: boolean } = {}): Promise<FusedScorer> {
    for (const g of groups) if (g.dims.length % 4) throw new RangeError(`the prototype needs a multiple of 4 selected dims per group, got ${g.dims.length}`);
    const bytesPer = opts.f16 ? 2 : 4;
    const maxItems = groups.reduce((n, g) => Math.max(n, g.items), 0);
    const matrixBytes = groups.reduce((n, g) => n + Math.ceil((g.matrix.length * bytesPer) / 4) * 4, 0);
    const floats = groups.reduce((n, g) => n + g.dims.length, 0) + TILE + 2 * maxItems;
    const ex = await instantiate(matrixBytes + floats * 4 + 64);
    const u8 = new Uint8Array(ex.memory.buffer);
    const f = new Float32Array(ex.memory.buffer);
    const matrix = new Int32Array(groups.length),
      coef = new Int32Array(groups.length),
      start = new Int32Array(groups.length);
    let at = 0; // bytes, kept 4-aligned
    let s = 0;
    groups.forEach((g, i) => {
      start[i] = s;
      s += g.items;
      matrix[i] = at;
      if (opts.f16) u8.set(encodeBlock(g.matrix, 'f16'), at);
      else f.set(g.matrix, at >> 2);
      at += Math.ceil((g.matrix.length * bytesPer) / 4) * 4;
      coef[i] = at;
      at += g.dims.length * 4;
    });
    const scratch = at;
    const cand = at + TILE * 4;
    return new FusedScorer(ex, groups, { matrix, coef, start, scratch, cand }, opts.f16 ? 'fused16' : 'fused');
  }

  /** The matrices as this scorer holds them, widened back to f32 (the f16 reference). */
  heldMatrices(): Float32Array[] {
    const buf = this.ex.memory.buffer;
    return this.groups.map((g, i) =>
      this.kernel === 'fused' ? new Float32Array(buf, this.at.matrix[i]!, g.matrix.length).slice() : decodeHalf(new Uint8Array(buf, this.at.matrix[i]!, g.matrix.length * 2)),
    );
  }

  score(user: ArrayLike<number>, k: number, exclude: ReadonlySet<number>): TopK {
    const buf = this.ex.memory.buffer;
    const f = new Float32Array(buf);
    const idx = new Int32Array(buf);
    const { matrix, coef, start, scratch, cand } = this.at;
    const kernel = this.ex[this.kernel];
    const heap = new TopKHeap(k);
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi]!;
      const c = coef[gi]! >> 2;
      for (let r = 0; r < g.dims.length; r++) f[c + r] = g.weights[r]! * user[g.dims[r]!]!;
      const threshold = heap.full ? heap.floor : -Infinity;
      const count = kernel(matrix[gi]!, g.items, g.dims.length, coef[gi]!, scratch, threshold, cand);
      const base = cand >> 2;
      for (let j = 0; j < count; j++) {
        const p = start[gi]! + idx[base + 2 * j]!;
        const sc = f[base + 2 * j + 1]!;
        if (heap.full && sc <= heap.floor) continue;
        if (exclude.has(p)) continue;
        heap.offer(sc, p);
      }
    }
    return heap.result();
  }
}

function decodeHalf(bytes: Uint8Array): Float32Array {
  return decodeBlock(bytes.slice(), 'f16');
}
