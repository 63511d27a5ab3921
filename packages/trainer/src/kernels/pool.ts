import { Worker } from 'node:worker_threads';
import { gemmModule } from './gemm-module.js';
import type { SharedHeap } from './heap.js';

/** Message a pool worker posts back: a finished task, a progress tick, or a failure. */
type WorkerReply = { kind: 'done'; result: unknown } | { kind: 'progress'; done: number; total: number } | { kind: 'error'; message: string; stack?: string };

/**
 * A fixed set of worker threads sharing one SharedHeap. `run(task)` sends the same task to every worker;
 * each takes the share fixed by its thread index (never by who is faster), which keeps results deterministic.
 * Workers synchronise inside a task with an Atomics barrier (see worker-runtime.mjs).
 */
export class WorkerPool {
  private constructor(
    private readonly workers: Worker[],
    readonly threads: number,
  ) {}

  /** `script` is a worker module built on worker-runtime.mjs. */
  static async start(script: URL, heap: SharedHeap, threads: number): Promise<WorkerPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const module = await gemmModule();
    const barrier = new Int32Array(new SharedArrayBuffer(8));
    const workers: Worker[] = [];
    for (let t = 0; t < threads; t++) {
      workers.push(new Worker(script, { workerData: { module, memory: heap.memory, threadId: t, threads, barrier } }));
    }
    return new WorkerPool(workers, threads);
  }

  /** Run one task on all workers; resolves with each worker's result, in thread order. */
  run<R = unknown>(task: Record<string, unknown>, onProgress?: (done: number, total: number) => void): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      const results: R[] = new Array(this.threads);
      let pending = this.threads;
      let failed = false;
      const cleanups: Array<() => void> = [];
      const finish = (err?: Error) => {
        for (const c of cleanups) c();
        if (err) {
          failed = true;
          // A failed worker leaves the others waiting at a barrier: stop them all.
          void this.close();
          reject(err);
        } else resolve(results);
      };
      this.workers.forEach((w, t) => {
        const onMessage = (msg: WorkerReply) => {
          if (failed) return;
          if (msg.kind === 'progress') {
            if (t === 0) onProgress?.(msg.done, msg.total);
          } else if (msg.kind === 'error') {
            const e = new Error(`worker ${t}: ${msg.message}`);
            if (msg.stack) e.stack = msg.stack;
            finish(e);
          } else {
            results[t] = msg.result as R;
            if (--pending === 0) finish();
          }
        };
        const onError = (e: Error) => {
          if (!failed) finish(e);
        };
        const onExit = (code: number) => {
          if (!failed && pending > 0) finish(new Error(`worker ${t} exited with code ${code}`));
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        cleanups.push(() => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        });
        w.postMessage(task);
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Default thread count: 2 on every machine, whatever its core count (`--threads` and `threads` override it). */
export function defaultThreads(): number {
  return 2;
}
