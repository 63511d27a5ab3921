import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { assertPeelManifest, refName, type FileRef } from '@peelrec/format';
import { BudgetTooSmallError, DisposedError, IntegrityError, ManifestError, UserError, AbortError, type Recommender, type RecommenderEvents } from '../src/index.js';
import { harness, reference } from './helpers.js';
import type { ServedFetch } from './fixtures/serve.js';

/** Bytes served for block files since log entry `from`, and whether each request was a byte range. */
const blockTraffic = (s: ServedFetch, from = 0) => s.log.slice(from).filter((l) => l.path.startsWith('blocks/') && !l.path.endsWith('.json'));
/** The byte ranges of `refs` ([first, last], inclusive), adjacent ones merged: what a minimal download asks for. */
function mergedRanges(refs: readonly FileRef[]): string[] {
  const out: { url: string; a: number; b: number }[] = [];
  for (const r of [...refs].sort((x, y) => (x.url < y.url ? -1 : x.url > y.url ? 1 : x.offset! - y.offset!))) {
    const last = out.at(-1);
    if (last && last.url === r.url && last.b + 1 === r.offset) last.b += r.byteLength;
    else out.push({ url: r.url, a: r.offset!, b: r.offset! + r.byteLength - 1 });
  }
  return out.map((r) => `${r.url} ${r.a}-${r.b}`);
}

const open: Recommender[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});
const track = (r: Recommender) => (open.push(r), r);

// Default fixture: 60 items × 16 dims (4 blocks of 4), item groups of 10/20/30, 2 user groups.
const FULL = 60 * 16 * 4; // one user group's whole table, f32
const MIN = 60 * 4 * 4; // one block per item group

describe('scoring agrees with scoreReference (cpu backend)', () => {
  it.each([
    [MIN, true],
    [1500, true],
    [2500, true],
    [FULL, true],
    [2500, false],
  ])('budget %i (packed blocks: %s): top-k of shard users and app vectors', async (budget, packed) => {
    const h = await harness({ packed });
    const rec = track(await h.open({ budget, storage: 'memory' }));
    expect(rec.info.backend.name).toBe('cpu');
    expect(rec.info.residentBytes).toBeLessThanOrEqual(budget);
    expect(rec.info.residentBytes).toBe(rec.info.selection.bytes);
    for (let u = 0; u < 10; u += 2) {
      const vector = h.fixture.userVectors.subarray(u * 16, (u + 1) * 16);
      const group = h.fixture.userGroups[u]!;
      const got = await rec.recommend({ user: { id: String(u) }, k: 10 });
      expect(rec.info.userGroup).toBe(group);
      const want = reference(rec, h.fixture.files, vector, 10);
      expect(got.map((r) => r.position)).toEqual(want.map((r) => r.position));
      got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 4));
      expect(got[0]!.itemId).toBe(h.fixture.itemIds[got[0]!.position]);
      expect(got[0]!.meta).toEqual({ name: `Item ${got[0]!.position}`, category: `cat-${got[0]!.position % 3}` });
      const byVector = await rec.recommend({ user: { vector, group }, k: 10 });
      expect(byVector.map((r) => r.position)).toEqual(want.map((r) => r.position));
    }
  });

  it('full budget equals the dot product with the whole refined table times the renormalised weights', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory', dtype: 'f32' }));
    expect(rec.info.selection.blocks).toHaveLength(3 * 4);
    const vector = h.fixture.userVectors.subarray(0, 16);
    const scores = (await rec.recommend({ user: { vector, group: 0 }, k: 60 })).sort((a, b) => a.position - b.position);
    const w = new Map(rec.info.selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
    const groupOf = (p: number) => (p < 10 ? 0 : p < 30 ? 1 : 2);
    for (const r of scores) {
      let s = 0;
      for (let d = 0; d < 16; d++) s += w.get(`${groupOf(r.position)}/${d >> 2}`)! * vector[d]! * h.fixture.tables[0]![r.position * 16 + d]!;
      expect(r.score).toBeCloseTo(s, 4);
    }
  });

  it('excludes ids and returns deterministic, sorted results', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory' }));
    const all = await rec.recommend({ user: { id: '3' }, k: 5 });
    const next = await rec.recommend({ user: { id: '3' }, k: 5, exclude: [all[0]!.itemId, all[2]!.itemId, 'not-an-item'] });
    expect(next.map((r) => r.itemId)).not.toContain(all[0]!.itemId);
    expect(next.map((r) => r.itemId)).not.toContain(all[2]!.itemId);
    expect(next[0]!.itemId).toBe(all[1]!.itemId);
    for (let i = 1; i < next.length; i++) expect(next[i - 1]!.score).toBeGreaterThanOrEqual(next[i]!.score);
    await expect(rec.recommend({ user: { id: '3' }, k: 0 })).rejects.toMatchObject({ name: 'OptionError', option: 'k', value: 0 });
  });

  it('leaks no tensors across 1,000 calls', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: 2500, storage: 'memory' }));
    await rec.recommend({ user: { id: '0' }, k: 10 });
    const before = tf.memory();
    // Users of group 0 only: a group switch rebuilds the tensors (a different, not a leaked, set).
    for (let i = 0; i < 1000; i++) await rec.recommend({ user: { id: String((i % 5) * 2) }, k: 10, exclude: ['item-1'] });
    expect(rec.info.userGroup).toBe(0);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});

describe('budgets', () => {
  it('downloads only the selected blocks: packed, their byte ranges in one request; else one file each', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: MIN, storage: 'memory' }));
    const refs = rec.info.selection.blocks.map((b) => b.file);
    expect(refs).toHaveLength(3);
    const traffic = blockTraffic(h.server);
    // The three top blocks lead the pack (selection order): one Range request for exactly their bytes.
    expect(traffic.map((l) => `${l.path} ${l.range![0]}-${l.range![1]}`)).toEqual(mergedRanges(refs));
    expect(traffic).toHaveLength(1);
    expect(traffic.reduce((n, l) => n + l.bytes, 0)).toBe(rec.info.selection.fileBytes);
    expect(h.server.requests.filter((p) => p.startsWith('users/'))).toEqual([]);
    // No user named: the group-blind plan takes every group's block table (and the blocks of one group only).
    expect(h.server.requests.filter((p) => p.endsWith('.json') && p.startsWith('blocks/'))).toEqual(h.fixture.manifest.blockTables.map((t) => t.url));

    const u = await harness({ packed: false });
    const rec2 = track(await u.open({ budget: MIN, storage: 'memory' }));
    expect(
      blockTraffic(u.server)
        .map((l) => l.path)
        .sort(),
    ).toEqual(rec2.info.selection.blocks.map((b) => b.file.url).sort());
  });

  it('works with a server that ignores Range: one whole-file response serves every range of that file', async () => {
    const h = await harness();
    h.server.ranges = false;
    const rec = track(await h.open({ budget: 2500, storage: 'memory', dtype: 'f32', concurrency: 4 }));
    const traffic = blockTraffic(h.server);
    expect(traffic.map((l) => l.path)).toEqual(['blocks/u0.f32.bin']);
    const vector = h.fixture.userVectors.subarray(0, 16);
    const got = await rec.recommend({ user: { vector, group: 0 }, k: 10 });
    expect(got.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 10).map((r) => r.position));
  });

  it('setBudget shrinks at once and grows by fetching only the new blocks', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory', dtype: 'f32' }));
    const tensorsFull = tf.memory().numBytes;
    const events: RecommenderEvents['selection'][] = [];
    rec.on('selection', (e) => events.push(e));
    const requestsBefore = h.server.requests.length;
    await rec.setBudget(MIN);
    expect(rec.info.residentBytes).toBe(MIN);
    expect(tf.memory().numBytes).toBe(tensorsFull - (FULL - MIN));
    expect(h.server.requests.length).toBe(requestsBefore); // shrinking needs no network
    expect(rec.info.budget).toMatchObject({ bytes: MIN, decidedBy: 'override' });
    const vector = h.fixture.userVectors.subarray(0, 16);
    const small = await rec.recommend({ user: { vector, group: 0 }, k: 8 });
    expect(small.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 8).map((r) => r.position));

    const kept = new Set(rec.info.selection.blocks.map((b) => refName(b.file)));
    const logBefore = h.server.log.length;
    await rec.setBudget(2500);
    const added = rec.info.selection.blocks.map((b) => b.file).filter((f) => !kept.has(refName(f)));
    expect(added.length).toBeGreaterThan(0);
    // Exactly the new blocks' bytes, in the merged ranges of those blocks.
    expect(blockTraffic(h.server, logBefore).map((l) => `${l.path} ${l.range![0]}-${l.range![1]}`)).toEqual(mergedRanges(added));
    expect(rec.info.residentBytes).toBeLessThanOrEqual(2500);
    const grown = await rec.recommend({ user: { vector, group: 0 }, k: 8 });
    expect(grown.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 8).map((r) => r.position));
    expect(events.map((e) => e.residentBytes)).toEqual([MIN, rec.info.residentBytes]);
  });

  it('a budget below the minimum fails with BudgetTooSmallError naming the minimum, and setBudget keeps the old state', async () => {
    const h = await harness();
    await expect(h.open({ budget: MIN - 1, storage: 'memory' })).rejects.toMatchObject({ name: 'BudgetTooSmallError', minimumBytes: MIN });
    const rec = track(await h.open({ budget: 2000, storage: 'memory' }));
    const before = rec.info.selection;
    await expect(rec.setBudget(100)).rejects.toBeInstanceOf(BudgetTooSmallError);
    expect(rec.info.selection).toBe(before);
    expect(rec.info.residentBytes).toBe(before.bytes);
    await expect(rec.recommend({ user: { id: '1' }, k: 3 })).resolves.toHaveLength(3);
  });

  it("'auto' applies the device policy and says what decided it", async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: 'auto', storage: 'memory', budgetInputs: { deviceMemory: undefined } }));
    expect(rec.info.budget.decidedBy).toBe('default');
    expect(rec.info.budget.bytes).toBe(16 * 1024 * 1024);
    expect(rec.info.selection.blocks).toHaveLength(12); // everything fits
  });
});

describe('manifest and encodings', () => {
  it('retries a transient manifest failure, and reports a persistent one as DownloadError', async () => {
    const h = await harness();
    h.server.fault = (path, n) => (path === 'manifest.json' && n === 0 ? 'http500' : undefined);
    const rec = track(await h.open({ storage: 'memory' }));
    expect(rec.info.manifestSource).toBe('network');
    expect(h.server.requests.filter((p) => p === 'manifest.json')).toHaveLength(2);
    h.server.fault = (path) => (path === 'manifest.json' ? 'http404' : undefined);
    await expect(h.open({ storage: 'memory' })).rejects.toMatchObject({ name: 'DownloadError', status: 404 });
  });

  it('f16 downloads half the bytes, stays within the f32-counted budget and agrees with the reference', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: 2000, storage: 'memory', dtype: 'f16' }));
    const sel = rec.info.selection;
    expect(sel.dtype).toBe('f16');
    expect(sel.fileBytes * 2).toBe(sel.bytes);
    expect(rec.info.residentBytes).toBe(sel.bytes);
    expect(rec.info.residentBytes).toBeLessThanOrEqual(2000);
    const vector = h.fixture.userVectors.subarray(0, 16);
    const got = await rec.recommend({ user: { vector, group: 0 }, k: 15 });
    const want = reference(rec, h.fixture.files, vector, 15);
    expect(got.map((r) => r.position)).toEqual(want.map((r) => r.position));
  });
});

describe('users', () => {
  it('fetches only the shard holding an { id } user, verified', async () => {
    const h = await harness({ users: 10, usersPerShard: 4 });
    const rec = track(await h.open({ budget: FULL, storage: 'memory' }));
    await rec.recommend({ user: { id: '5' }, k: 3 });
    expect(h.server.requests.filter((p) => p.startsWith('users/'))).toEqual(['users/shard-1.bin']);
    await rec.recommend({ user: { id: '6' }, k: 3 });
    expect(h.server.requests.filter((p) => p.startsWith('users/'))).toEqual(['users/shard-1.bin']);
    await expect(rec.recommend({ user: { id: '10' }, k: 3 })).rejects.toBeInstanceOf(UserError);
    const short = await rec.recommend({ user: { vector: [1, 2], group: 0 }, k: 3 }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(UserError);
    expect(short).toMatchObject({ name: 'UserError', message: 'user vector has 2 dims, expected 16' });
    await expect(rec.recommend({ user: { vector: new Float32Array(16), group: 7 }, k: 3 })).rejects.toThrow(/group 7/);
  });

  it('prepares for a given user at creation: their group is loaded first', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: 2000, storage: 'memory', user: { id: '1' } }));
    expect(rec.info.userGroup).toBe(1);
    const blocksBefore = h.server.requests.filter((p) => p.startsWith('blocks/')).length;
    await rec.recommend({ user: { id: '1' }, k: 5 });
    expect(h.server.requests.filter((p) => p.startsWith('blocks/')).length).toBe(blocksBefore); // no group switch needed
    expect(h.server.requests.filter((p) => p.startsWith('blocks/')).every((p) => p.startsWith('blocks/u1.'))).toBe(true);
  });

  it('switches the resident user group when a user of another group is scored', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: 2000, storage: 'memory', userGroup: 0 }));
    expect(rec.info.userGroup).toBe(0);
    const vector = h.fixture.userVectors.subarray(16, 32); // user 1 is in group 1
    const got = await rec.recommend({ user: { id: '1' }, k: 10 });
    expect(rec.info.userGroup).toBe(1);
    expect(rec.info.residentBytes).toBeLessThanOrEqual(2000);
    expect(got.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 10).map((r) => r.position));
  });

  it.each(['indexeddb', 'memory'] as const)('storage %s: a user group whose blocks are byte-identical to the resident group’s switches without downloading them', async (storage) => {
    // The writer packs identical user groups once, and the scorer reuses resident blocks whose files have the
    // same SHA-256 (with IndexedDB the stored files would serve them too).
    const h = await harness({ sharedTable: true });
    expect(new Set(h.fixture.manifest.blocks.flatMap((b) => b.files.map((f) => f.url)))).toEqual(new Set(['blocks/u0.f32.bin', 'blocks/u0.f16.bin']));
    const rec = track(await h.open({ budget: 2000, userGroup: 0, storage }));
    expect(blockTraffic(h.server)).toHaveLength(1);
    const before = h.server.log.length;
    const vector = h.fixture.userVectors.subarray(16, 32); // user 1 is in group 1
    const got = await rec.recommend({ user: { id: '1' }, k: 10 });
    expect(rec.info.userGroup).toBe(1);
    expect(blockTraffic(h.server, before)).toEqual([]);
    expect(got.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 10).map((r) => r.position));
  });

  it("groupBlind: false folds a { history } user in on the device, assigns the nearest centroid and scores with that group's table", async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory', dtype: 'f32', groupBlind: false }));
    const history = ['item-3', 'item-17', 'item-40', 'unknown-item'];
    const requestsBefore = h.server.requests.length;
    const got = await rec.recommend({ user: { history }, k: 10 });
    // The fold-in: mean of the history items' rows of the resident group's table.
    const g = rec.info.userGroup;
    const table = h.fixture.tables[g]!;
    const mean = Array.from({ length: 16 }, (_, d) => [3, 17, 40].reduce((s, p) => s + table[p * 16 + d]!, 0) / 3);
    const dist = assertPeelManifest(rec.manifest).userGroups.centroids.map((c) => c.reduce((s, v, d) => s + (v - mean[d]!) ** 2, 0));
    expect(g).toBe(dist.indexOf(Math.min(...dist)));
    const want = reference(rec, h.fixture.files, mean, 10, [3, 17, 40]);
    expect(got.map((r) => r.position)).toEqual(want.map((r) => r.position));
    // No history item was excluded by accident, and the history never went out: no new requests carry it.
    for (const p of h.server.requests.slice(requestsBefore)) expect(p).not.toMatch(/item-/);
    const withHistory = await rec.recommend({ user: { history }, k: 60, excludeHistory: false });
    expect(withHistory.map((r) => r.itemId)).toContain('item-3');
    await expect(rec.recommend({ user: { history: ['nope'] }, k: 3 })).rejects.toBeInstanceOf(UserError);
  });
});

describe('integrity, errors and abort', () => {
  it('refetches a block that fails its hash once, never using the bad bytes', async () => {
    const h = await harness();
    const integrity: RecommenderEvents['integrity'][] = [];
    let corrupted = '';
    h.server.fault = (path, n) => (path.startsWith('blocks/') && path.endsWith('.bin') && !corrupted && n === 0 ? ((corrupted = path), 'corrupt') : undefined);
    const rec = track(await h.open({ budget: FULL, storage: 'memory', on: { integrity: (e) => integrity.push(e) } }));
    // The fault flips the first byte of the response: the block at the start of the (one) range asked for.
    const hit = rec.info.selection.blocks.map((b) => b.file).find((f) => f.url === corrupted && f.offset === 0)!;
    expect(integrity).toEqual([expect.objectContaining({ file: refName(hit), willRetry: true, attempt: 0 })]);
    expect(h.server.requests.filter((p) => p === corrupted)).toHaveLength(2);
    expect(blockTraffic(h.server).at(-1)).toEqual({ path: corrupted, range: [0, hit.byteLength - 1], bytes: hit.byteLength }); // only that block again
    const vector = h.fixture.userVectors.subarray(0, 16);
    const got = await rec.recommend({ user: { vector, group: 0 }, k: 60 });
    expect(got.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 60).map((r) => r.position));
  });

  it('fails with IntegrityError when a block stays corrupt, and stores nothing of it', async () => {
    const h = await harness();
    // Every response from the f32 pack has its first byte flipped: the block at offset 0 is corrupt each time.
    h.server.fault = (path) => (path === 'blocks/u0.f32.bin' ? 'corrupt' : undefined);
    const bad = h.fixture.manifest.blocks.flatMap((b) => b.files).find((f) => f.url === 'blocks/u0.f32.bin' && f.offset === 0)!;
    const events: RecommenderEvents['integrity'][] = [];
    const err = await h.open({ budget: FULL, dtype: 'f32', on: { integrity: (e) => events.push(e) } }).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.url).toBe(refName(bad));
    expect(events.map((e) => [e.file, e.willRetry])).toEqual([
      [refName(bad), true],
      [refName(bad), false],
    ]);
    // A later load finds nothing of that block in the cache (the blocks verified before are there): only it is downloaded again.
    h.server.fault = () => undefined;
    const from = h.server.log.length;
    const rec = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(blockTraffic(h.server, from)).toEqual([{ path: bad.url, range: [0, bad.byteLength - 1], bytes: bad.byteLength }]);
    expect(rec.info.residentBytes).toBe(FULL);
  });

  it('rejects a manifest that is not valid, or whose content hash does not match', async () => {
    const h = await harness();
    h.fixture.files.set('manifest.json', new TextEncoder().encode('{"format":"peelrec","formatVersion":2,"kind":"peel-blocks"}'));
    await expect(h.open({ storage: 'memory' })).rejects.toBeInstanceOf(ManifestError);
    // A v1 manifest (block entries inline) is a version this build does not read, said as such.
    h.fixture.files.set('manifest.json', new TextEncoder().encode(JSON.stringify({ ...h.fixture.manifest, formatVersion: 1 })));
    await expect(h.open({ storage: 'memory' })).rejects.toMatchObject({ name: 'UnsupportedVersionError', found: 1 });
    const tampered = { ...h.fixture.manifest, model: { ...h.fixture.manifest.model, id: 'edited' } };
    h.fixture.files.set('manifest.json', new TextEncoder().encode(JSON.stringify(tampered)));
    await expect(h.open({ storage: 'memory' })).rejects.toThrow(/contentHash/);
  });

  it('aborts a load with AbortError and frees what it had', async () => {
    const h = await harness();
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    h.server.fault = (path) => (path === 'blocks/u0.f32.bin' ? 'hang' : undefined);
    const pending = h.open({ budget: FULL, dtype: 'f32', signal: ctrl.signal });
    setTimeout(() => ctrl.abort(), 20);
    const err = await pending.catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err.name).toBe('AbortError');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses use after dispose and frees every tensor', async () => {
    const h = await harness();
    const before = tf.memory().numTensors;
    const rec = await h.open({ budget: FULL, storage: 'memory' });
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    await rec.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(rec.recommend({ user: { id: '0' } })).rejects.toBeInstanceOf(DisposedError);
  });
});
