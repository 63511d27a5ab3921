/// <reference types="vite/client" />
/**
 * The page `perf-run.ts` drives: scoring A/B (fused kernel vs matMul) against
 * the bandwidth bound of the same resident bytes, and start-up as an app
 * sees it (`?startup=…` runs on load). A measuring tool, not a test.
 */
import * as tf from '@tensorflow/tfjs-core';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createRecommender, type Recommender } from '../../src/index.js';
import { tableLayouts } from '../../src/layouts.js';

const wasmPaths = { 'tfjs-backend-wasm.wasm': wasm, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd };
let rec: Recommender | undefined;
/** The same model without the fused kernel or the cpu loop (dim-major tensors, matMul), for A/B in one page. */
let recMatMul: Recommender | undefined;
/** The same model on the kernel's plain-SIMD build (no fused multiply-add). */
let recPlainSimd: Recommender | undefined;

/** bound.wat: sums n f32 with 128-bit loads, i.e. streams those bytes once. */
let bound: { run(ptr: number, n: number): number } | undefined;

/** Runs `open` with the layout registry narrowed to the layouts `keep` accepts, so the scorers it prepares choose among those. */
async function withLayouts<T>(keep: (name: string) => boolean, open: () => Promise<T>): Promise<T> {
  const all = tableLayouts.splice(0);
  tableLayouts.push(...all.filter((f) => keep(f.name)));
  try {
    return await open();
  } finally {
    tableLayouts.splice(0, tableLayouts.length, ...all);
  }
}

const perf = {
  async open(manifestUrl: string, budget: number, backend: 'wasm' | 'cpu') {
    const wasmBytes = () => (tf.getBackend() === 'wasm' ? (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory.buffer.byteLength : 0);
    const memory: Record<string, number> = {};
    // The kernel's recommender first, so the wasm memory growth it causes is seen alone.
    rec = await createRecommender({ manifestUrl, budget, backend, storage: 'memory', wasmPaths, metadata: false });
    memory.kernelTensorBytes = tf.memory().numBytes;
    memory.wasmAfterKernel = wasmBytes();
    const create = () => createRecommender({ manifestUrl, budget, backend, storage: 'memory', wasmPaths, metadata: false });
    if (backend === 'wasm') recPlainSimd = await withLayouts((name) => name !== 'wasm-packed-relaxed-simd', create);
    recMatMul = await withLayouts((name) => name === 'dim-major-matmul', create);
    if (backend === 'wasm') memory.wasmAfterMatMul = wasmBytes();
    return JSON.parse(JSON.stringify({ memory, backend: rec.info.backend, residentBytes: rec.info.residentBytes, blocks: rec.info.selection.blocks.length }));
  },
  async initBound(base64: string) {
    const b = tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } };
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory: b.wasm.asm.memory } });
    bound = instance.exports as unknown as { run(ptr: number, n: number): number };
  },
  /** Interleaved rounds: each variant once per round; returns per-variant samples (ms). */
  async series(rounds: number, vector: number[], group: number, exclude: string[]) {
    const request = { user: { vector, group }, k: 20, exclude };
    const variants: Record<string, () => Promise<{ position: number; score: number }[]>> = {
      kernel: () => rec!.recommend(request),
      matmul: () => recMatMul!.recommend(request),
      ...(recPlainSimd && { kernelPlainSimd: () => recPlainSimd!.recommend(request) }),
    };
    const samples: Record<string, number[]> = { bound: [] };
    for (const name of Object.keys(variants)) samples[name] = [];
    // Same top-k from every path (positions; scores to float tolerance). Below the full table the matMul path
    // (f16 widened to f32 resident) selects fewer blocks than the kernel (f16 resident), so it is compared only
    // where both selected the same blocks.
    const b = await variants.matmul!();
    const same = (a: { position: number; score: number }[]) => a.length === b.length && a.every((r, i) => r.position === b[i]!.position || Math.abs(r.score - b[i]!.score) < 1e-4);
    const blocks = (r: Recommender | undefined) => JSON.stringify(r?.info.selection.blocks.map((x) => [x.itemGroup, x.block, x.file.dtype]));
    const comparable = (name: string) => (name !== 'kernel' && name !== 'kernelPlainSimd') || blocks(rec) === blocks(recMatMul ?? rec);
    let agree = true;
    let a = b;
    for (const [name, fn] of Object.entries(variants)) if (comparable(name)) agree &&= same((a = await fn()));
    // The bound streams a tensor of the resident size in the same wasm memory once.
    const floats = rec!.info.residentBytes / 4;
    const copy = tf.zeros([floats]);
    const onWasm = tf.getBackend() === 'wasm';
    const ptr = onWasm ? (tf.backend() as unknown as { getMemoryOffset(d: object): number }).getMemoryOffset(copy.dataId) : 0;
    for (let r = 0; r < rounds; r++) {
      for (const [name, fn] of Object.entries(variants)) {
        const t = performance.now();
        await fn();
        samples[name]!.push(performance.now() - t);
      }
      if (bound && onWasm) {
        const t = performance.now();
        const s = bound.run(ptr, floats);
        samples.bound!.push(performance.now() - t);
        if (Number.isNaN(s)) throw new Error('NaN');
      }
    }
    copy.dispose();
    return { samples, agree, top: a.slice(0, 3), matmulTop: b.slice(0, 3) };
  },
  /** The network and hashing alone: fetch `urls` (bypassing the HTTP cache) `concurrency` at a time, then SHA-256 them all at once. */
  async fetchOnly(urls: string[], concurrency: number) {
    const t0 = performance.now();
    const bodies: ArrayBuffer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < urls.length) {
          const url = urls[next++]!;
          bodies.push(await (await fetch(url, { cache: 'reload' })).arrayBuffer());
        }
      }),
    );
    const fetched = performance.now();
    await Promise.all(bodies.map((b) => crypto.subtle.digest('SHA-256', b)));
    return { fetchMs: fetched - t0, hashMs: performance.now() - fetched, bytes: bodies.reduce((n, b) => n + b.byteLength, 0) };
  },
};

/** Start-up as an app sees it, from navigation start; `filesMs` spans the first to the last file progress event. */
async function startup(manifestUrl: string, budget: number, concurrency?: number) {
  const t0 = performance.now();
  let firstProgress = 0;
  let lastProgress = 0;
  const onProgress = () => {
    lastProgress = performance.now();
    firstProgress ||= lastProgress;
  };
  const r = await createRecommender({ onProgress, manifestUrl, budget, backend: 'auto', storage: 'indexeddb', wasmPaths, metadata: false, user: { id: '0' }, ...(concurrency && { concurrency }) });
  const ready = performance.now();
  const recs = await r.recommend({ user: { id: '0' }, k: 20 });
  const first = performance.now();
  await r.persisted();
  const persisted = performance.now();
  return {
    scriptStartMs: t0,
    filesMs: lastProgress - firstProgress,
    readyMs: ready,
    firstMs: first,
    persistedMs: persisted,
    recs: recs.length,
    downloadedBytes: r.info.downloadedBytes,
    cachedBytes: r.info.cachedBytes,
    selectedFileBytes: r.info.selection.fileBytes,
    files: r.info.selection.blocks.map((b) => new URL(b.file.url, new URL(manifestUrl, location.href)).href),
    backend: r.info.backend.name,
    manifestSource: r.info.manifestSource,
  };
}

declare global {
  interface Window {
    perf: typeof perf;
    startupResult?: unknown;
  }
}
window.perf = perf;
const q = new URLSearchParams(location.search);
if (q.has('startup')) {
  // `layouts`: the registry entries (layouts.ts) to keep, by name; absent: all of them.
  const tuning = JSON.parse(q.get('tuning') ?? '{}') as { concurrency?: number; layouts?: string[] };
  withLayouts(
    (name) => !tuning.layouts || tuning.layouts.includes(name),
    () => startup(q.get('startup')!, Number(q.get('budget')), tuning.concurrency),
  )
    .then(
      (r) => (window.startupResult = r),
      (e) => (window.startupResult = { error: String(e?.stack ?? e) }),
    )
    .finally(() => (document.title = 'done'));
} else {
  document.title = 'ready';
}
