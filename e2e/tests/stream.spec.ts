/**
 * Issue 24: an open page follows a catalog that grows and loses items. The trainer's `stream --out` wrote SCALL's
 * served table of each segment of a small synthetic stream as an artifact version, its live items only
 * (scripts/stream.ts; the stream withdraws items); the server publishes them one after another at one URL, and the
 * page moves to each with `checkForUpdate()` under `updates: 'within-budget'`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FileRef, type KindManifest, variantRefs } from '@peelrec/format';
import { expect, test } from '@playwright/test';
import { STREAM_FIXTURE } from '../scripts/fixtures.js';
import { deployable, openHarness } from './support.js';

interface Segment {
  dir: string;
  manifest: KindManifest;
  manifestBytes: number;
  itemIds: string[];
  userIds: string[];
}

function segment(t: number): Segment {
  const dir = join(STREAM_FIXTURE.dir, `segment-${t}`);
  const text = readFileSync(join(dir, 'manifest.json'));
  const manifest = JSON.parse(text.toString('utf8')) as KindManifest;
  const read = (url: string) => JSON.parse(readFileSync(join(dir, url), 'utf8')) as string[];
  const userIds = manifest.users.ids ? read(manifest.users.ids.url) : Array.from({ length: manifest.users.count }, (_, i) => String(i));
  return { dir, manifest, manifestBytes: text.byteLength, itemIds: read(manifest.items.ids.url), userIds };
}

/** The files a page serving user `u` loads: item ids (and metadata), user ids, the user's shard, the variant's ranges. */
function loaded(s: Segment, u: number): FileRef[] {
  const m = s.manifest;
  const shard = m.users.shards.find((x) => u >= x.start && u < x.start + x.count)!;
  return [m.items.ids, m.items.metadata, m.users.ids, shard.file, ...m.variants.flatMap(variantRefs)].filter((r): r is FileRef => r !== undefined);
}

/** What moving from `prev` to `next` must fetch for user `u`: the manifest, and each file it loads that `prev` did not (by SHA-256). */
function changedBytes(prev: Segment, next: Segment, u: number): { changed: number; full: number } {
  const had = new Set(loaded(prev, u).map((r) => r.sha256));
  const files = loaded(next, u);
  const changed = files.filter((r) => !had.has(r.sha256)).reduce((a, r) => a + r.byteLength, 0);
  return { changed: next.manifestBytes + changed, full: next.manifestBytes + files.reduce((a, r) => a + r.byteLength, 0) };
}

test('an open page follows 5 updates of a catalog that grows and loses items: new items recommendable, vanished ones not, within the budget, downloads ≤ 1.2× what changed', async ({
  page,
  context,
}) => {
  const segments = Array.from({ length: STREAM_FIXTURE.segments }, (_, t) => segment(t));
  const server = await deployable(context, 'stream-live', segments[0]!);
  const url = '/models/stream-live/manifest.json';
  const user = 0; // a segment-0 user: every later segment keeps the earlier users at their indices
  const userId = segments[0]!.userIds[user]!;
  // Room for one table, not two: the largest version's table and half of it again.
  const budget = Math.ceil(1.5 * Math.max(...segments.map((s) => s.manifest.variants[0]!.bytes)));
  let vanishedInAll = 0;
  await openHarness(page);
  const first = await page.evaluate(
    async ({ url, budget, userId }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, budget, backend: 'wasm', wasmPaths: window.peel.wasmPaths, updates: 'within-budget' });
      (window as unknown as { held: typeof rec }).held = rec;
      const recs = await rec.recommend({ user: { id: userId }, k: 10 });
      await rec.persisted();
      return { hash: rec.info.model.contentHash, items: rec.items.ids.length, recs: recs.length };
    },
    { url, budget, userId },
  );
  expect(first).toEqual({ hash: segments[0]!.manifest.model.contentHash, items: segments[0]!.itemIds.length, recs: 10 });

  for (let t = 1; t < segments.length; t++) {
    const [prev, next] = [segments[t - 1]!, segments[t]!];
    server.sent.length = 0;
    server.current = next;
    const step = await page.evaluate(
      async ({ userId, previous }) => {
        const rec = (window as unknown as { held: Awaited<ReturnType<typeof window.peel.createRecommender>> }).held;
        // Resident bytes sampled through the switch, as often as the page's timers run.
        const samples: number[] = [];
        const timer = setInterval(() => samples.push(rec.info.residentBytes), 1);
        const check = await rec.checkForUpdate();
        clearInterval(timer);
        samples.push(rec.info.residentBytes);
        await rec.persisted();
        const fresh = await rec.recommend({ user: { id: userId }, k: 10, exclude: previous });
        const any = await rec.recommend({ user: { id: userId }, k: 20 });
        // Far more than the catalog: everything the page would ever recommend this user.
        const every = await rec.recommend({ user: { id: userId }, k: 100 * previous.length });
        const i = rec.info;
        return {
          check,
          hash: i.model.contentHash,
          ids: [...rec.items.ids],
          samples,
          fresh: fresh.map((r) => r.itemId),
          any: any.map((r) => r.itemId),
          every: every.map((r) => r.itemId),
          ownCount: i.downloadedBytes,
        };
      },
      { userId, previous: prev.itemIds },
    );
    // What the server sent for the update (each file answered at its whole size: an upper bound).
    const downloaded = server.sent.reduce((a, f) => a + f.bytes, 0);
    const { changed, full } = changedBytes(prev, next, user);
    const added = next.itemIds.filter((id) => !prev.itemIds.includes(id));
    const vanished = prev.itemIds.filter((id) => !next.itemIds.includes(id));
    vanishedInAll += vanished.length;

    expect(step.check).toEqual({ changed: true, contentHash: next.manifest.model.contentHash, updated: true });
    expect(step.hash).toBe(next.manifest.model.contentHash);
    // The version's catalog exactly: every new item, and nothing the version does not hold.
    expect(step.ids).toEqual(next.itemIds);
    expect(added.length).toBeGreaterThanOrEqual(10);
    // New items are recommendable: with every earlier item excluded, the top 10 are new items.
    expect(step.fresh).toHaveLength(10);
    expect(step.fresh.every((id) => added.includes(id))).toBe(true);
    expect(step.any.every((id) => next.itemIds.includes(id))).toBe(true);
    // Vanished items are not recommendable: gone from the page's catalog, and absent from a ranking of all of it.
    expect(step.ids.filter((id) => vanished.includes(id))).toEqual([]);
    expect(step.every.length).toBeGreaterThan(next.itemIds.length / 2);
    expect(step.every.filter((id) => vanished.includes(id))).toEqual([]);
    expect(step.every.every((id) => next.itemIds.includes(id))).toBe(true);
    expect(Math.max(...step.samples)).toBeLessThanOrEqual(budget);
    expect(step.samples.length).toBeGreaterThan(1);
    // The runtime's own count of the new version's download agrees with the server's, manifest aside.
    expect(step.ownCount).toBe(downloaded - next.manifestBytes);
    expect(downloaded).toBeGreaterThan(next.manifestBytes);
    expect(downloaded).toBeLessThanOrEqual(1.2 * changed);
    test.info().annotations.push({
      type: `segment ${t}`,
      description: `${added.length} new items, ${vanished.length} vanished (${next.itemIds.length} in all); downloaded ${downloaded} B (${server.sent.map((f) => f.file).join(', ')}), changed ${changed} B, whole version ${full} B; resident ≤ ${Math.max(...step.samples)} B of ${budget} B over ${step.samples.length} samples`,
    });
  }
  // The fixture's stream withdraws items: without vanished ones the checks above would pass vacuously.
  expect(vanishedInAll).toBeGreaterThan(0);
  await page.evaluate(() => (window as unknown as { held: { dispose(): Promise<void> } }).held.dispose());
});
