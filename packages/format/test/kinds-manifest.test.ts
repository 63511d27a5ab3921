import { describe, expect, it } from 'vitest';
import {
  assertPeelManifest,
  computeContentHash,
  isKindManifest,
  isPeelManifest,
  KINDS_VERSION,
  MANIFEST_FILE,
  ManifestError,
  parseAnyManifest,
  parseManifest,
  SUPPORTED_VERSIONS,
  UnsupportedVersionError,
} from '../src/index.js';
import { MemoryStore, writeFixture } from './fixture.js';
import { writeMixedFixture, writeSparseFixture } from './kinds-fixture.js';

// biome-ignore lint/suspicious/noExplicitAny: tests edit untyped manifest JSON
type Json = any;
const jsonOf = (store: MemoryStore): Json => JSON.parse(new TextDecoder().decode(store.files.get(MANIFEST_FILE)!));
const mixedJson = async (): Promise<Json> => jsonOf((await writeMixedFixture()).store);
const sparseJson = async (): Promise<Json> => jsonOf((await writeSparseFixture()).store);
const peelJson = async (): Promise<Json> => {
  const store = new MemoryStore();
  await writeFixture(store);
  return jsonOf(store);
};

const errorOf = (fn: () => unknown): ManifestError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('expected a ManifestError');
};
const issuesOf = (fn: () => unknown): string => errorOf(fn).issues.join('\n');

describe('versions', () => {
  it('reads v2 and v3; the kinds are written at v3', () => {
    expect(SUPPORTED_VERSIONS).toEqual([2, 3]);
    expect(KINDS_VERSION).toBe(3);
  });

  it('parseAnyManifest returns what the writer wrote, for both kinds', async () => {
    for (const f of [await writeMixedFixture(), await writeSparseFixture()]) {
      const json = jsonOf(f.store);
      expect(json.formatVersion).toBe(3);
      const m = parseAnyManifest(JSON.stringify(json));
      expect(m).toEqual(f.manifest);
      expect(isKindManifest(m)).toBe(true);
      expect(isPeelManifest(m)).toBe(false);
    }
  });

  it('parseAnyManifest still reads a v2 peel-blocks manifest exactly as parseManifest does', async () => {
    const json = await peelJson();
    expect(parseAnyManifest(json)).toEqual(parseManifest(json));
    expect(isPeelManifest(parseAnyManifest(json))).toBe(true);
  });

  it('refuses a v3 peel-blocks manifest with UnsupportedVersionError naming the kind and its version', async () => {
    const json = await peelJson();
    const err = errorOf(() => parseAnyManifest({ ...json, formatVersion: 3 }));
    expect(err).toBeInstanceOf(UnsupportedVersionError);
    expect(err).toMatchObject({ found: 3, supported: [2], kind: 'peel-blocks' });
    expect(err.message).toMatch(/version 3 for kind "peel-blocks"; this build reads version\(s\) 2 of that kind/);
  });

  it('refuses a v2 mixed or sparse manifest with a ManifestError (no writer ever produced one), not UnsupportedVersionError', async () => {
    for (const json of [await mixedJson(), await sparseJson()]) {
      const err = errorOf(() => parseAnyManifest({ ...json, formatVersion: 2 }));
      expect(err).not.toBeInstanceOf(UnsupportedVersionError);
      expect(err.message).toMatch(new RegExp(`kind "${json.kind}" has formatVersion 2; that kind is version 3`));
    }
  });

  it('refuses versions this build does not read for every kind, listing 2 and 3', async () => {
    for (const json of [await mixedJson(), await sparseJson(), await peelJson()]) {
      for (const v of [1, 4]) {
        const err = errorOf(() => parseAnyManifest({ ...json, formatVersion: v }));
        expect(err).toBeInstanceOf(UnsupportedVersionError);
        expect(err).toMatchObject({ found: v, supported: [2, 3] });
      }
    }
  });

  it('refuses an unknown kind at v3 with a ManifestError on `kind`', async () => {
    const json = await mixedJson();
    const err = errorOf(() => parseAnyManifest({ ...json, kind: 'mixed-dim' }));
    expect(err).not.toBeInstanceOf(UnsupportedVersionError);
    expect(err.issues.join('\n')).toMatch(/^kind:/m);
  });

  it('parseManifest (peel-blocks only) refuses the v3 kinds with UnsupportedVersionError, as a v2-only build does', async () => {
    for (const json of [await mixedJson(), await sparseJson()]) {
      const err = errorOf(() => parseManifest(json));
      expect(err).toBeInstanceOf(UnsupportedVersionError);
      expect(err).toMatchObject({ found: 3, supported: [2], kind: json.kind });
      expect(err.message).toBe(`Unsupported peelrec format version 3 for kind "${json.kind}"; this reader takes peel-blocks (version 2) only; parseAnyManifest and readAnyManifest read every kind`);
    }
  });

  it('assertPeelManifest passes a peel-blocks manifest through and refuses the others', async () => {
    const peel = parseAnyManifest(await peelJson());
    expect(assertPeelManifest(peel)).toBe(peel);
    const mixed = parseAnyManifest(await mixedJson());
    expect(() => assertPeelManifest(mixed)).toThrow(UnsupportedVersionError);
  });
});

describe('consistency rules', () => {
  it('mixed: column counts start at items.count and do not increase; at most fullDim columns', async () => {
    const json = await mixedJson();
    const v = json.variants[2];
    v.columns[0].count = 39;
    v.columns[3].count = v.columns[2].count + 1;
    expect(issuesOf(() => parseAnyManifest(json))).toMatch(/variants\.2\.columns\.0\.count: 39, expected items\.count 40/);
    expect(issuesOf(() => parseAnyManifest(json))).toMatch(/variants\.2\.columns\.3\.count: \d+, more than column 2's/);
    const wide = await mixedJson();
    wide.variants[0].columns.push(wide.variants[0].columns[7]);
    expect(issuesOf(() => parseAnyManifest(wide))).toMatch(/variants\.0\.columns: 9 columns, more than fullDim 8/);
  });

  it('mixed: column byte lengths follow count × dtype; the permutation is count × u16', async () => {
    const json = await mixedJson();
    json.variants[1].columns[1].file.byteLength += 2;
    json.variants[2].permutation.byteLength = 160;
    const issues = issuesOf(() => parseAnyManifest(json));
    expect(issues).toMatch(/variants\.1\.columns\.1\.file: byteLength 58, expected 56 \(28 × f16\)/);
    expect(issues).toMatch(/variants\.2\.permutation: byteLength 160, expected 80 \(40 items\)/);
  });

  it('bytes is the sum of the variant refs, index and permutation bytes included', async () => {
    const json = await mixedJson();
    expect(json.variants[2].bytes).toBe(80 + json.variants[2].columns.reduce((n: number, c: Json) => n + c.file.byteLength, 0));
    json.variants[2].bytes -= 80;
    expect(issuesOf(() => parseAnyManifest(json))).toMatch(/variants\.2\.bytes: 548, but its files hold 628 bytes/);
    const sparse = await sparseJson();
    sparse.variants[0].bytes = 1280;
    expect(issuesOf(() => parseAnyManifest(sparse))).toMatch(/variants\.0\.bytes: 1280, but its files hold 1640 bytes/);
  });

  it('sparse: byteLength is align4(count + nnz) + nnz × dtype; fullDim at most 255; nnz at most count × fullDim', async () => {
    const json = await sparseJson();
    json.variants[2].file.byteLength += 4;
    json.variants[2].bytes += 4;
    expect(issuesOf(() => parseAnyManifest(json))).toMatch(/variants\.2\.file: byteLength 392, expected 388 \(align4\(40 \+ 69\) \+ 69 × f32\)/);
    const wide = await sparseJson();
    wide.dims.fullDim = 256;
    expect(issuesOf(() => parseAnyManifest(wide))).toMatch(/dims\.fullDim: 256, but sparse row counts and indices are u8 \(at most 255\)/);
    const dense = await sparseJson();
    dense.variants[0].nnz = 321;
    expect(issuesOf(() => parseAnyManifest(dense))).toMatch(/variants\.0\.nnz: 321, more than items\.count × fullDim \(320\)/);
  });

  it('variant names are unique; dtypes are f32 or f16', async () => {
    const json = await sparseJson();
    json.variants[1].name = json.variants[0].name;
    expect(issuesOf(() => parseAnyManifest(json))).toMatch(/variants\.1\.name: "100%" is not unique/);
    const i8 = await mixedJson();
    i8.variants[0].dtype = 'i8';
    expect(issuesOf(() => parseAnyManifest(i8))).toMatch(/variants\.0\.dtype/);
  });

  it('user shards and shared byte ranges follow the v2 rules', async () => {
    const json = await mixedJson();
    json.users.shards[0].file.byteLength += 1;
    json.variants[1].columns[0].file.offset = json.variants[1].columns[1].file.offset;
    const issues = issuesOf(() => parseAnyManifest(json));
    expect(issues).toMatch(/users\.shards\.0: byteLength/);
    expect(issues).toMatch(/variants\.1\.refs\.\d+: byte range overlaps variants\.1\.refs\.\d+ in tables\/mixed-freq\.f16\.bin/);
  });

  it("mixed: an optional `selection` (the trainer's trim choice) is read, checked, and absent from older manifests", async () => {
    const json = await mixedJson();
    const m = parseAnyManifest(json);
    expect(m.kind === 'mixed' && m.selection).toBeUndefined();
    const selection = { trim: false, trimMinusFallback: { recall20: -0.05, se: 0.007, budgets: 2 } };
    expect(parseAnyManifest({ ...json, selection })).toMatchObject({ kind: 'mixed', selection });
    expect(issuesOf(() => parseAnyManifest({ ...json, selection: { trim: 'no' } }))).toMatch(/selection\.trim/);
    expect(issuesOf(() => parseAnyManifest({ ...json, selection: { trim: true, trimMinusFallback: { recall20: 0.01, budgets: 0 } } }))).toMatch(/selection\.trimMinusFallback\.budgets/);
  });

  it('a v3 manifest has no block members: a draft carrying blockTables loses them to parsing, not its validity', async () => {
    const json = await mixedJson();
    const m = parseAnyManifest({ ...json, blockTables: [] });
    expect('blockTables' in m).toBe(false);
  });
});

describe('content hash of v3 manifests', () => {
  it('is the v2 rule: provenance is ignored, every other member (unknown ones included) is covered', async () => {
    const f = await writeMixedFixture();
    const json = jsonOf(f.store);
    const text = JSON.stringify(json);
    expect(await computeContentHash(text)).toBe(f.manifest.model.contentHash);
    expect(await computeContentHash(f.manifest)).toBe(f.manifest.model.contentHash);
    expect(await computeContentHash(JSON.stringify({ ...json, provenance: { ...json.provenance, createdAt: 'later' } }))).toBe(f.manifest.model.contentHash);
    expect(await computeContentHash(JSON.stringify({ ...json, note: 'x' }))).not.toBe(f.manifest.model.contentHash);
    json.variants[0].columns[0].file.sha256 = 'f'.repeat(64);
    expect(await computeContentHash(JSON.stringify(json))).not.toBe(f.manifest.model.contentHash);
  });

  it('is the same for two fixtures written from the same seed', async () => {
    expect((await writeSparseFixture()).manifest.model.contentHash).toBe((await writeSparseFixture()).manifest.model.contentHash);
  });
});
