/// <reference types="vite/client" />
/**
 * The page the browser tests drive: it bundles the runtime the way an app
 * does (Vite, `?url` imports of the WASM binaries) and exposes a small,
 * JSON-friendly driver on `window.driver` for Playwright's `page.evaluate`.
 */
import * as tf from '@tensorflow/tfjs-core';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BudgetTooSmallError, createRecommender, PeelrecError, type Recommender, type RecommenderOptions, type RecommendRequest } from '../src/index.js';

let rec: Recommender | undefined;
const events: { type: string; detail: unknown }[] = [];

export type OpenOptions = Omit<RecommenderOptions, 'manifestUrl' | 'wasmPaths' | 'signal' | 'onProgress' | 'fetch' | 'on' | 'indexedDB'>;

const driver = {
  async open(options: OpenOptions) {
    events.length = 0;
    const on = Object.fromEntries(
      (['fallback', 'integrity', 'quota', 'eviction', 'storage', 'budget', 'selection'] as const).map((type) => [type, (detail: unknown) => events.push({ type, detail })]),
    );
    rec = await createRecommender({
      manifestUrl: '/model/manifest.json',
      wasmPaths: { 'tfjs-backend-wasm.wasm': wasm, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd },
      on,
      // In-thread unless a test asks for the worker: most tests read this page's tfjs (tf.memory(), the WebGPU
      // device), which a worker's recommender does not use. worker.browser.test.ts drives the worker path.
      worker: false,
      ...options,
    });
    return driver.info();
  },
  info() {
    return JSON.parse(JSON.stringify(rec!.info));
  },
  /** `rec.items` as plain data (a worker-served catalog builds its arrays on this read). */
  catalog() {
    const { ids, metadata } = rec!.items;
    return { ids: [...ids], ...(metadata && { metadata: [...metadata] }) };
  },
  async recommend(request: RecommendRequest) {
    return rec!.recommend(request);
  },
  /** Several requests in one round trip; returns each result list. */
  async recommendMany(requests: RecommendRequest[]) {
    const out = [];
    for (const r of requests) out.push(await rec!.recommend(r));
    return out;
  },
  async setBudget(bytes: number | 'auto') {
    await rec!.setBudget(bytes);
    return driver.info();
  },
  async persisted() {
    return rec!.persisted();
  },
  async dispose() {
    await rec?.dispose();
    rec = undefined;
  },
  memory() {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  },
  /** Destroys the WebGPU device under the runtime, as a driver crash or GPU reset would. */
  loseDevice() {
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
  },
  /** The budget policy as a worker sees it (deviceMemory and storage.estimate() exist there too). */
  workerBudget(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./budget-worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (e) => {
        worker.terminate();
        resolve(e.data);
      };
      worker.onerror = (e) => reject(new Error(e.message));
    });
  },
  events() {
    return JSON.parse(JSON.stringify(events));
  },
  /** How `setBudget(bytes)` failed, as the page's code sees the error (class, base class, fields). */
  async setBudgetFailure(bytes: number) {
    try {
      await rec!.setBudget(bytes);
      return undefined;
    } catch (e) {
      return { name: (e as Error).name, tooSmall: e instanceof BudgetTooSmallError, peelrec: e instanceof PeelrecError, minimumBytes: (e as BudgetTooSmallError).minimumBytes };
    }
  },
  /** The names of the Workers this page started (the scoring worker is `peelrec-scoring`). */
  workersStarted(): string[] {
    return [...((window as unknown as { workersStarted?: string[] }).workersStarted ?? [])];
  },
};

declare global {
  interface Window {
    driver: typeof driver;
  }
}
window.driver = driver;
document.title = 'ready';
