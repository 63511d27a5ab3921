/**
 * The table-kind loader's own rules (kind-loader.ts, manifest-trust.ts for v3): which files a selection needs and
 * how eviction ranks them, what the store keeps for a version (keyed by SHA-256, one record per version, promoted
 * once complete), and how a v3 manifest is trusted or refused.
 */
import { computeContentHash, ManifestError, selectTable, UnsupportedVersionError, type KindManifest, type MixedVariant } from '@peelrec/format';
import { describe, expect, it } from 'vitest';
import { variantParts } from '../src/kind-loader.js';
import { earlyManifest } from '../src/manifest-trust.js';
import { checkManifest } from '../src/schema-checks.js';
import { openIndexedDbStore } from '../src/store.js';
import { buildKindFixture } from './fixtures/kind-artifact.js';
import { MANIFEST_URL } from './fixtures/serve.js';
import { tracking } from './fixtures/tracked.js';
import { kindHarness } from './kind-helpers.js';

const { open, track } = tracking();

describe('the files of a selection', () => {
  it('a mixed variant: its permutation, then its kept columns in order, ranked for eviction permutation first, then column by column', async () => {
    const { manifest: m } = await buildKindFixture({ kind: 'mixed' });
    const permuted = m.variants.findIndex((v) => 'permutation' in v && v.permutation);
    expect(permuted).toBeGreaterThanOrEqual(0);
    const v = m.variants[permuted] as MixedVariant;
    // Trimmed to a prefix of its columns (selectTable's default for mixed): only that prefix is fetched.
    const only = { ...m, variants: [v] } as KindManifest;
    const full = selectTable(only, v.bytes);
    const trimmed = selectTable(only, v.permutation!.byteLength + v.columns[0]!.file.byteLength + v.columns[1]!.file.byteLength);
    expect(trimmed).toMatchObject({ trimmed: true, columns: 2 });
    const parts = variantParts(only, trimmed);
    expect(parts.map((p) => p.ref)).toEqual([v.permutation, v.columns[0]!.file, v.columns[1]!.file]);
    expect(parts.map((p) => p.part)).toEqual(['permutation', 0, 1]);
    const weights = parts.map((p) => p.weight);
    expect([...weights].sort((a, b) => b - a)).toEqual(weights);
    expect(new Set(weights).size).toBe(weights.length);
    expect(variantParts(only, full).map((p) => p.ref)).toEqual([v.permutation, ...v.columns.map((c) => c.file)]);
    expect(variantParts(only, full).reduce((n, p) => n + p.ref.byteLength, 0)).toBe(full.fileBytes);
  });

  it('a sparse variant: its one payload file', async () => {
    const { manifest: m } = await buildKindFixture({ kind: 'sparse' });
    const v = m.variants[2]!;
    const selection = selectTable(m, v.bytes);
    expect(selection.variant).toBe(2);
    expect(variantParts(m, selection)).toEqual([{ ref: 'file' in v ? v.file : undefined, weight: 1, part: 'payload' }]);
  });
});

describe("a mixed manifest's trim choice (`selection.trim`) decides what the runtime holds", () => {
  // Between the 50 % variant and the 100 % one: trimming keeps a column prefix of the 100 % variant that holds more.
  const between = (m: KindManifest) => Math.floor((m.variants[1]!.bytes + m.variants[2]!.bytes) / 2);

  it('trim false: a budget between two variants holds the smaller one whole, where trim would cut the larger one', async () => {
    const h = await kindHarness({ kind: 'mixed', modelId: 'fall-back', selection: { trim: false } });
    const m = h.fixture.manifest;
    expect(selectTable(m, between(m), { trim: true })).toMatchObject({ variant: 2, trimmed: true });
    const rec = track(await h.open({ budget: between(m) }));
    expect(rec.info.table).toMatchObject({ variant: 1, name: '50%', trimmed: false, columns: (m.variants[1] as MixedVariant).columns.length });
    await rec.recommend({ user: { id: '0' }, k: 3 });
  });

  it('trim true (and no member, as before): the same budget holds a column prefix of the larger variant', async () => {
    for (const selection of [{ trim: true }, undefined]) {
      const h = await kindHarness({ kind: 'mixed', modelId: 'trim', ...(selection && { selection }) });
      const m = h.fixture.manifest;
      expect(selectTable(m, between(m), { trim: false })).toMatchObject({ variant: 1, trimmed: false });
      const rec = track(await h.open({ budget: between(m) }));
      expect(rec.info.table).toMatchObject({ variant: 2, name: '100%', trimmed: true });
      expect(rec.info.table!.columns).toBeLessThan((m.variants[2] as MixedVariant).columns.length);
    }
  });
});

describe('what the store keeps for a table-kind version', () => {
  it("the item ids, the shards used and the served variants' files, keyed by SHA-256; the version is current once complete, and a new version replaces it whole", async () => {
    const h = await kindHarness({ kind: 'mixed', modelId: 'v1' });
    const m = h.fixture.manifest;
    const budget = m.variants[0]!.bytes;
    const rec = track(await h.open({ budget }));
    await rec.recommend({ user: { id: '0' }, k: 3 });
    await rec.persisted();
    const keys = (sel: NonNullable<typeof rec.info.table>) => variantParts(m, sel).map((p) => p.ref.sha256);
    const first = keys(rec.info.table!);
    let store = await openIndexedDbStore(h.idb);
    expect(new Set((await store.storedFiles(m.model.contentHash)).keys())).toEqual(new Set([m.items.ids.sha256, m.users.shards[0]!.file.sha256, ...first]));
    expect((await store.current(MANIFEST_URL))?.contentHash).toBe(m.model.contentHash);
    store.close();
    await rec.setBudget(m.variants[2]!.bytes);
    await rec.persisted();
    store = await openIndexedDbStore(h.idb);
    const both = new Set([m.items.ids.sha256, m.users.shards[0]!.file.sha256, ...first, ...keys(rec.info.table!)]);
    expect(new Set((await store.storedFiles(m.model.contentHash)).keys())).toEqual(both);
    store.close();
    await open.pop()!.dispose();

    // v2 (other tables, one file name in common): once it is complete, v1's record and every file only v1 used are gone.
    const v2 = await buildKindFixture({ kind: 'mixed', modelId: 'v2', shift: 1 });
    h.publish(v2);
    const next = track(await h.open({ budget, freshness: 'network-first' }));
    await next.persisted();
    store = await openIndexedDbStore(h.idb);
    expect([...(await store.versions())]).toEqual([v2.manifest.model.contentHash]);
    const kept = new Set((await store.storedFiles(v2.manifest.model.contentHash)).keys());
    expect(kept).toEqual(new Set([v2.manifest.items.ids.sha256, ...variantParts(v2.manifest, next.info.table!).map((p) => p.ref.sha256)]));
    for (const sha of first) if (!kept.has(sha)) expect(await store.read(sha)).toBeUndefined();
    store.close();
  });
});

describe('trusting a v3 manifest', () => {
  it('the early parse accepts a table kind, the full check verifies its content hash and refuses versions it does not read', async () => {
    const { manifest: m, files } = await buildKindFixture({ kind: 'sparse' });
    const text = new TextDecoder().decode(files.get('manifest.json')!);
    expect(earlyManifest(text)?.kind).toBe('sparse');
    expect(await checkManifest(text)).toMatchObject({ kind: 'sparse', model: m.model });
    const edited = text.replace(`"nnz": ${('nnz' in m.variants[0]! && m.variants[0].nnz) || 0}`, '"nnz": 1');
    expect(edited).not.toBe(text);
    await expect(checkManifest(edited)).rejects.toBeInstanceOf(ManifestError);
    const v4 = JSON.stringify({ ...JSON.parse(text), formatVersion: 4 });
    await expect(checkManifest(v4)).rejects.toBeInstanceOf(UnsupportedVersionError);
    // A `peel-blocks` manifest at version 3 was never written: refused, not read as a kind.
    const peel3 = JSON.stringify({ ...JSON.parse(text), kind: 'peel-blocks' });
    await expect(checkManifest(peel3)).rejects.toBeInstanceOf(ManifestError);
    expect(await computeContentHash(text)).toBe(m.model.contentHash);
  });

  it('a tampered v3 manifest fails the load with ManifestError, and nothing of it is stored', async () => {
    const h = await kindHarness({ kind: 'mixed' });
    const text = new TextDecoder().decode(h.fixture.files.get('manifest.json')!);
    const files = new Map(h.fixture.files);
    files.set('manifest.json', new TextEncoder().encode(text.replace('"name": "50%"', '"name": "60%"')));
    h.publish({ ...h.fixture, files });
    await expect(h.open({ budget: h.fixture.manifest.variants[2]!.bytes })).rejects.toBeInstanceOf(ManifestError);
    const store = await openIndexedDbStore(h.idb);
    expect([...(await store.versions())]).toEqual([]);
    store.close();
  });
});
