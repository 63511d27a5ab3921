// Shared plumbing for the trainer's worker threads. Plain JavaScript on purpose: worker_threads cannot load
// TypeScript without a loader, and the package runs both under vitest and tsx.
import { parentPort, workerData } from 'node:worker_threads';

/**
 * @typedef {{ gemm: (a: number, sai: number, sap: number, b: number, ldb: number, c: number, ldc: number,
 *   m: number, n: number, k: number, acc: number) => void }} GemmExports
 * @typedef {{ softmax_rows: (L: number, rows: number, n: number, pos: number, invTau: number, shift: number,
 *   gscale: number, gpos: number, stat: number) => void,
 *   adam_rows: (W: number, M: number, V: number, G: number, rows: number, count: number, d: number,
 *   b1: number, b2: number, a: number, ib2: number, eps: number) => void,
 *   gather_unit_rows: (table: number, idx: number, count: number, d: number, dst: number, norms: number) => void,
 *   row_dots: (x: number, y: number, rows: number, d: number, out: number) => void,
 *   pair_grads: (x: number, y: number, g: number, rows: number, d: number, dx: number, dy: number) => void,
 *   unit_backward: (xh: number, dxh: number, norms: number, rows: number, d: number, out: number) => void }} KernelExports
 * @typedef {{ memory: WebAssembly.Memory, buffer: SharedArrayBuffer, gemm: GemmExports['gemm'], kernel: GemmExports & KernelExports,
 *   threadId: number, threads: number, sync: () => void,
 *   progress: (done: number, total: number) => void }} WorkerContext
 */

/**
 * Start a worker: instantiate the GEMM kernel on the shared memory, then answer each task message with
 * `handlers[task.type](task, ctx)`.
 * @param {Record<string, (task: any, ctx: WorkerContext) => unknown>} handlers
 */
export function startWorker(handlers) {
  const { module, memory, threadId, threads, barrier } = workerData;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const gemm = /** @type {GemmExports} */ (/** @type {unknown} */ (instance.exports)).gemm;
  /** @type {WorkerContext} */
  const ctx = {
    memory,
    buffer: memory.buffer,
    gemm,
    kernel: /** @type {GemmExports & KernelExports} */ (/** @type {unknown} */ (instance.exports)),
    threadId,
    threads,
    sync: () => barrierWait(barrier, threads),
    progress: (done, total) => parentPort?.postMessage({ kind: 'progress', done, total }),
  };
  parentPort?.on('message', (task) => {
    try {
      const handler = handlers[task.type];
      if (!handler) throw new Error(`unknown task type ${task.type}`);
      const result = handler(task, ctx);
      parentPort?.postMessage({ kind: 'done', result });
    } catch (e) {
      const err = /** @type {Error} */ (e);
      parentPort?.postMessage({ kind: 'error', message: err.message, stack: err.stack });
    }
  });
}

/**
 * Generation barrier on an Int32Array [arrived, generation]: the last thread to arrive resets the count and
 * bumps the generation, the others sleep until it changes.
 * @param {Int32Array} b
 * @param {number} n
 */
function barrierWait(b, n) {
  if (n === 1) return;
  const gen = Atomics.load(b, 1);
  if (Atomics.add(b, 0, 1) === n - 1) {
    Atomics.store(b, 0, 0);
    Atomics.add(b, 1, 1);
    Atomics.notify(b, 1);
  } else {
    while (Atomics.load(b, 1) === gen) Atomics.wait(b, 1, gen);
  }
}

/**
 * Split [0, n) into `parts` contiguous ranges and return range `i` (fixed partition => deterministic).
 * @param {number} n @param {number} parts @param {number} i
 * @returns {[number, number]}
 */
export function share(n, parts, i) {
  return [Math.floor((n * i) / parts), Math.floor((n * (i + 1)) / parts)];
}
