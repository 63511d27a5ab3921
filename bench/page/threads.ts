/**
 * Does a multithreaded scan pay (issue 26)? The runtime's scan kernel over a synthetic catalog, scored from the
 * page through a worker as the runtime's scoring worker is: by one thread holding the whole catalog, and by two
 * holding half each (the worker asks a helper for the second half's top-k over a MessagePort, scans its own half
 * meanwhile, and merges). The two are timed interleaved, from the page, messages included.
 */
import { median } from '../src/spread.js';
import { summarise, type Timing } from './common.js';
import type { Scored, ShardReply, ShardRequest, ShardSpec } from './shard-worker.js';

export interface ThreadsCase {
  readonly label: string;
  readonly dtype: ShardSpec['dtype'];
  readonly rows: number;
  readonly items: number;
  readonly k: number;
  /** Timed calls per configuration, in rounds of 10 alternating between them. */
  readonly calls: number;
  /**
   * 'warm': calls back to back, the catalog staying in the last-level cache between them; 'cold': the page sweeps
   * EVICT_BYTES of its own before each call (untimed), as other work between an app's requests would.
   */
  readonly cache: 'warm' | 'cold';
}

/** What a 'cold' call is preceded by: more than this machine's effective last-level cache holds. */
const EVICT_BYTES = 128 * 1024 * 1024;
let sweep: Float64Array | undefined;
let sink = 0;

/** Reads every cache line of a buffer far larger than the catalog, so that the next call finds it in memory. */
function evict(): void {
  sweep ??= new Float64Array(EVICT_BYTES / 8).fill(1);
  let s = 0;
  for (let i = 0; i < sweep.length; i += 8) s += sweep[i]!;
  sink += s;
}

export interface ThreadsRow extends ThreadsCase {
  readonly residentBytes: number;
  readonly one: Timing;
  readonly two: Timing;
  /** Two threads' p50 ÷ one thread's: below 1, the second thread pays. */
  readonly ratio: number;
  /** The bandwidth bound: one thread streaming as many bytes, timed inside its worker (p50), and the runtime's kernel ÷ it, inside the worker too. */
  readonly boundMs: number;
  readonly scanOverBound: number;
  /** Median of the coordinating thread's own scan, and of its wait for the helper afterwards, with two threads. */
  readonly twoScanMs: number;
  readonly twoWaitMs: number;
  readonly oneScanMs: number;
  /** Whether both configurations returned the same top-k (positions and scores) for every timed call. */
  readonly sameTop: boolean;
  readonly loadMs: { readonly one: number; readonly two: number };
  /** The sweep's sum (read, so that its loads are not optimised away). */
  readonly swept: number;
}

function spawn(): Worker {
  return new Worker(new URL('./shard-worker.ts', import.meta.url), { type: 'module' });
}

/** Sends `m` and resolves with the worker's next message. */
function ask<T>(w: Worker, m: ShardRequest, transfer: Transferable[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    w.onmessage = (e: MessageEvent<T>) => resolve(e.data);
    w.onerror = (e) => reject(new Error(`shard worker: ${e.message}`));
    w.postMessage(m, transfer);
  });
}

/** Deterministic user vectors (a different one per call). */
function vectors(n: number, rows: number): Float32Array[] {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: n }, () => Float32Array.from({ length: rows }, next));
}

const same = (a: readonly Scored[], b: readonly Scored[]) => a.length === b.length && a.every((x, i) => x.position === b[i]!.position && x.score === b[i]!.score);

export async function runThreadsCase(c: ThreadsCase): Promise<ThreadsRow> {
  const spec = (start: number, count: number): ShardSpec => ({ dtype: c.dtype, rows: c.rows, start, count, total: c.items, maxK: c.k });
  const half = Math.ceil(c.items / 2 / 32) * 32; // whole tiles in the first shard
  const one = spawn();
  const [a, b] = [spawn(), spawn()];
  try {
    const loadOne = (await ask<{ ms: number }>(one, { type: 'init', spec: spec(0, c.items) })).ms;
    const [la, lb] = await Promise.all([ask<{ ms: number }>(a, { type: 'init', spec: spec(0, half) }), ask<{ ms: number }>(b, { type: 'init', spec: spec(half, c.items - half) })]);
    const channel = new MessageChannel();
    await ask(a, { type: 'helper', port: channel.port1 }, [channel.port1]);
    await ask(b, { type: 'serve', port: channel.port2 }, [channel.port2]);
    const users = vectors(c.calls, c.rows);
    let id = 0;
    const call = async (w: Worker, vector: Float32Array) => {
      if (c.cache === 'cold') evict();
      const t = performance.now();
      const reply = await ask<ShardReply>(w, { type: 'score', id: id++, vector, k: c.k });
      return { ms: performance.now() - t, reply };
    };
    for (let i = 0; i < 20; i++) {
      await call(one, users[i % users.length]!);
      await call(a, users[i % users.length]!);
    }
    const times = { one: [] as number[], two: [] as number[] };
    const scans = { one: [] as number[], two: [] as number[], wait: [] as number[], bound: [] as number[] };
    const tops: { one: (readonly Scored[])[]; two: (readonly Scored[])[] } = { one: [], two: [] };
    for (let round = 0; round < c.calls / 10; round++) {
      // Alternate which goes first, so neither always follows the other.
      const order = round % 2 ? (['two', 'one'] as const) : (['one', 'two'] as const);
      for (const which of order) {
        for (let i = round * 10; i < round * 10 + 10; i++) {
          const { ms, reply } = await call(which === 'one' ? one : a, users[i]!);
          times[which].push(ms);
          scans[which].push(reply.scanMs);
          if (which === 'two') scans.wait.push(reply.waitMs);
          tops[which][i] = reply.top;
        }
      }
    }
    // The bound in a series of its own after the scans (interleaved, its bytes would evict theirs in the warm case).
    for (let i = 0; i < 10 + c.calls; i++) {
      if (c.cache === 'cold') evict();
      const { scanMs } = await ask<ShardReply>(one, { type: 'bound', id: id++ });
      if (i >= 10) scans.bound.push(scanMs);
    }
    const one_ = summarise(times.one);
    const two_ = summarise(times.two);
    return {
      ...c,
      residentBytes: c.rows * c.items * (c.dtype === 'f16' ? 2 : 1),
      one: one_,
      two: two_,
      ratio: Number((two_.p50ms / one_.p50ms).toFixed(3)),
      oneScanMs: Number(median(scans.one).toFixed(4)),
      boundMs: Number(median(scans.bound).toFixed(4)),
      scanOverBound: Number((median(scans.one) / median(scans.bound)).toFixed(3)),
      twoScanMs: Number(median(scans.two).toFixed(4)),
      twoWaitMs: Number(median(scans.wait).toFixed(4)),
      sameTop: tops.one.length === c.calls && tops.one.every((t, i) => same(t, tops.two[i]!)),
      loadMs: { one: Math.round(loadOne), two: Math.round(Math.max(la.ms, lb.ms)) },
      swept: sink,
    };
  } finally {
    for (const w of [one, a, b]) w.terminate();
  }
}
