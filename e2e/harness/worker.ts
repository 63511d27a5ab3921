/// <reference lib="webworker" />
/**
 * The runtime inside a dedicated worker: the page sends a budget (explicit
 * bytes, because an init-script deviceMemory override does not reach workers)
 * or 'auto', and gets back what the worker saw and chose.
 */
import { createRecommender } from '@peelrec/runtime';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { wasmPaths } from './wasm-paths.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  const deviceMemory = (navigator as WorkerNavigator & { deviceMemory?: number }).deviceMemory ?? null;
  try {
    const rec = await createRecommender({
      manifestUrl: new URL(req.manifestUrl, scope.location.href),
      budget: req.budget,
      backend: req.backend ?? 'wasm',
      storage: req.storage ?? 'indexeddb',
      wasmPaths,
      user: { id: req.userId },
    });
    const recs = await rec.recommend({ user: { id: req.userId }, k: req.k ?? 20 });
    const { budget, selection, residentBytes, backend, storage, downloadedBytes } = rec.info;
    const reply: WorkerReply = {
      ok: true,
      deviceMemory,
      info: { budget, selection, residentBytes, backend, storage, downloadedBytes },
      itemIds: recs.map((r) => r.itemId),
    };
    await rec.dispose();
    scope.postMessage(reply);
  } catch (e) {
    scope.postMessage({ ok: false, deviceMemory, error: `${(e as Error).name}: ${(e as Error).message}` } satisfies WorkerReply);
  }
};
