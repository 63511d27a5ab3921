/**
 * The e2e harness page: exposes the runtime, the format and tf.memory() on
 * `window.peel` so tests drive the real SDK in a real browser with
 * page.evaluate. It renders nothing; the demo has its own tests.
 */
import * as format from '@peelrec/format';
import * as runtime from '@peelrec/runtime';
import { backend, memory } from '@tensorflow/tfjs-core';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { referenceTopK, userVector } from './reference.js';
import { wasmPaths } from './wasm-paths.js';

function runInWorker(req: WorkerRequest): Promise<WorkerReply> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'peelrec-e2e-worker' });
  return new Promise<WorkerReply>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<WorkerReply>) => resolve(ev.data);
    worker.onerror = (ev) => reject(new Error(`worker failed: ${ev.message}`));
    worker.postMessage(req);
  }).finally(() => worker.terminate());
}

/** Destroys the WebGPU device under the runtime, as a driver crash or a GPU reset would. */
function loseDevice(): void {
  (backend() as unknown as { device: { destroy(): void } }).device.destroy();
}

const peel = { ...runtime, format, wasmPaths, tfMemory: memory, runInWorker, referenceTopK, userVector, loseDevice };
export type Peel = typeof peel;
(window as unknown as { peel: Peel }).peel = peel;
document.getElementById('state')!.textContent = 'ready';
