import { gemmModule } from './gemm-module.js';
import { SharedHeap, heapBytes } from './heap.js';

/** Arguments of one GEMM call. Pointers are byte offsets into the heap the kernel was bound to. */
export interface GemmCall {
  /** A: m×k (or k×m when transA), row-major with leading dimension lda (default: its row length). */
  a: number;
  b: number;
  c: number;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  lda?: number;
  /** B: k×n row-major, leading dimension ldb (default n). */
  ldb?: number;
  /** C: m×n row-major, leading dimension ldc (default n). */
  ldc?: number;
  /** Add to C instead of overwriting it. */
  accumulate?: boolean;
}

type GemmFn = (a: number, sai: number, sap: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, acc: number) => void;

/**
 * The WASM SIMD kernel bound to one SharedHeap, for use on the calling thread:
 * C (+)= op(A)·B with op(A) = A or Aᵀ. n must be a multiple of 8 (pad B and C; `matmul` does it for you).
 */
export class Gemm {
  private constructor(
    private readonly fn: GemmFn,
    readonly heap: SharedHeap,
  ) {}

  static async create(heap: SharedHeap): Promise<Gemm> {
    const instance = await WebAssembly.instantiate(await gemmModule(), { env: { memory: heap.memory } });
    return new Gemm(instance.exports.gemm as GemmFn, heap);
  }

  call(g: GemmCall): void {
    const { m, n, k } = g;
    if (n % 8 !== 0) throw new RangeError(`Gemm: n must be a multiple of 8, got ${n}`);
    const lda = g.lda ?? (g.transA ? m : k);
    const ldb = g.ldb ?? n;
    const ldc = g.ldc ?? n;
    const [sai, sap] = g.transA ? [1, lda] : [lda, 1];
    this.fn(g.a, sai, sap, g.b, ldb, g.c, ldc, m, n, k, g.accumulate ? 1 : 0);
  }
}

/**
 * C = op(A)·B on ordinary arrays (copied into a private heap; fine for one-off products, use Gemm on a
 * SharedHeap in loops). A is m×k (k×m when transA), B is k×n, both row-major; returns C, m×n row-major.
 */
export async function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, opts: { transA?: boolean } = {}): Promise<Float32Array> {
  if (a.length !== m * k) throw new RangeError(`matmul: A has ${a.length} elements, expected ${m}×${k}`);
  if (b.length !== k * n) throw new RangeError(`matmul: B has ${b.length} elements, expected ${k}×${n}`);
  const np = Math.ceil(n / 8) * 8;
  const heap = new SharedHeap(heapBytes([m * k, k * np, m * np]));
  const pa = heap.putF32(a);
  const pb = heap.alloc(k * np);
  const bv = heap.f32(pb, k * np);
  for (let p = 0; p < k; p++) bv.set(b.subarray(p * n, p * n + n), p * np);
  const pc = heap.alloc(m * np);
  const g = await Gemm.create(heap);
  g.call({ a: pa, b: pb, c: pc, m, n: np, k, transA: opts.transA, lda: opts.transA ? m : k, ldb: np, ldc: np });
  const cv = heap.f32(pc, m * np);
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) out.set(cv.subarray(i * np, i * np + n), i * n);
  return out;
}

/**
 * Inner-product scores of every row of `users` (nU×dim) against every row of `items` (nI×dim), both row-major:
 * returns nU×nI row-major scores. For repeated scoring keep a Gemm and an item table transposed to dim×nI.
 */
export function scoreMatrix(users: Float32Array, items: Float32Array, dim: number): Promise<Float32Array> {
  const nU = users.length / dim;
  const nI = items.length / dim;
  if (!Number.isInteger(nU) || !Number.isInteger(nI)) throw new RangeError(`scoreMatrix: table sizes are not multiples of dim ${dim}`);
  const itemsT = new Float32Array(dim * nI);
  for (let i = 0; i < nI; i++) for (let p = 0; p < dim; p++) itemsT[p * nI + i] = items[i * dim + p]!;
  return matmul(users, itemsT, nU, dim, nI);
}
