import { describe, expect, it } from 'vitest';
import {
  ManifestError,
  UnsupportedVersionError,
  computeContentHash,
  fetchSource,
  parseBlockTable,
  parseManifest,
  readManifest,
  readVerified,
  refName,
  selectBlocks,
  verifyArtifact,
  IntegrityError,
  MANIFEST_FILE,
  type ManifestFile,
} from '../src/index.js';
import { MemoryStore, SMALL, writeFixture } from './fixture.js';

async function fixture(packed = true) {
  const store = new MemoryStore();
  const manifest = await writeFixture(store, { ...SMALL, packed });
  const read = (path: string) => JSON.parse(new TextDecoder().decode(store.files.get(path)!));
  return { store, manifest, json: read(MANIFEST_FILE), table: (c: number) => read(manifest.blockTables[c]!.url) };
}

const issuesOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as ManifestError).issues.join('\n');
  }
  throw new Error('expected a ManifestError');
};

describe('parseManifest', () => {
  it('accepts what the writer produces, from an object or text; the block entries are not in it', async () => {
    const { manifest, json } = await fixture();
    const { blocks: _blocks, ...file } = manifest;
    expect(parseManifest(json)).toEqual(file);
    expect(parseManifest(JSON.stringify(json)).model.contentHash).toBe(manifest.model.contentHash);
    expect(json.formatVersion).toBe(2);
    expect('blocks' in json).toBe(false);
    expect(json.blockTables).toHaveLength(SMALL.userGroups);
  });

  it('rejects truncated JSON with a ManifestError', async () => {
    const { store } = await fixture();
    const text = new TextDecoder().decode(store.files.get(MANIFEST_FILE)!);
    expect(() => parseManifest(text.slice(0, text.length / 2))).toThrow(/not valid JSON/);
  });

  it('rejects another format version (v1 included) with UnsupportedVersionError naming both versions', async () => {
    const { json } = await fixture();
    for (const v of [1, 3]) {
      const err = (() => {
        try {
          parseManifest({ ...json, formatVersion: v });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UnsupportedVersionError);
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as Error).message).toMatch(new RegExp(`version ${v}.*reads version\\(s\\) 2`));
    }
  });

  it('rejects a non-peelrec document', () => {
    expect(() => parseManifest({ hello: 1 })).toThrow(/Not a peelrec manifest/);
    expect(() => parseManifest([1])).toThrow(ManifestError);
  });

  it('names the JSON path of schema problems', async () => {
    const { json } = await fixture();
    json.blockTables[1].sha256 = 'xyz';
    json.dims.blockDim = -1;
    json.userGroups.scoring = ['mean', 'sum'];
    const issues = issuesOf(() => parseManifest(json));
    expect(issues).toMatch(/blockTables\.1\.sha256/);
    expect(issues).toMatch(/dims\.blockDim/);
    expect(issues).toMatch(/userGroups\.scoring\.1/);
  });

  it('rejects URLs that escape the artifact', async () => {
    const { json } = await fixture();
    for (const url of ['../x', '/abs', 'https://evil.example/x']) {
      json.items.ids.url = url;
      expect(() => parseManifest(json)).toThrow(/items\.ids\.url/);
    }
  });

  it('finds cross-field inconsistencies the schema cannot express', async () => {
    const { json } = await fixture();
    json.itemGroups[1].start += 1; // gap
    json.blockTables.pop(); // a user group without its table
    json.userGroups.centroids[0].pop();
    json.userGroups.scoring = ['truncated']; // one rule for two user groups
    const issues = issuesOf(() => parseManifest(json));
    expect(issues).toMatch(/userGroups\.scoring: 1 entries, expected one per user group \(2\)/);
    expect(issues).toMatch(/itemGroups\.1: starts at/);
    expect(issues).toMatch(/blockTables: 1 tables, expected one per user group \(2\)/);
    expect(issues).toMatch(/centroids\.0: length/);
  });

  it('rejects a file referenced both whole and by range, and overlapping ranges', async () => {
    const { json } = await fixture();
    json.blockTables[1] = { ...json.blockTables[0], offset: 0 };
    expect(issuesOf(() => parseManifest(json))).toMatch(/referenced both whole and by byte range/);
  });
});

describe('parseBlockTable', () => {
  it('accepts the tables the writer produces', async () => {
    const { manifest, json, table } = await fixture();
    const file = parseManifest(json);
    for (let c = 0; c < SMALL.userGroups; c++) {
      expect(parseBlockTable(table(c), file, c).blocks).toEqual(manifest.blocks.filter((b) => b.userGroup === c));
    }
  });

  it('names the JSON path of schema problems', async () => {
    const { json, table } = await fixture();
    const t = table(0);
    t.blocks[3].files[0].sha256 = 'xyz';
    expect(issuesOf(() => parseBlockTable(t, parseManifest(json), 0))).toMatch(/blocks\.3\.files\.0\.sha256/);
  });

  it('finds missing, misplaced and wrongly sized blocks', async () => {
    const { json, table } = await fixture();
    const file = parseManifest(json);
    const t = table(0);
    t.blocks.pop();
    t.blocks[0].files[0].byteLength += 4;
    t.blocks[1].userGroup = 1;
    const issues = issuesOf(() => parseBlockTable(t, file, 0));
    expect(issues).toMatch(/1 of \d+ \(itemGroup, block\) entries missing/);
    expect(issues).toMatch(/blocks\.0\.f32: byteLength/);
    expect(issues).toMatch(/blocks\.1: userGroup 1 in the table of user group 0/);
    expect(issuesOf(() => parseBlockTable(table(1), file, 0))).toMatch(/userGroup: 1, expected 0/);
  });

  it('rejects duplicate blocks and overlapping byte ranges', async () => {
    const { json, table } = await fixture();
    const file = parseManifest(json);
    const t = table(0);
    t.blocks[1] = structuredClone(t.blocks[0]);
    const issues = issuesOf(() => parseBlockTable(t, file, 0));
    expect(issues).toMatch(/duplicate \(0, 0, 0\)/);
    expect(issues).toMatch(/byte range overlaps/);
  });
});

describe('content hash', () => {
  it('ignores provenance but covers the block tables, hence the weights', async () => {
    const { manifest, json } = await fixture();
    const base = await computeContentHash(manifest);
    expect(base).toBe(manifest.model.contentHash);
    expect(await computeContentHash(json as ManifestFile)).toBe(base);
    expect(await computeContentHash({ ...manifest, provenance: { ...manifest.provenance, createdAt: 'later' } })).toBe(base);
    const tables = manifest.blockTables.map((t, i) => (i === 0 ? { ...t, sha256: 'f'.repeat(64) } : t));
    expect(await computeContentHash({ ...manifest, blockTables: tables })).not.toBe(base);
  });

  it('is the same for two artifacts written from the same seed', async () => {
    const a = await writeFixture(new MemoryStore());
    const b = await writeFixture(new MemoryStore());
    expect(a.model.contentHash).toBe(b.model.contentHash);
  });
});

describe('packed blocks', () => {
  it('packs each user group in each dtype into one file, laid out in selection order', async () => {
    const store = new MemoryStore();
    // Item groups of equal size: every block of a dtype has one size, so any budget selects a prefix of the pack.
    const manifest = await writeFixture(store, { ...SMALL, items: 48 });
    const urls = new Set(manifest.blocks.flatMap((b) => b.files.map((f) => f.url)));
    expect([...urls].sort()).toEqual(['blocks/u0.f16.bin', 'blocks/u0.f32.bin', 'blocks/u1.f16.bin', 'blocks/u1.f32.bin']);
    for (const budget of [96 * 4, 96 * 5, 96 * 9, 96 * 16]) {
      const s = selectBlocks(manifest, 1, budget, { dtype: 'f32' });
      const ranges = s.blocks.map((b) => [b.file.offset!, b.file.offset! + b.file.byteLength]).sort((x, y) => x[0]! - y[0]!);
      expect(ranges[0]![0]).toBe(0);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
    }
    const f32 = store.files.get('blocks/u1.f32.bin')!;
    expect(f32.byteLength).toBe(manifest.blocks.filter((b) => b.userGroup === 1).reduce((n, b) => n + b.files[0]!.byteLength, 0));
  });

  it('writes a pack byte-identical to an earlier one once: both user groups reference it', async () => {
    const store = new MemoryStore();
    const manifest = await writeFixture(store, { ...SMALL, userGroups: 3, identicalGroups: true });
    expect([...store.files.keys()].filter((p) => p.endsWith('.bin') && p.startsWith('blocks/')).sort()).toEqual(['blocks/u0.f16.bin', 'blocks/u0.f32.bin']);
    const of = (c: number) => manifest.blocks.filter((b) => b.userGroup === c).map((b) => b.files);
    expect(of(1)).toEqual(of(0));
    expect(of(2)).toEqual(of(0));
    // Every group's table still validates and every referenced byte verifies.
    const verified = await verifyArtifact(store);
    expect(verified.manifest.blocks).toHaveLength(3 * SMALL.itemGroups * SMALL.blocksPerItem);
    const s = selectBlocks(manifest, 2, 200, { dtype: 'f16' });
    expect(s.blocks.length).toBeGreaterThan(0);
    for (const b of s.blocks) expect(b.file.url).toBe('blocks/u0.f16.bin');
    // Different tables still get a pack each.
    const other = new MemoryStore();
    await writeFixture(other, { ...SMALL, userGroups: 3 });
    expect([...other.files.keys()].filter((p) => p.endsWith('.bin') && p.startsWith('blocks/'))).toHaveLength(6);
  });

  it('reads a byte range verified, with or without readRange on the source', async () => {
    const { store, manifest } = await fixture();
    const ref = manifest.blocks[5]!.files[0]!;
    const whole = await readVerified(store, ref);
    const calls: string[] = [];
    const ranged = await readVerified({ read: (p) => store.read(p), readRange: async (p, o, n) => (calls.push(`${p}@${o}+${n}`), (await store.read(p)).slice(o, o + n)) }, ref);
    expect(ranged).toEqual(whole);
    expect(calls).toEqual([`${ref.url}@${ref.offset}+${ref.byteLength}`]);
    expect(refName(ref)).toBe(`${ref.url}#bytes=${ref.offset}-${ref.offset! + ref.byteLength - 1}`);
  });
});

describe('fetchSource', () => {
  it('reads whole files and byte ranges over fetch, with or without Range support on the server', async () => {
    const { store, manifest } = await fixture();
    for (const honoursRange of [true, false]) {
      const asked: (string | null)[] = [];
      const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
        const path = new URL(String(input)).pathname.slice('/model/'.length);
        const range = new Headers(init?.headers).get('Range');
        asked.push(range);
        const body = await store.read(path);
        const m = honoursRange ? /^bytes=(\d+)-(\d+)$/.exec(range ?? '') : null;
        return m ? new Response(body.slice(Number(m[1]), Number(m[2]) + 1), { status: 206 }) : new Response(body.slice(), { status: 200 });
      }) as typeof fetch;
      const source = fetchSource('https://cdn.example/model/manifest.json', fetchFn);
      const ref = manifest.blocks[9]!.files[0]!;
      expect(await readVerified(source, ref)).toEqual((await store.read(ref.url)).subarray(ref.offset!, ref.offset! + ref.byteLength));
      expect(asked.at(-1)).toBe(`bytes=${ref.offset}-${ref.offset! + ref.byteLength - 1}`);
      const m = await readManifest(source);
      expect(m.model.contentHash).toBe(manifest.model.contentHash);
    }
  });
});

describe('round trip', () => {
  for (const packed of [true, false]) {
    it(`verifies every file of a written artifact (${packed ? 'packed blocks' : 'one file per block'})`, async () => {
      const { store, manifest } = await fixture(packed);
      const r = await verifyArtifact(store);
      expect(r.manifest).toEqual(manifest);
      expect(r.files).toBe(store.files.size - 1);
    });
  }

  it('reads the manifest with the tables of chosen user groups only', async () => {
    const { store, manifest } = await fixture();
    const reads: string[] = [];
    const m = await readManifest({ read: (p) => (reads.push(p), store.read(p)) }, { userGroups: [1] });
    expect(m.blocks).toEqual(manifest.blocks.filter((b) => b.userGroup === 1));
    expect(reads).toEqual([MANIFEST_FILE, manifest.blockTables[1]!.url]);
    expect(() => selectBlocks(m, 0, 1e9)).toThrow(/block table of user group 0 is not loaded/);
  });

  it('reports a corrupted block with its byte range and both hashes', async () => {
    const { store, manifest } = await fixture();
    const ref = manifest.blocks[5]!.files[1]!;
    store.files.get(ref.url)![ref.offset!]! ^= 0xff;
    const err = await verifyArtifact(store).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.url).toBe(refName(ref));
    expect(err.expected).toBe(ref.sha256);
    expect(err.actual).not.toBe(err.expected);
  });

  it('reports a truncated file as a length mismatch', async () => {
    const { store, manifest } = await fixture();
    const url = manifest.users.shards[0]!.file.url;
    store.files.set(url, store.files.get(url)!.slice(1));
    await expect(verifyArtifact(store)).rejects.toMatchObject({ what: 'byteLength', url });
  });

  it('detects a manifest edited without re-hashing, and a block table edited', async () => {
    const { store, json, manifest } = await fixture();
    store.files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify({ ...json, itemGroups: json.itemGroups })));
    await expect(verifyArtifact(store)).resolves.toBeTruthy();
    json.userGroups.centroids[0][0] = 0.999;
    store.files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(json)));
    await expect(verifyArtifact(store)).rejects.toThrow(/contentHash/);

    const fresh = await fixture();
    const url = manifest.blockTables[0]!.url;
    const t = fresh.table(0);
    t.blocks[0].weight = 0.999;
    fresh.store.files.set(url, new TextEncoder().encode(JSON.stringify(t)));
    await expect(verifyArtifact(fresh.store)).rejects.toMatchObject({ name: 'IntegrityError', url });
  });
});
