/**
 * Start-up as an app sees it: this module runs on page load, creates the
 * recommender (IndexedDB storage, auto backend) and asks for the first
 * recommendations. Times are from navigation start (performance.now()), so
 * they include loading this page's code, backend init, the manifest, the
 * block fetches, hashing, and the IndexedDB reads on a warm start.
 */
import { createRecommender } from '@peelrec/runtime';
import { TFJS_WASM_PATHS } from './wasm-paths.js';

export interface StartupResult {
  readonly scriptStartMs: number;
  readonly recommenderReadyMs: number;
  readonly firstRecommendationsMs: number;
  /** When every queued IndexedDB write had committed (off the critical path). */
  readonly persistedMs: number;
  readonly backend: string;
  readonly fallbacks: unknown;
  readonly storageMode: string;
  readonly selectionFileBytes: number;
  readonly selectionBytes: number;
  readonly selectedBlocks: number;
  readonly dtype: string;
  readonly downloadedBytes: number;
  readonly cachedBytes: number;
  readonly residentBytes: number;
  readonly recommendations: number;
  /** The user group scored, and whether it was served from the group-blind plan (issue 27). */
  readonly userGroup: number;
  readonly groupBlind: boolean;
  /** Where the time went: resource timings (ms from navigation start) and the runtime's progress events. */
  readonly timeline: {
    readonly appCodeLoadedMs: number;
    readonly manifestFetchedMs: number | null;
    readonly firstBlockRequestMs: number | null;
    readonly lastBlockReceivedMs: number | null;
    readonly firstProgressMs: number | null;
    readonly lastProgressMs: number | null;
    readonly backendInfo: unknown;
    readonly resources: { name: string; startMs: number; endMs: number; bytes: number }[];
  };
}

declare global {
  interface Window {
    startup?: StartupResult;
    startupError?: string;
  }
}

async function main() {
  const scriptStartMs = performance.now();
  const q = new URLSearchParams(location.search);
  const manifestUrl = new URL(q.get('manifest')!, location.href).href;
  const budget = Number(q.get('budget'));
  // `history=a,b`: a new user folded in on the device (no user named at creation); otherwise a known user.
  const history = q.get('history')?.split(',');
  const user = history ? { history } : { id: q.get('user') ?? '0' };
  const prepare = history ? {} : { user: { id: q.get('user') ?? '0' } };
  const groupBlind = q.get('groupBlind') !== 'false';
  const storage = q.get('storage') === 'memory' ? 'memory' : 'indexeddb';
  // `worker=false`: the load on the page's thread (a diagnostic: what the scoring worker costs or saves).
  const inThread = q.get('worker') === 'false';
  let firstProgressMs: number | null = null;
  let lastProgressMs: number | null = null;
  const onProgress = () => {
    const t = performance.now();
    firstProgressMs ??= t;
    lastProgressMs = t;
  };
  const rec = await createRecommender({
    manifestUrl,
    budget,
    backend: 'auto',
    storage,
    wasmPaths: TFJS_WASM_PATHS,
    ...prepare,
    groupBlind,
    metadata: false,
    onProgress,
    ...(inThread && { worker: false }),
  });
  const recommenderReadyMs = performance.now();
  const recs = await rec.recommend({ user, k: 20 });
  const firstRecommendationsMs = performance.now();
  await rec.persisted();
  const persistedMs = performance.now();
  const i = rec.info;
  const resources = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => ({
    name: new URL(r.name).pathname,
    startMs: r.startTime,
    endMs: r.responseEnd,
    bytes: r.encodedBodySize,
  }));
  const artifact = (r: { name: string }) => r.name.startsWith('/artifacts/');
  const blocks = resources.filter((r) => artifact(r) && r.name.includes('/blocks/'));
  const manifest = resources.find((r) => artifact(r) && r.name.endsWith('/manifest.json'));
  const timeline = {
    appCodeLoadedMs: Math.max(scriptStartMs, ...resources.filter((r) => !artifact(r) && r.startMs < recommenderReadyMs).map((r) => r.endMs)),
    manifestFetchedMs: manifest?.endMs ?? null,
    firstBlockRequestMs: blocks.length ? Math.min(...blocks.map((b) => b.startMs)) : null,
    lastBlockReceivedMs: blocks.length ? Math.max(...blocks.map((b) => b.endMs)) : null,
    firstProgressMs,
    lastProgressMs,
    backendInfo: i.backend,
    resources: resources.filter((r) => !artifact(r) || !r.name.includes('/blocks/')),
  };
  window.startup = {
    timeline,
    scriptStartMs,
    recommenderReadyMs,
    firstRecommendationsMs,
    persistedMs,
    backend: i.backend.name,
    fallbacks: i.backend.fallbacks,
    storageMode: i.storage.mode,
    selectionFileBytes: i.selection.fileBytes,
    selectionBytes: i.selection.bytes,
    selectedBlocks: i.selection.blocks.length,
    dtype: i.selection.dtype,
    downloadedBytes: i.downloadedBytes,
    cachedBytes: i.cachedBytes,
    residentBytes: i.residentBytes,
    recommendations: recs.length,
    userGroup: i.userGroup,
    groupBlind: i.groupBlind,
  };
  document.title = 'done';
}

main().catch((e) => {
  window.startupError = String(e?.stack ?? e);
  document.title = 'error';
});
