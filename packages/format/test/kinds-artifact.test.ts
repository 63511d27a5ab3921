import { describe, expect, it } from 'vitest';
import {
  ArtifactWriter,
  decodeMixedColumns,
  decodePermutation,
  decodeSparse,
  filesOf,
  IntegrityError,
  isKindManifest,
  MANIFEST_FILE,
  ManifestError,
  readAnyManifest,
  readManifest,
  readVerified,
  refName,
  UnsupportedVersionError,
  verifyAnyArtifact,
  verifyArtifact,
  type KindManifestDraft,
} from '../src/index.js';
import { MemoryStore, SMALL, writeFixture } from './fixture.js';
import { denseScores, expandMixed, expandSparse, KINDS_SHAPE, writeMixedFixture, writeSparseFixture } from './kinds-fixture.js';

const { items, fullDim } = KINDS_SHAPE;

describe('writing and reading the mixed kind', () => {
  it('writes one file per variant, columns back to back after the permutation, each a range ref', async () => {
    const { store, manifest } = await writeMixedFixture();
    expect([...store.files.keys()].filter((p) => p.startsWith('tables/')).sort()).toEqual(['tables/mixed-100pct.f32.bin', 'tables/mixed-freq.f16.bin', 'tables/mixed-learned.f32.bin']);
    for (const v of manifest.variants) {
      let end = 0;
      for (const ref of [...(v.permutation ? [v.permutation] : []), ...v.columns.map((c) => c.file)]) {
        expect(ref.offset).toBe(end);
        end += ref.byteLength;
      }
      expect(store.files.get(v.columns[0]!.file.url)!.byteLength).toBe(v.bytes);
    }
    expect(manifest.variants.map((v) => v.permutation !== undefined)).toEqual([false, false, true]);
  });

  it('round-trips: every variant read verified and decoded is the dense table it stands for', async () => {
    const f = await writeMixedFixture();
    const m = await readAnyManifest(f.store);
    expect(m).toEqual(f.manifest);
    if (m.kind !== 'mixed') throw new Error('expected a mixed manifest');
    for (const [i, v] of m.variants.entries()) {
      const columns = decodeMixedColumns(v, await Promise.all(v.columns.map((c) => readVerified(f.store, c.file))));
      const perm = v.permutation && decodePermutation(await readVerified(f.store, v.permutation), items);
      expect(expandMixed(columns, perm, items, fullDim)).toEqual(f.dense[i]);
    }
  });

  it('a trimmed prefix is one range from the start of the file, and each column in it verifies on its own', async () => {
    const f = await writeMixedFixture();
    const v = f.manifest.variants[2]!;
    const keep = 3;
    const last = v.columns[keep - 1]!.file;
    const calls: string[] = [];
    const prefix = await f.store.read(v.columns[0]!.file.url).then((b) => b.subarray(0, last.offset! + last.byteLength));
    const source = { read: (p: string) => f.store.read(p), readRange: async (p: string, o: number, n: number) => (calls.push(`${p}@${o}+${n}`), prefix.slice(o, o + n)) };
    const cols = decodeMixedColumns(v, await Promise.all(v.columns.slice(0, keep).map((c) => readVerified(source, c.file))));
    const perm = decodePermutation(await readVerified(source, v.permutation!), items);
    expect(calls).toHaveLength(keep + 1);
    const dense = expandMixed(cols, perm, items, fullDim);
    for (let i = 0; i < items * fullDim; i++) expect(dense[i]).toBe(i % fullDim < keep ? f.dense[2]![i] : 0);
  });
});

describe('writing and reading the sparse kind', () => {
  it('writes one whole file per variant; decoded it is the masked dense table', async () => {
    const f = await writeSparseFixture();
    const m = await readAnyManifest(f.store);
    if (m.kind !== 'sparse') throw new Error('expected a sparse manifest');
    expect(m.variants.map((v) => v.file.url)).toEqual(['tables/sparse-100pct.f32.bin', 'tables/sparse-half.f16.bin', 'tables/sparse-fifth.f32.bin']);
    for (const [i, v] of m.variants.entries()) {
      expect(v.file.offset).toBeUndefined();
      const t = decodeSparse(await readVerified(f.store, v.file), items, v.nnz, v.dtype, fullDim);
      expect(expandSparse(t, items, fullDim)).toEqual(f.dense[i]);
    }
  });
});

describe('the scoring formulas of the spec', () => {
  it('mixed: Σ_{r < d_j} u[r] · columns[r][j], reported at permutation[j], is the dense score of the variant', async () => {
    const f = await writeMixedFixture();
    const v = f.manifest.variants[2]!;
    const cols = decodeMixedColumns(v, await Promise.all(v.columns.map((c) => readVerified(f.store, c.file))));
    const perm = decodePermutation(await readVerified(f.store, v.permutation!), items);
    const u = f.users.subarray(0, fullDim);
    const scores = new Float64Array(items);
    cols.forEach((col, r) => col.forEach((x, j) => (scores[perm[j]!]! += u[r]! * x)));
    const want = denseScores(f.dense[2]!, u, fullDim);
    for (let p = 0; p < items; p++) expect(scores[p]).toBeCloseTo(want[p]!, 12);
  });

  it('sparse: Σ_{k in row i} u[indices[k]] · values[k], an empty row scoring 0', async () => {
    const f = await writeSparseFixture();
    const v = f.manifest.variants[1]!;
    const t = decodeSparse(await readVerified(f.store, v.file), items, v.nnz, v.dtype, fullDim);
    const u = f.users.subarray(fullDim, 2 * fullDim);
    const want = denseScores(f.dense[1]!, u, fullDim);
    for (let i = 0; i < items; i++) {
      let s = 0;
      for (let k = t.rowPtr[i]!; k < t.rowPtr[i + 1]!; k++) s += u[t.indices[k]!]! * t.values[k]!;
      expect(s).toBeCloseTo(want[i]!, 12);
    }
    expect(t.rowPtr[6]! - t.rowPtr[5]!).toBe(0);
    expect(want[5]).toBe(0);
  });
});

describe('verifying v3 artifacts', () => {
  for (const [kind, write] of [
    ['mixed', writeMixedFixture],
    ['sparse', writeSparseFixture],
  ] as const) {
    it(`${kind}: verifyAnyArtifact reads each file once and checks every ref`, async () => {
      const f = await write();
      const r = await verifyAnyArtifact(f.store);
      expect(r.manifest).toEqual(f.manifest);
      expect(r.files).toBe(f.store.files.size - 1);
      expect(r.bytes).toBe(filesOf(f.manifest).reduce((n, ref) => n + ref.byteLength, 0));
    });

    it(`${kind}: readManifest and verifyArtifact (peel-blocks only) refuse it with UnsupportedVersionError`, async () => {
      const f = await write();
      await expect(readManifest(f.store)).rejects.toBeInstanceOf(UnsupportedVersionError);
      await expect(verifyArtifact(f.store)).rejects.toMatchObject({ name: 'UnsupportedVersionError', found: 3, kind });
    });

    it(`${kind}: a corrupted variant byte is an IntegrityError naming its range; an edited manifest fails its content hash`, async () => {
      const f = await write();
      const refs = filesOf(f.manifest);
      const ref = refs[refs.length - 1]!;
      f.store.files.get(ref.url)![(ref.offset ?? 0) + 1]! ^= 0xff;
      const err = await verifyAnyArtifact(f.store).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IntegrityError);
      expect(err).toMatchObject({ url: refName(ref), expected: ref.sha256 });

      const g = await write();
      const json = JSON.parse(new TextDecoder().decode(g.store.files.get(MANIFEST_FILE)!));
      json.variants[0].fraction = 0.5;
      g.store.files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(json)));
      await expect(readAnyManifest(g.store)).rejects.toThrow(/contentHash/);
    });
  }

  it('filesOf lists the variant refs of a v3 manifest after ids and shards', async () => {
    const { manifest } = await writeMixedFixture();
    const refs = filesOf(manifest);
    expect(refs[0]).toBe(manifest.items.ids);
    expect(refs[1]).toBe(manifest.users.shards[0]!.file);
    expect(refs).toHaveLength(2 + 8 + 8 + 7);
  });

  it('readAnyManifest and verifyAnyArtifact read a v2 peel-blocks artifact as readManifest and verifyArtifact do', async () => {
    const store = new MemoryStore();
    await writeFixture(store, SMALL);
    const any = await readAnyManifest(store, { userGroups: [1] });
    expect(isKindManifest(any)).toBe(false);
    expect(any).toEqual(await readManifest(store, { userGroups: [1] }));
    expect(await verifyAnyArtifact(store)).toEqual(await verifyArtifact(store));
  });
});

describe('ArtifactWriter for the v3 kinds', () => {
  const rows = Float32Array.from({ length: 4 * 3 }, (_, i) => i + 1);
  const base = async (w: ArtifactWriter) => ({
    format: 'peelrec' as const,
    dims: { fullDim: 3 },
    items: { count: 4, ids: await w.json('items/ids.json', ['a', 'b', 'c', 'd']) },
    users: { count: 0, shards: [] },
    provenance: { dataset: 't', trainer: 't', seed: 0, createdAt: 'x' },
    model: { id: 't' },
  });

  it('finishKind validates before writing the manifest: an inconsistent draft writes no manifest.json', async () => {
    const store = new MemoryStore();
    const w = new ArtifactWriter(store);
    const v = await w.sparseVariant({ name: 'all', dtype: 'f32', rows, fullDim: 3 });
    const draft: KindManifestDraft = { ...(await base(w)), kind: 'sparse', variants: [v, { ...v, name: 'all' }] };
    const err = await w.finishKind(draft).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).issues.join('\n')).toMatch(/variants\.1\.name: "all" is not unique/);
    expect(store.files.has(MANIFEST_FILE)).toBe(false);
    const ok = await w.finishKind({ ...draft, variants: [v] });
    expect(ok.formatVersion).toBe(3);
    expect(store.files.has(MANIFEST_FILE)).toBe(true);
  });

  it("finishKind writes a mixed draft's `selection` into manifest.json, covered by the content hash", async () => {
    const store = new MemoryStore();
    const w = new ArtifactWriter(store);
    const v = await w.mixedVariant({ name: 'all', dtype: 'f32', rows, fullDim: 3, sizes: [3, 3, 2, 1] });
    const draft: KindManifestDraft = { ...(await base(w)), kind: 'mixed', variants: [v] };
    const selection = { trim: false, trimMinusFallback: { recall20: -0.0745, se: 0.0074, budgets: 2 } };
    const chosen = await w.finishKind({ ...draft, selection });
    expect(chosen).toMatchObject({ kind: 'mixed', selection });
    const read = await readAnyManifest(store);
    expect(read).toMatchObject({ kind: 'mixed', selection });
    const without = await new ArtifactWriter(new MemoryStore()).finishKind(draft);
    expect(without.model.contentHash).not.toBe(chosen.model.contentHash);
  });

  it('names files safely and refuses two variants that map to one file', async () => {
    const w = new ArtifactWriter(new MemoryStore());
    const v = await w.mixedVariant({ name: '12.5% a/b', dtype: 'f16', rows, fullDim: 3, sizes: [3, 1, 2, 3] });
    expect(v.columns[0]!.file.url).toBe('tables/mixed-12.5pct_a_b.f16.bin');
    expect(v.permutation?.byteLength).toBe(8);
    expect(v.columns.map((c) => c.count)).toEqual([4, 3, 2]);
    await expect(w.mixedVariant({ name: '12.5% a b', dtype: 'f16', rows, fullDim: 3, sizes: [1, 1, 1, 1] })).rejects.toThrow(/already written/);
  });
});
