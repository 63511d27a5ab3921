/**
 * createRecommender on v3 artifacts (`mixed`, `sparse`: issue 20), on the cpu backend over a fake fetch and a fake
 * IndexedDB: the budget picks the variant through `selectTable`, only its files are downloaded (Range, verified),
 * they are cached and read back on a warm start, `setBudget` switches variant, and the top-k is the reference's.
 */
import { BudgetTooSmallError, IntegrityError, selectTable, type KindManifest } from '@peelrec/format';
import { describe, expect, it } from 'vitest';
import { OptionError, UserError, type Recommender } from '../src/index.js';
import { variantParts } from '../src/kind-loader.js';
import { buildKindFixture } from './fixtures/kind-artifact.js';
import { tracking } from './fixtures/tracked.js';
import { foldedReference, kindHarness, kindReference, selectedOnCpu } from './kind-helpers.js';

const { open, track } = tracking();
const K = 10;

/** Variant `i` of `m` counted as held on the cpu layouts (values widened to f32). */
const countedOnCpu = (m: KindManifest, i: number) => selectTable({ ...m, variants: [m.variants[i]!] } as KindManifest, Number.MAX_SAFE_INTEGER, { residentDtype: 'f32' }).bytes;

/** Every variant's counted bytes on the cpu layouts, smallest first. */
function budgetsOf(m: KindManifest): number[] {
  return m.variants.map((_, i) => countedOnCpu(m, i)).sort((a, b) => a - b);
}

/** The smallest budget that selects anything on the cpu layouts (mixed: one column of a variant, trimming being the default). */
const minimumOnCpu = (m: KindManifest) => selectedOnCpu(m, Number.MAX_SAFE_INTEGER).minimumBytes;

/** Requests for variant files (everything under tables/), as path and byte range. */
const tableRequests = (log: readonly { path: string; range?: [number, number] }[]) => log.filter((l) => l.path.startsWith('tables/'));

/**
 * The byte ranges [first, last] of the files of `rec`'s selection, adjacent ones merged (as one Range request
 * fetches them), less the refs whose SHA-256 is in `stored` (the store is content-addressed: a mixed variant's column
 * whose bytes another variant has, such as column 0 when both keep every item's first value, is read from it).
 */
function expectedRanges(m: KindManifest, rec: Recommender, stored: ReadonlySet<string> = new Set()): { path: string; range: [number, number] | undefined }[] {
  const out: { path: string; range: [number, number] | undefined }[] = [];
  const parts = variantParts(m, rec.info.table!).filter((p) => !stored.has(p.ref.sha256));
  for (const { ref } of parts.sort((a, b) => (a.ref.offset ?? 0) - (b.ref.offset ?? 0))) {
    const prev = out.at(-1);
    const range: [number, number] | undefined = ref.offset === undefined ? undefined : [ref.offset, ref.offset + ref.byteLength - 1];
    if (prev?.range && range && prev.path === ref.url && prev.range[1] + 1 === range[0]) prev.range = [prev.range[0], range[1]];
    else out.push({ path: ref.url, range });
  }
  return out;
}

describe.each(['mixed', 'sparse'] as const)('a %s artifact', (kind) => {
  it('each budget serves the variant selectTable picks for the cpu layout; resident bytes ≤ budget; only its files are fetched (Range) and the top-k is the reference', async () => {
    const h = await kindHarness({ kind });
    const m = h.fixture.manifest;
    const fullDim = m.dims.fullDim;
    const picked = new Set<number>();
    for (const budget of budgetsOf(m)) {
      const before = h.server.log.length;
      const rec = track(await h.open({ budget, storage: 'memory' }));
      const table = rec.info.table!;
      expect(table).toEqual(selectedOnCpu(m, budget));
      picked.add(table.variant);
      expect(rec.info.residentBytes).toBeGreaterThan(0);
      expect(rec.info.residentBytes).toBeLessThanOrEqual(budget);
      expect(rec.info.selection).toMatchObject({ userGroup: 0, bytes: table.bytes, fileBytes: table.fileBytes, blocks: [] });
      expect(rec.info).toMatchObject({ userGroup: 0, groupBlind: false });
      expect(tableRequests(h.server.log.slice(before))).toEqual(expectedRanges(m, rec).map((r) => ({ ...r, bytes: r.range ? r.range[1] - r.range[0] + 1 : table.fileBytes })));
      for (const u of [0, 7]) {
        const got = await rec.recommend({ user: { id: String(u) }, k: K });
        const ref = kindReference(m, h.fixture.files, table, h.fixture.userVectors.slice(u * fullDim, (u + 1) * fullDim), K);
        expect(got.map((r) => r.position)).toEqual(ref.map((r) => r.position));
        got.forEach((r, i) => expect(r.score).toBeCloseTo(ref[i]!.score, 4));
        expect(got[0]!.itemId).toBe(`item-${got[0]!.position}`);
      }
      await open.pop()!.dispose();
    }
    expect(picked.size).toBe(m.variants.length);
  });

  it('values are counted as the layout holds them: an f16 variant the cpu widens to f32 fits only at twice its file bytes, WASM holds it as stored', async () => {
    const h = await kindHarness({
      kind,
      variants: [
        { name: 'small-f16', fraction: 0.3, dtype: 'f16' },
        { name: 'full', fraction: 1, dtype: 'f32' },
      ],
    });
    const m = h.fixture.manifest;
    const f16 = m.variants[0]!;
    const widened = countedOnCpu(m, 0);
    expect(widened).toBeGreaterThan(f16.bytes);
    // Its stored bytes would fit a budget that counted the file; held as f32 they do not: a sparse variant is all or
    // nothing, so that explicit budget fails; of a mixed one a column prefix is held instead (trimming is the default).
    if (kind === 'sparse') {
      await expect(h.open({ budget: f16.bytes, storage: 'memory' })).rejects.toMatchObject({ name: 'BudgetTooSmallError', minimumBytes: widened, budgetBytes: f16.bytes });
    } else {
      const trimmed = track(await h.open({ budget: f16.bytes, storage: 'memory' }));
      expect(trimmed.info.table).toEqual(selectedOnCpu(m, f16.bytes));
      expect(trimmed.info.table).toMatchObject({ trimmed: true });
      expect(trimmed.info.residentBytes).toBeLessThanOrEqual(f16.bytes);
      await open.pop()!.dispose();
    }
    const rec = track(await h.open({ budget: widened, storage: 'memory' }));
    expect(rec.info.table).toMatchObject({ variant: 0, dtype: 'f16', bytes: widened, fileBytes: f16.bytes });
    expect(rec.info.residentBytes).toBeLessThanOrEqual(widened);
    await open.pop()!.dispose();
    // The WASM kernels hold f16 as stored: there the same variant is counted (and held) at its file bytes.
    const wasm = track(await h.open({ budget: f16.bytes, storage: 'memory', backend: 'wasm' }));
    expect(wasm.info.backend.name).toBe('wasm');
    expect(wasm.info.table).toMatchObject({ variant: 0, dtype: 'f16', bytes: f16.bytes, fileBytes: f16.bytes });
    expect(wasm.info.residentBytes).toBeLessThanOrEqual(f16.bytes);
    const fullDim = m.dims.fullDim;
    const user = h.fixture.userVectors.slice(0, fullDim);
    const got = await wasm.recommend({ user: { id: '0' }, k: K });
    expect(got.map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, wasm.info.table!, user, K).map((r) => r.position));
  });

  it('a budget below the smallest candidate (mixed: one column) is BudgetTooSmallError when the app gave it; storage too small for any serves from memory', async () => {
    const h = await kindHarness({ kind });
    const m = h.fixture.manifest;
    const smallest = minimumOnCpu(m);
    if (kind === 'mixed') expect(smallest).toBeLessThan(budgetsOf(m)[0]!);
    else expect(smallest).toBe(budgetsOf(m)[0]!);
    const error = await h.open({ budget: smallest - 1, storage: 'memory' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetTooSmallError);
    expect(error).toMatchObject({ budgetBytes: smallest - 1, minimumBytes: smallest });
    // Half a 100-byte quota holds no variant: the load stops persisting, and deviceMemory's 64 MiB then decides.
    const rec = track(await h.open({ budgetInputs: { deviceMemory: 4, storage: { quota: 100, usage: 0 } } }));
    expect(rec.info.storage).toMatchObject({ mode: 'memory', reason: expect.stringContaining('cannot hold the smallest selection') });
    expect(rec.info.budget.decidedBy).toBe('deviceMemory');
    expect(rec.info.table).toEqual(selectedOnCpu(m, rec.info.budget.bytes));
  });

  it('users: known ids by their stored vector, a history through fold-in (the mean of its items as the variant stores them), never recommended back; one user group only', async () => {
    const h = await kindHarness({ kind, userIds: true });
    const m = h.fixture.manifest;
    const rec = track(await h.open({ budget: budgetsOf(m)[1]!, storage: 'memory' }));
    const table = rec.info.table!;
    expect(await rec.users()).toEqual(Array.from({ length: m.users.count }, (_, u) => `user-${u}`));
    const fullDim = m.dims.fullDim;
    const known = await rec.recommend({ user: { id: 'user-4' }, k: K });
    expect(known.map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, table, h.fixture.userVectors.slice(4 * fullDim, 5 * fullDim), K).map((r) => r.position));
    const history = [3, 17, 40, 99];
    const folded = foldedReference(m, h.fixture.files, table, history);
    const got = await rec.recommend({ user: { history: history.map((p) => `item-${p}`) }, k: K });
    expect(got.map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, table, folded, K, history).map((r) => r.position));
    for (const r of got) expect(history).not.toContain(r.position);
    const withHistory = await rec.recommend({ user: { history: history.map((p) => `item-${p}`) }, k: K, excludeHistory: false });
    expect(withHistory.map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, table, folded, K).map((r) => r.position));
    const vector = Array.from(h.fixture.userVectors.slice(0, fullDim));
    expect((await rec.recommend({ user: { vector, group: 0 }, k: 3 })).map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, table, vector, 3).map((r) => r.position));
    await expect(rec.recommend({ user: { vector, group: 1 } })).rejects.toBeInstanceOf(UserError);
    await expect(rec.recommend({ user: { history: ['nope'] } })).rejects.toBeInstanceOf(UserError);
    await expect(rec.recommend({ user: { id: 'user-999' } })).rejects.toBeInstanceOf(UserError);
    await expect(h.open({ storage: 'memory', userGroup: 1 })).rejects.toBeInstanceOf(OptionError);
    await expect(h.open({ storage: 'memory', user: { vector, group: 2 } })).rejects.toBeInstanceOf(UserError);
  });

  it('setBudget switches variant without a reload: growing downloads only the new variant, shrinking back reads IndexedDB, a budget too small changes nothing', async () => {
    const h = await kindHarness({ kind });
    const m = h.fixture.manifest;
    const [small, , large] = budgetsOf(m) as [number, number, number];
    const rec = track(await h.open({ budget: small }));
    const first = rec.info.table!;
    const stored = new Set(variantParts(m, first).map((p) => p.ref.sha256));
    await rec.persisted();
    const selections: number[] = [];
    rec.on('selection', (e) => selections.push(e.table!.variant));
    let before = h.server.log.length;
    const grown = await rec.setBudget(large);
    expect(grown.table).toEqual(selectedOnCpu(m, large));
    expect(grown.table!.variant).not.toBe(first.variant);
    expect(grown.residentBytes).toBeLessThanOrEqual(large);
    const fetched = expectedRanges(m, rec, stored);
    expect(fetched.length).toBeGreaterThan(0);
    expect(tableRequests(h.server.log.slice(before))).toEqual(fetched.map((r) => expect.objectContaining(r)));
    const fullDim = m.dims.fullDim;
    const user = h.fixture.userVectors.slice(fullDim, 2 * fullDim);
    expect((await rec.recommend({ user: { id: '1' }, k: K })).map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, grown.table!, user, K).map((r) => r.position));
    await rec.persisted();
    before = h.server.log.length;
    const shrunk = await rec.setBudget(small);
    expect(shrunk.table).toEqual(first);
    // The old variant was released: what is resident is the small one's bytes again.
    expect(shrunk.residentBytes).toBeLessThanOrEqual(small);
    expect(h.server.log.length).toBe(before); // read back from IndexedDB
    expect((await rec.recommend({ user: { id: '1' }, k: K })).map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, first, user, K).map((r) => r.position));
    await expect(rec.setBudget(minimumOnCpu(m) - 1)).rejects.toBeInstanceOf(BudgetTooSmallError);
    expect(rec.info.table).toEqual(first);
    expect(rec.info.budget.bytes).toBe(small);
    expect(selections).toEqual([grown.table!.variant, first.variant]);
  });

  it("with storage 'memory' only the resident variant is held: setBudget back to a variant fetched before downloads it again, and resident bytes stay within each budget", async () => {
    const h = await kindHarness({ kind });
    const m = h.fixture.manifest;
    const [small, , large] = budgetsOf(m) as [number, number, number];
    let before = h.server.log.length;
    const rec = track(await h.open({ budget: small, storage: 'memory' }));
    const first = rec.info.table!;
    const smallFiles = expectedRanges(m, rec).map((r) => expect.objectContaining(r));
    expect(tableRequests(h.server.log.slice(before))).toEqual(smallFiles);
    const grown = await rec.setBudget(large);
    expect(grown.table!.variant).not.toBe(first.variant);
    expect(grown.residentBytes).toBeLessThanOrEqual(large);
    // Back to the small budget: the small variant's files again, every one of them, from the network.
    before = h.server.log.length;
    const shrunk = await rec.setBudget(small);
    expect(shrunk.table).toEqual(first);
    expect(shrunk.residentBytes).toBeLessThanOrEqual(small);
    expect(tableRequests(h.server.log.slice(before))).toEqual(smallFiles);
    expect(rec.info.storage).toMatchObject({ mode: 'memory', storedBytes: 0 });
    const user = h.fixture.userVectors.slice(0, m.dims.fullDim);
    expect((await rec.recommend({ user: { id: '0' }, k: K })).map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, first, user, K).map((r) => r.position));
  });

  it('a warm start serves from IndexedDB: no request for table bytes, the same recommendations', async () => {
    const h = await kindHarness({ kind });
    const budget = budgetsOf(h.fixture.manifest)[1]!;
    const cold = track(await h.open({ budget }));
    const recs = await cold.recommend({ user: { id: '2' }, k: K });
    await cold.persisted();
    await open.pop()!.dispose();
    const before = h.server.log.length;
    const warm = track(await h.open({ budget }));
    expect(warm.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0, table: cold.info.table });
    expect(warm.info.cachedBytes).toBeGreaterThanOrEqual(warm.info.table!.fileBytes);
    expect(await warm.recommend({ user: { id: '2' }, k: K })).toEqual(recs);
    expect(tableRequests(h.server.log.slice(before))).toEqual([]);
  });

  it('variant bytes are checked before use: a corrupted range is fetched once more, then IntegrityError', async () => {
    const h = await kindHarness({ kind });
    const table = h.fixture.manifest.variants[0]!;
    const url = ('file' in table ? table.file : table.columns[0]!.file).url;
    const integrity: string[] = [];
    h.server.fault = (path, attempt) => (path === url && attempt === 0 ? 'corrupt' : undefined);
    const budget = budgetsOf(h.fixture.manifest)[0]!;
    const rec = track(await h.open({ budget, storage: 'memory', on: { integrity: (e) => integrity.push(e.file) } }));
    expect(integrity.length).toBeGreaterThan(0);
    expect(rec.info.table!.variant).toBe(0);
    h.server.fault = (path) => (path === url ? 'corrupt' : undefined);
    await expect(h.open({ budget, storage: 'memory' })).rejects.toBeInstanceOf(IntegrityError);
  });

  it('versions never mix: network-first loads the new version tables; cache-first serves the stored one, then swaps to the new one whole', async () => {
    const h = await kindHarness({ kind, modelId: 'v1' });
    const budget = budgetsOf(h.fixture.manifest).at(-1)!;
    const v1 = track(await h.open({ budget }));
    await v1.persisted();
    await open.pop()!.dispose();
    const next = await buildKindFixture({ kind, modelId: 'v2', shift: 0.5 });
    h.publish(next);
    const fullDim = next.manifest.dims.fullDim;
    const fresh = track(await h.open({ budget, freshness: 'network-first' }));
    expect(fresh.info.model.contentHash).toBe(next.manifest.model.contentHash);
    expect(fresh.info.downloadedBytes).toBeGreaterThanOrEqual(fresh.info.table!.fileBytes);
    const user = next.userVectors.slice(0, fullDim);
    const want = kindReference(next.manifest, next.files, fresh.info.table!, user, K).map((r) => r.position);
    expect((await fresh.recommend({ user: { vector: user, group: 0 }, k: K })).map((r) => r.position)).toEqual(want);
    await open.pop()!.dispose();

    // Back to v1 on the server, stored v2 as current: cache-first serves v2, then loads and swaps to v1 whole.
    const h1 = await buildKindFixture({ kind, modelId: 'v1' });
    h.publish(h1);
    const swapped: string[] = [];
    const rec = track(await h.open({ budget, on: { updated: (e) => swapped.push(e.to.contentHash) } }));
    expect(rec.info).toMatchObject({ manifestSource: 'cache', model: { contentHash: next.manifest.model.contentHash } });
    expect((await rec.recommend({ user: { vector: user, group: 0 }, k: K })).map((r) => r.position)).toEqual(want);
    await expect.poll(() => swapped, { timeout: 10_000 }).toEqual([h1.manifest.model.contentHash]);
    const oldUser = h1.userVectors.slice(0, fullDim);
    expect((await rec.recommend({ user: { vector: oldUser, group: 0 }, k: K })).map((r) => r.position)).toEqual(
      kindReference(h1.manifest, h1.files, rec.info.table!, oldUser, K).map((r) => r.position),
    );
  });
});

describe('a mixed artifact, trimmed (the default selection)', () => {
  it('a budget between two variants holds a column prefix of the larger one: only its permutation and kept columns are fetched (one Range), within the budget, with the reference top-k over the kept columns', async () => {
    const h = await kindHarness({ kind: 'mixed' });
    const m = h.fixture.manifest;
    const [, middle, large] = budgetsOf(m) as [number, number, number];
    const budget = Math.floor((middle + large) / 2);
    const whole = selectTable(m, budget, { residentDtype: 'f32', trim: false });
    const rec = track(await h.open({ budget, storage: 'memory' }));
    const table = rec.info.table!;
    expect(table).toEqual(selectedOnCpu(m, budget));
    expect(table).toMatchObject({ trimmed: true, variant: m.variants.findIndex((_, i) => countedOnCpu(m, i) === large) });
    const variant = m.variants[table.variant]!;
    expect(table.columns).toBeLessThan('columns' in variant ? variant.columns.length : 0);
    // It holds more than falling back to the next smaller whole variant would.
    expect(table.bytes).toBeGreaterThan(whole.bytes);
    expect(rec.info.residentBytes).toBeGreaterThan(whole.bytes);
    expect(rec.info.residentBytes).toBeLessThanOrEqual(budget);
    const requests = tableRequests(h.server.log);
    expect(requests).toEqual(expectedRanges(m, rec).map((r) => ({ ...r, bytes: table.fileBytes })));
    expect(requests).toHaveLength(1);
    const fullDim = m.dims.fullDim;
    for (const u of [0, 5]) {
      const user = h.fixture.userVectors.slice(u * fullDim, (u + 1) * fullDim);
      const got = await rec.recommend({ user: { id: String(u) }, k: K });
      const ref = kindReference(m, h.fixture.files, table, user, K);
      expect(got.map((r) => r.position)).toEqual(ref.map((r) => r.position));
      got.forEach((r, i) => expect(r.score).toBeCloseTo(ref[i]!.score, 4));
    }
  });

  it('setBudget between a trimmed prefix and the whole of the same variant fetches only the missing columns, and shrinking back fetches nothing', async () => {
    const h = await kindHarness({ kind: 'mixed' });
    const m = h.fixture.manifest;
    const large = budgetsOf(m).at(-1)!;
    const trimmedBudget = large - 1;
    const rec = track(await h.open({ budget: trimmedBudget }));
    const trimmed = rec.info.table!;
    const variant = m.variants[trimmed.variant]!;
    if (!('columns' in variant)) throw new Error('a mixed fixture has mixed variants');
    expect(trimmed).toMatchObject({ trimmed: true, columns: variant.columns.length - 1 });
    expect(rec.info.residentBytes).toBeLessThanOrEqual(trimmedBudget);
    await rec.persisted();
    const selections: { variant: number; columns: number | undefined }[] = [];
    rec.on('selection', (e) => selections.push({ variant: e.table!.variant, columns: e.table!.columns }));

    let before = h.server.log.length;
    const grown = await rec.setBudget(large);
    expect(grown.table).toMatchObject({ variant: trimmed.variant, trimmed: false, columns: variant.columns.length });
    expect(grown.residentBytes).toBeGreaterThan(trimmed.bytes);
    expect(grown.residentBytes).toBeLessThanOrEqual(large);
    // Only the column the prefix lacked: one Range request for its bytes, none for the permutation or the held columns.
    const missing = variant.columns.at(-1)!.file;
    expect(tableRequests(h.server.log.slice(before))).toEqual([{ path: missing.url, range: [missing.offset!, missing.offset! + missing.byteLength - 1], bytes: missing.byteLength }]);
    const fullDim = m.dims.fullDim;
    const user = h.fixture.userVectors.slice(3 * fullDim, 4 * fullDim);
    expect((await rec.recommend({ user: { id: '3' }, k: K })).map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, grown.table!, user, K).map((r) => r.position));
    await rec.persisted();

    before = h.server.log.length;
    const shrunk = await rec.setBudget(trimmedBudget);
    expect(shrunk.table).toEqual(trimmed);
    expect(shrunk.residentBytes).toBeLessThanOrEqual(trimmedBudget);
    expect(h.server.log.length).toBe(before); // every kept column is read back from IndexedDB
    expect((await rec.recommend({ user: { id: '3' }, k: K })).map((r) => r.position)).toEqual(kindReference(m, h.fixture.files, trimmed, user, K).map((r) => r.position));
    expect(selections).toEqual([
      { variant: trimmed.variant, columns: variant.columns.length },
      { variant: trimmed.variant, columns: trimmed.columns },
    ]);
  });
});
