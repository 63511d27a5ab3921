/**
 * Dynamic budget: shrink then grow in the middle of a session. Resident
 * bytes and the selection follow at once, tf.memory() shows no leaked
 * tensor, and the results equal those of a fresh start at the same budget.
 */
import { expect, test } from '@playwright/test';
import { countServed, fixture, manifestUrlOf, openHarness, relativeTo, topKMismatches } from './support.js';

const MODEL = 'synthetic';

test('shrink then grow mid-session: memory and selection follow, no tensor leaks, results match a fresh start', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[3]!;
  const served = await countServed(context, `/models/${MODEL}/`);
  await openHarness(page);
  const r = await page.evaluate(
    async ({ url, user }) => {
      const { createRecommender, format, wasmPaths, tfMemory } = window.peel;
      const snap = (rec: Awaited<ReturnType<typeof createRecommender>>) => ({
        budget: rec.info.budget.bytes,
        selected: rec.info.selection.bytes,
        blocks: rec.info.selection.blocks.length,
        fileBytes: rec.info.selection.fileBytes,
        dtype: rec.info.selection.dtype,
        resident: rec.info.residentBytes,
        tensors: tfMemory().numTensors,
        tfBytes: tfMemory().numBytes,
      });
      const ranked = async (rec: Awaited<ReturnType<typeof createRecommender>>) => (await rec.recommend({ user: { id: user }, k: 20 })).map((x) => ({ position: x.position, score: x.score }));

      const m = format.parseManifest(await fetch(url).then((x) => x.json()));
      const full = format.fullTableBytes(m, 'f32');
      const big = full;
      // 15 %: the SDK sample exports i8 too, whose whole table (a quarter of f32's) would fit in 30 %.
      const small = Math.round(full * 0.15);

      // In-thread (worker: false): the test counts this page's tfjs tensors, which a worker's recommender does not use.
      const rec = await createRecommender({ manifestUrl: url, budget: big, backend: 'wasm', storage: 'indexeddb', wasmPaths, user: { id: user }, worker: false });
      const atBig = await ranked(rec);
      const s0 = snap(rec);
      await rec.persisted();
      await rec.setBudget(small);
      const s1 = snap(rec);
      const atSmall = await ranked(rec);
      await rec.setBudget(big);
      const s2 = snap(rec);
      const atBigAgain = await ranked(rec);
      // Repeated cycles must not accumulate tensors.
      for (let i = 0; i < 3; i++) {
        await rec.setBudget(small);
        await rec.recommend({ user: { id: user }, k: 20 });
        await rec.setBudget(big);
        await rec.recommend({ user: { id: user }, k: 20 });
      }
      const s3 = snap(rec);
      await rec.dispose();
      const afterDispose = tfMemory().numTensors;

      const fresh = await createRecommender({ manifestUrl: url, budget: small, backend: 'wasm', storage: 'memory', wasmPaths, user: { id: user }, worker: false });
      const freshSmall = await ranked(fresh);
      const sf = snap(fresh);
      await fresh.dispose();
      return { big, small, s0, s1, s2, s3, afterDispose, sf, atBig, atSmall, atBigAgain, freshSmall };
    },
    { url: manifestUrlOf(MODEL), user },
  );
  test.info().annotations.push({ type: 'snapshots', description: JSON.stringify({ s0: r.s0, s1: r.s1, s2: r.s2, s3: r.s3, sf: r.sf, afterDispose: r.afterDispose }) });

  // Shrink: the selection and the resident bytes drop under the new budget at once.
  expect(r.s1.selected).toBeLessThanOrEqual(r.small);
  expect(r.s1.resident).toBeLessThanOrEqual(r.small);
  expect(r.s1.blocks).toBeLessThan(r.s0.blocks);
  expect(r.s1.tfBytes).toBeLessThan(r.s0.tfBytes);
  // Grow: back to the same selection and memory as before; cycles leak nothing.
  expect(r.s2.blocks).toBe(r.s0.blocks);
  expect(r.s2.resident).toBe(r.s0.resident);
  expect(r.s2.tensors).toBe(r.s0.tensors);
  expect(r.s3.tensors).toBe(r.s0.tensors);
  expect(r.s3.tfBytes).toBe(r.s0.tfBytes);
  expect(r.afterDispose).toBeLessThan(r.s0.tensors);
  // Results: grown == the start; shrunk == a fresh start at the small budget; and shrinking changed something.
  expect(topKMismatches(r.atBigAgain, r.atBig)).toEqual([]);
  expect(r.sf.blocks).toBe(r.s1.blocks);
  expect(topKMismatches(r.atSmall, r.freshSmall)).toEqual([]);
  expect(r.atSmall.map((x) => x.score)).not.toEqual(r.atBig.map((x) => x.score));

  // Every block was downloaded once in this page (plus the fresh memory-mode start): growing back and the later
  // cycles read IndexedDB (or the writes still queued). Shrinking downloads only when it changes the encoding
  // ('auto' picks f16 or i8 below the full table where blocks stay as stored in memory): then its files once.
  const blockBytes = served.filter((s) => fx.blockFiles.has(relativeTo(MODEL, s.path))).reduce((n, s) => n + s.bytes, 0);
  expect(blockBytes).toBe(r.s0.fileBytes + (r.s1.dtype !== r.s0.dtype ? r.s1.fileBytes : 0) + r.sf.fileBytes);
});
