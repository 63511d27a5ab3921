import { describe, expect, it } from 'vitest';
import { DisposedError, type RecommenderEvents } from '../src/index.js';
import { buildFixture } from './fixtures/artifact.js';
import { harness } from './helpers.js';
import { FULL, tracking } from './fixtures/tracked.js';

const { track } = tracking();

/** An open recommender on v1 (network-first: no background check of its own), and v2 ready to publish. */
async function openOnV1() {
  const h = await harness({ seed: 1, modelId: 'v1' });
  const events: { type: keyof RecommenderEvents; detail: unknown }[] = [];
  const on = Object.fromEntries((['revalidated', 'updated', 'updatefailed'] as const).map((type) => [type, (detail: unknown) => events.push({ type, detail })]));
  const rec = track(await h.open({ budget: FULL, dtype: 'f32', freshness: 'network-first', on }));
  const v1 = h.fixture.manifest.model.contentHash;
  const v2 = await buildFixture({ seed: 2, modelId: 'v2' });
  const publish = () => {
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
  };
  return { h, rec, v1, v2: v2.manifest.model.contentHash, publish, events };
}

describe('checkForUpdate: an open recommender follows a redeployed model', () => {
  it('finds nothing new, then switches to the version the server publishes, once, for every call made meanwhile', async () => {
    const { h, rec, v1, v2, publish, events } = await openOnV1();
    expect(await rec.checkForUpdate()).toEqual({ changed: false, contentHash: v1, updated: false });
    const before = await rec.recommend({ user: { id: '2' }, k: 10 });
    publish();
    const manifests = () => h.server.requests.filter((r) => r === 'manifest.json').length;
    const asked = manifests();
    const [a, b] = await Promise.all([rec.checkForUpdate(), rec.checkForUpdate()]);
    // The second call shared the first's check: one manifest request, one switch.
    expect(manifests()).toBe(asked + 1);
    expect(a).toEqual({ changed: true, contentHash: v2, updated: true });
    expect(b).toEqual(a);
    expect(rec.info.model.contentHash).toBe(v2);
    expect(await rec.recommend({ user: { id: '2' }, k: 10 })).not.toEqual(before);
    expect(await rec.checkForUpdate()).toEqual({ changed: false, contentHash: v2, updated: false });
    expect(events.map((e) => e.type)).toEqual(['revalidated', 'revalidated', 'updated', 'revalidated']);
  });

  it("with updates 'within-budget' too", async () => {
    const h = await harness({ seed: 1, modelId: 'v1' });
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', freshness: 'network-first', updates: 'within-budget' }));
    const resident = rec.info.residentBytes;
    const v2 = await buildFixture({ seed: 2, modelId: 'v2' });
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    expect(await rec.checkForUpdate()).toMatchObject({ changed: true, updated: true });
    expect(rec.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    expect(rec.info.residentBytes).toBe(resident);
  });

  it('rejects with the error an `updatefailed` event reports, and the serving version stays', async () => {
    const { h, rec, v1, publish, events } = await openOnV1();
    const before = await rec.recommend({ user: { id: '2' }, k: 10 });
    h.server.fault = (path) => (path === 'manifest.json' ? 'http404' : undefined);
    await expect(rec.checkForUpdate()).rejects.toThrow(/404/);
    publish();
    h.server.fault = (path) => (path === 'blocks/u0.f32.bin' ? 'http404' : undefined);
    await expect(rec.checkForUpdate()).rejects.toMatchObject({ name: 'DownloadError' });
    expect(events.filter((e) => e.type === 'updatefailed').map((e) => (e.detail as RecommenderEvents['updatefailed']).stage)).toEqual(['manifest', 'download']);
    expect(rec.info.model.contentHash).toBe(v1);
    expect(await rec.recommend({ user: { id: '2' }, k: 10 })).toEqual(before);
  });

  it('after dispose, rejects with DisposedError', async () => {
    const { rec } = await openOnV1();
    await rec.dispose();
    await expect(rec.checkForUpdate()).rejects.toBeInstanceOf(DisposedError);
  });
});
