import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Recommender, RecommenderEvents } from '../src/index.js';
import { openIndexedDbStore } from '../src/store.js';
import { buildFixture } from './fixtures/artifact.js';
import { harness, reference } from './helpers.js';
import { FULL, tracking } from './fixtures/tracked.js';

const { open, track } = tracking();

/** The most bytes tfjs held at once while `run` ran (every change of the engine's count is seen). */
async function peakTensorBytes(run: () => Promise<unknown>): Promise<{ before: number; peak: number }> {
  const state = (tf.engine() as unknown as { state: { numBytes: number } }).state;
  let bytes = state.numBytes;
  const before = bytes;
  let peak = bytes;
  Object.defineProperty(state, 'numBytes', {
    configurable: true,
    get: () => bytes,
    set: (v: number) => {
      bytes = v;
      peak = Math.max(peak, v);
    },
  });
  try {
    await run();
  } finally {
    delete (state as { numBytes?: number }).numBytes;
    state.numBytes = bytes;
  }
  return { before, peak };
}

/** Resolves with the first `name` event of a recommender being created (listeners passed in `on`). */
function nextEvent<E extends keyof RecommenderEvents>(name: E) {
  let resolve: (e: RecommenderEvents[E]) => void = () => {};
  const event = new Promise<RecommenderEvents[E]>((r) => (resolve = r));
  return { event, on: { [name]: (e: RecommenderEvents[E]) => resolve(e) } as { [K in E]: (e: RecommenderEvents[E]) => void } };
}

describe('cache-first (stale-while-revalidate)', () => {
  /** v1 stored and current; the server then publishes v2 (blocks at the same paths, new bytes). */
  async function publishedOver() {
    const h = await harness({ seed: 1, modelId: 'v1' });
    const first = await h.open({ budget: FULL, dtype: 'f32' });
    const v1Recs = await first.recommend({ user: { id: '2' }, k: 10 });
    await first.persisted();
    await first.dispose();
    const v2 = await buildFixture({ seed: 2, modelId: 'v2' });
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    return { h, v1: h.fixture.manifest.model.contentHash, v1Recs, v2 };
  }

  it('a new version that shares files with the stored one reads them from IndexedDB: only what changed is downloaded, and the shared files survive the switch', async () => {
    const h = await harness({ seed: 1, modelId: 'v1' });
    const first = track(await h.open({ budget: FULL, dtype: 'f32' }));
    await first.persisted();
    await open.pop()!.dispose();
    const v1 = h.fixture.manifest.model.contentHash;
    // Re-published under another id: a new content hash, every other file byte-identical.
    const v2 = await buildFixture({ seed: 1, modelId: 'v2' });
    expect(v2.manifest.model.contentHash).not.toBe(v1);
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    const served = h.server.served;
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', freshness: 'network-first' }));
    expect(rec.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    expect(rec.info.downloadedBytes).toBe(0);
    expect(h.server.served).toBe(served);
    expect(rec.info.cachedBytes).toBeGreaterThanOrEqual(rec.info.selection.fileBytes);
    const user = v2.userVectors.slice(0, v2.manifest.dims.fullDim);
    const got = await rec.recommend({ user: { vector: user, group: 0 }, k: 5 });
    expect(got.map((r) => r.position)).toEqual(reference(rec, v2.files, user, 5).map((r) => r.position));
    // v2 committed the shared files for itself, so promoting it (which drops v1) keeps them: offline, v2 loads whole.
    await rec.persisted();
    await open.pop()!.dispose();
    const store = await openIndexedDbStore(h.idb);
    expect([...(await store.versions())]).toEqual([v2.manifest.model.contentHash]);
    store.close();
    h.server.offline = true;
    const offline = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(offline.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    expect(offline.info.model.contentHash).toBe(v2.manifest.model.contentHash);
  });

  it('a warm start is ready from IndexedDB while the manifest request has not answered', async () => {
    const h = await harness();
    track(await h.open({ budget: 2000 }));
    await open[0]!.persisted();
    await open.pop()!.dispose();
    const requests = h.server.requests.length;
    h.server.fault = (path) => (path === 'manifest.json' ? 'hang' : undefined);
    const rec = track(await h.open({ budget: 2000 }));
    expect(rec.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    const fullDim = h.fixture.manifest.dims.fullDim;
    const user = h.fixture.userVectors.slice(0, fullDim);
    const got = await rec.recommend({ user: { vector: user, group: rec.info.userGroup }, k: 5 });
    expect(got.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, user, 5).map((r) => r.position));
    // The manifest request is out (and still pending): nothing else went to the network.
    expect(h.server.requests.slice(requests)).toEqual(['manifest.json']);
  });

  it('serves the cached version, downloads the new one in the background, then switches to it with an `updated` event', async () => {
    const { h, v1, v1Recs, v2 } = await publishedOver();
    const v2Hash = v2.manifest.model.contentHash;
    const updated = nextEvent('updated');
    const progress: string[] = [];
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', on: updated.on, onProgress: (p) => progress.push(p.file) }));
    expect(rec.info.model.contentHash).toBe(v1);
    expect(await rec.recommend({ user: { id: '2' }, k: 10 })).toEqual(v1Recs); // (reads the user's shard: its own progress)
    const progressAtReady = progress.length;
    const seen: string[] = [];
    let switched = false;
    void updated.event.then(() => (switched = true));
    // Requests while the update loads each run on one whole version: v1's results until the switch.
    while (!switched) {
      const recs = await rec.recommend({ user: { id: '2' }, k: 10 });
      seen.push(switched ? 'after' : JSON.stringify(recs) === JSON.stringify(v1Recs) ? 'v1' : 'other');
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(seen.filter((s) => s === 'other')).toEqual([]);
    expect(await updated.event).toEqual({ from: { id: 'v1', contentHash: v1 }, to: { id: 'v2', contentHash: v2Hash } });
    expect(rec.info.model.contentHash).toBe(v2Hash);
    expect(rec.info.manifestSource).toBe('network');
    // The background load reports no progress to the app's load callback (that load was over), though it downloaded blocks.
    expect(progress.length).toBe(progressAtReady);
    expect(rec.info.downloadedBytes).toBeGreaterThan(0);
    const user = { id: '2' };
    const after = await rec.recommend({ user, k: 10 });
    expect(after).not.toEqual(v1Recs);
    // The new version was stored and made current before it served: offline, a reload gets it, and v1 is gone.
    await rec.dispose();
    open.pop();
    h.server.offline = true;
    const offline = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(offline.info.model.contentHash).toBe(v2Hash);
    expect(await offline.recommend({ user, k: 10 })).toEqual(after);
    const store = await openIndexedDbStore(h.idb);
    expect((await store.storedFiles(v1)).size).toBe(0);
    store.close();
  });

  it.each(['overlap', 'within-budget'] as const)("updates '%s': what is resident while the new version replaces the serving one", async (updates) => {
    const { h, v2 } = await publishedOver();
    const updated = nextEvent('updated');
    // The revalidation's manifest request waits until the stored version is resident, so that only the switch is measured.
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (String(input).endsWith('manifest.json')) await gate;
      return h.server.fetch(input, init);
    };
    let rec!: Recommender;
    // A load's own peak: the blocks' upload may take transient copies beside the table it builds.
    const load = await peakTensorBytes(async () => (rec = track(await h.open({ budget: FULL, dtype: 'f32', updates, on: updated.on, fetch }))));
    const alone = load.peak - load.before;
    const serving = rec.info.residentBytes;
    const { before, peak } = await peakTensorBytes(async () => {
      release();
      // Requests during the update are answered by one whole version (they wait for the switch when within budget).
      const during = rec.recommend({ user: { id: '2' }, k: 10 });
      await updated.event;
      expect((await during).length).toBe(10);
      expect(rec.info.residentBytes).toBe(serving); // the same budget, f32 both
    });
    expect(rec.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    // Within budget the serving table is gone before the new version loads: no more than a load alone. Overlapping,
    // the new version loads beside the serving table.
    if (updates === 'within-budget') expect(peak).toBeLessThanOrEqual(before - serving + alone);
    else expect(peak).toBeGreaterThanOrEqual(before + alone);
    expect(await rec.recommend({ user: { id: '2' }, k: 5 })).toHaveLength(5);
  });

  it("updates 'within-budget': a new version that fails to load gives way to the stored one, loaded again", async () => {
    const { h, v1, v1Recs } = await publishedOver();
    h.server.fault = (path) => (path === 'blocks/u0.f32.bin' ? 'http404' : undefined);
    const failed = nextEvent('updatefailed');
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', updates: 'within-budget', on: failed.on }));
    expect(await failed.event).toMatchObject({ stage: 'download', error: expect.objectContaining({ name: 'DownloadError' }) });
    expect(rec.info.model.contentHash).toBe(v1);
    expect(rec.info.manifestSource).toBe('cache');
    expect(await rec.recommend({ user: { id: '2' }, k: 10 })).toEqual(v1Recs);
  });

  it('a failed revalidation is an event and the cached version keeps serving: manifest unreachable, or a new version that cannot load', async () => {
    const { h, v1, v1Recs } = await publishedOver();
    h.server.fault = (path) => (path === 'manifest.json' ? 'http404' : undefined);
    const failed = nextEvent('updatefailed');
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', on: failed.on }));
    expect(await failed.event).toMatchObject({ stage: 'manifest', reason: expect.stringMatching(/404/) });
    expect(rec.info.model.contentHash).toBe(v1);
    expect(await rec.recommend({ user: { id: '2' }, k: 10 })).toEqual(v1Recs);
    await open.pop()!.dispose();

    // v2's manifest answers but one of its blocks does not: v1 serves on and stays the current version in IndexedDB.
    h.server.fault = (path) => (path === 'blocks/u0.f32.bin' ? 'http404' : undefined);
    const failedLoad = nextEvent('updatefailed');
    const revalidated = nextEvent('revalidated');
    const again = track(await h.open({ budget: FULL, dtype: 'f32', on: { ...failedLoad.on, ...revalidated.on } }));
    expect((await revalidated.event).changed).toBe(true);
    expect(await failedLoad.event).toMatchObject({ stage: 'download', error: expect.objectContaining({ name: 'DownloadError' }) });
    expect(again.info.model.contentHash).toBe(v1);
    expect(await again.recommend({ user: { id: '2' }, k: 10 })).toEqual(v1Recs);
    await open.pop()!.dispose();
    h.server.offline = true;
    const offline = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(offline.info.model.contentHash).toBe(v1);
  });

  it('a cached version lacking what this load needs, whose files the server replaced, falls back to loading the new version', async () => {
    const { h, v2 } = await publishedOver();
    // v1 was stored for group 0 only; group 1's block table and blocks are v2's now (v1's bytes fail their hash).
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', userGroup: 1 }));
    expect(rec.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    expect(rec.info.manifestSource).toBe('network');
  });
});
