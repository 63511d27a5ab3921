/**
 * One scan thread of the multithreaded-scan experiment (threads.ts, issue 26): the runtime's own scan kernel on a
 * memory of its own, holding one shard of a synthetic catalog in the runtime's packed layout. A worker told of a
 * helper (a MessagePort to another shard-worker) asks it for its shard's top-k, scans its own meanwhile, and merges.
 */
import { SCAN_WASM_RELAXED_BASE64 } from '../../packages/runtime/src/kernel/scan-wasm.js';
import { packInto } from '../../packages/runtime/src/packed-layout.js';
import kernelBytes from './impl/kernels.wat';

export interface ShardSpec {
  readonly dtype: 'f16' | 'i8';
  readonly rows: number;
  /** Position of the shard's first item, and its item count. */
  readonly start: number;
  readonly count: number;
  /** Items in the whole catalog (the exclusion bitmap covers them all). */
  readonly total: number;
  readonly maxK: number;
}

export type ShardRequest =
  | { readonly type: 'init'; readonly spec: ShardSpec }
  | { readonly type: 'helper'; readonly port: MessagePort }
  | { readonly type: 'serve'; readonly port: MessagePort }
  | { readonly type: 'score'; readonly id: number; readonly vector: Float32Array; readonly k: number }
  | { readonly type: 'bound'; readonly id: number };

export interface Scored {
  readonly position: number;
  readonly score: number;
}

export interface ShardReply {
  readonly id: number;
  readonly top: readonly Scored[];
  /** This thread's own scan, and how long it then waited for the helper's answer. */
  readonly scanMs: number;
  readonly waitMs: number;
}

interface Kernel {
  run(table: number, segments: number, user: number, scale: number, heap: number, k: number, excl: number, coef: number, tmp: number): void;
  size: WebAssembly.Global;
}

/** The value of element (row r, item i) of the catalog, whatever shard holds it: a hash of its global index. */
function hashed(i: number, r: number, rows: number): number {
  let h = Math.imul((i * rows + r) ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A half in [2^-5, 1) of either sign (no subnormals, as the runtime's packing would lift them), or an i8 in [-127, 127]. */
const elementOf = (dtype: ShardSpec['dtype'], h: number) => (dtype === 'f16' ? (h & 0x8000) | ((10 + (h % 5)) << 10) | ((h >>> 5) & 0x3ff) : (h % 255) - 127);

/** Bytes of a shard's matrix: 2 a value in f16, 1 in i8. */
const matrixBytesOf = (s: ShardSpec) => s.rows * s.count * (s.dtype === 'f16' ? 2 : 1);

interface Addresses {
  readonly table: number;
  readonly user: number;
  readonly coef: number;
  readonly heap: number;
  readonly excl: number;
  readonly tmp: number;
}

class Shard {
  private constructor(
    readonly spec: ShardSpec,
    private readonly kernel: Kernel,
    private readonly memory: WebAssembly.Memory,
    private readonly at: Addresses,
  ) {}

  static async open(spec: ShardSpec): Promise<Shard> {
    const { dtype, rows, start, count, total, maxK } = spec;
    const matrixBytes = matrixBytesOf(spec);
    // [matrix][table record][dims][weights][user][coef][heap][exclusions][tmp], 16-byte aligned.
    const align = (n: number) => Math.ceil(n / 16) * 16;
    let end = align(matrixBytes);
    const take = (bytes: number) => {
      const p = end;
      end = align(end + bytes);
      return p;
    };
    const table = take(32);
    const dims = take(rows * 4);
    const weights = take(rows * 4);
    const at: Addresses = { table, user: take(rows * 4), coef: take(rows * 4), heap: take(maxK * 8), excl: take(Math.ceil(total / 32) * 4), tmp: take(128) };
    const memory = new WebAssembly.Memory({ initial: Math.ceil(end / 65536) });
    // The shard in the runtime's packed layout, from its dim-major [rows][count] values.
    const logical = dtype === 'f16' ? new Uint16Array(rows * count) : new Int8Array(rows * count);
    for (let r = 0; r < rows; r++) for (let i = 0; i < count; i++) logical[r * count + i] = elementOf(dtype, hashed(start + i, r, rows));
    const packed = dtype === 'f16' ? new Uint16Array(memory.buffer, 0, rows * count) : new Int8Array(memory.buffer, 0, rows * count);
    packInto(packed, rows, count, 0, 0, logical, rows, count, { dtype });
    const i32 = new Int32Array(memory.buffer);
    i32.set([0, rows, count, start, dtype === 'f16' ? 1 : 2, dims, weights, 0], at.table >> 2);
    for (let r = 0; r < rows; r++) i32[(dims >> 2) + r] = r;
    new Float32Array(memory.buffer, weights, rows).fill(1);
    const module = await WebAssembly.compile(Uint8Array.from(atob(SCAN_WASM_RELAXED_BASE64), (c) => c.charCodeAt(0)));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new Shard(spec, instance.exports as unknown as Kernel, memory, at);
  }

  top(vector: Float32Array, k: number): Scored[] {
    new Float32Array(this.memory.buffer, this.at.user, this.spec.rows).set(vector.subarray(0, this.spec.rows));
    this.kernel.run(this.at.table, 1, this.at.user, 1, this.at.heap, k, this.at.excl, this.at.coef, this.at.tmp);
    const size = this.kernel.size.value as number;
    const f32 = new Float32Array(this.memory.buffer, this.at.heap, size * 2);
    const i32 = new Int32Array(this.memory.buffer, this.at.heap, size * 2);
    const out: Scored[] = [];
    for (let i = 0; i < size; i++) out.push({ position: i32[2 * i + 1]!, score: f32[2 * i]! });
    return out;
  }
}

/** Score descending, then position ascending: the runtime's tie order. */
export function merged(parts: readonly (readonly Scored[])[], k: number): Scored[] {
  return parts
    .flat()
    .sort((a, b) => b.score - a.score || a.position - b.position)
    .slice(0, k);
}

/**
 * The bandwidth bound of this shard: the bench's streaming sum (impl/kernels.wat) over as many bytes, in a memory
 * of its own, filled with a normal float (0x3f3f3f3f) so that no subnormal adds slow it (as impl/bound.ts).
 */
class Bound {
  private constructor(
    private readonly sum: (p: number, n: number) => number,
    private readonly bytes: number,
  ) {}

  static async open(bytes: number): Promise<Bound> {
    const { instance } = await WebAssembly.instantiate(kernelBytes as Uint8Array<ArrayBuffer>);
    const ex = instance.exports as { memory: WebAssembly.Memory; sum: (p: number, n: number) => number };
    const padded = Math.ceil(bytes / 64) * 64;
    ex.memory.grow(Math.ceil(padded / 65536));
    new Uint32Array(ex.memory.buffer, 0, padded / 4).fill(0x3f3f3f3f);
    return new Bound(ex.sum, padded);
  }

  run(): number {
    return this.sum(0, this.bytes);
  }
}

let shard: Shard | undefined;
let bound: Bound | undefined;
let helper: MessagePort | undefined;
const waiting = new Map<number, (top: readonly Scored[]) => void>();

function serve(port: MessagePort): void {
  port.onmessage = (e: MessageEvent<{ id: number; vector: Float32Array; k: number }>) => {
    port.postMessage({ id: e.data.id, top: shard!.top(e.data.vector, e.data.k) });
  };
}

self.onmessage = async (e: MessageEvent<ShardRequest>) => {
  const m = e.data;
  if (m.type === 'init') {
    const t = performance.now();
    shard = await Shard.open(m.spec);
    bound = await Bound.open(matrixBytesOf(m.spec));
    postMessage({ type: 'ready', ms: performance.now() - t });
  } else if (m.type === 'helper') {
    helper = m.port;
    helper.onmessage = (r: MessageEvent<{ id: number; top: readonly Scored[] }>) => waiting.get(r.data.id)?.(r.data.top);
    postMessage({ type: 'ready', ms: 0 });
  } else if (m.type === 'serve') {
    serve(m.port);
    postMessage({ type: 'ready', ms: 0 });
  } else if (m.type === 'bound') {
    const t0 = performance.now();
    const sum = bound!.run();
    postMessage({ id: m.id, top: [], scanMs: performance.now() - t0, waitMs: 0, sum });
  } else {
    // The helper's share is asked for first, so that both threads scan at once.
    const other = helper && new Promise<readonly Scored[]>((resolve) => waiting.set(m.id, resolve));
    helper?.postMessage({ id: m.id, vector: m.vector, k: m.k });
    const t0 = performance.now();
    const own = shard!.top(m.vector, m.k);
    const t1 = performance.now();
    const theirs = other ? await other : [];
    waiting.delete(m.id);
    const reply: ShardReply = { id: m.id, top: merged([own, theirs], m.k), scanMs: t1 - t0, waitMs: performance.now() - t1 };
    postMessage(reply);
  }
};
