import { describe, expect, it } from 'vitest';
import {
  ManifestError,
  UnsupportedVersionError,
  computeContentHash,
  parseManifest,
  verifyArtifact,
  IntegrityError,
  MANIFEST_FILE,
} from '../src/index.js';
import { MemoryStore, writeFixture } from './fixture.js';

async function fixture() {
  const store = new MemoryStore();
  const manifest = await writeFixture(store);
  return { store, manifest, json: JSON.parse(new TextDecoder().decode(store.files.get(MANIFEST_FILE)!)) };
}

describe('parseManifest', () => {
  it('accepts what the writer produces, from an object or text', async () => {
    const { manifest, json } = await fixture();
    expect(parseManifest(json)).toEqual(manifest);
    expect(parseManifest(JSON.stringify(json)).model.contentHash).toBe(manifest.model.contentHash);
  });

  it('rejects truncated JSON with a ManifestError', async () => {
    const { store } = await fixture();
    const text = new TextDecoder().decode(store.files.get(MANIFEST_FILE)!);
    expect(() => parseManifest(text.slice(0, text.length / 2))).toThrow(/not valid JSON/);
  });

  it('rejects an unknown format version with UnsupportedVersionError naming both versions', async () => {
    const { json } = await fixture();
    const err = (() => {
      try {
        parseManifest({ ...json, formatVersion: 2 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsupportedVersionError);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toMatch(/version 2.*reads version\(s\) 1/);
  });

  it('rejects a non-peelrec document', () => {
    expect(() => parseManifest({ hello: 1 })).toThrow(/Not a peelrec manifest/);
    expect(() => parseManifest([1])).toThrow(ManifestError);
  });

  it('names the JSON path of schema problems', async () => {
    const { json } = await fixture();
    json.blocks[3].files[0].sha256 = 'xyz';
    json.dims.blockDim = -1;
    try {
      parseManifest(json);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ManifestError);
      const issues = (e as ManifestError).issues.join('\n');
      expect(issues).toMatch(/blocks\.3\.files\.0\.sha256/);
      expect(issues).toMatch(/dims\.blockDim/);
    }
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
    json.blocks.pop(); // missing block
    json.blocks[0].files[0].byteLength += 4; // wrong size
    json.userGroups.centroids[0].pop();
    try {
      parseManifest(json);
      expect.unreachable();
    } catch (e) {
      const issues = (e as ManifestError).issues.join('\n');
      expect(issues).toMatch(/itemGroups\.1: starts at/);
      expect(issues).toMatch(/1 of \d+ .* entries missing/);
      expect(issues).toMatch(/blocks\.0\.f32: byteLength/);
      expect(issues).toMatch(/centroids\.0: length/);
    }
  });

  it('rejects duplicate blocks', async () => {
    const { json } = await fixture();
    json.blocks[1] = { ...json.blocks[0] };
    expect(() => parseManifest(json)).toThrow(/duplicate \(0, 0, 0\)/);
  });
});

describe('content hash', () => {
  it('ignores provenance but covers weights', async () => {
    const { manifest } = await fixture();
    const base = await computeContentHash(manifest);
    expect(base).toBe(manifest.model.contentHash);
    expect(await computeContentHash({ ...manifest, provenance: { ...manifest.provenance, createdAt: 'later' } })).toBe(base);
    const blocks = manifest.blocks.map((b, i) => (i === 0 ? { ...b, weight: b.weight + 1e-6 } : b));
    expect(await computeContentHash({ ...manifest, blocks })).not.toBe(base);
  });

  it('is the same for two artifacts written from the same seed', async () => {
    const a = await writeFixture(new MemoryStore());
    const b = await writeFixture(new MemoryStore());
    expect(a.model.contentHash).toBe(b.model.contentHash);
  });
});

describe('round trip', () => {
  it('verifies every file of a written artifact', async () => {
    const { store, manifest } = await fixture();
    const r = await verifyArtifact(store);
    expect(r.manifest).toEqual(manifest);
    expect(r.files).toBe(store.files.size - 1);
  });

  it('reports a corrupted block with its URL and both hashes', async () => {
    const { store, manifest } = await fixture();
    const url = manifest.blocks[5]!.files[1]!.url;
    const bytes = store.files.get(url)!;
    bytes[0] ^= 0xff;
    const err = await verifyArtifact(store).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.url).toBe(url);
    expect(err.expected).toBe(manifest.blocks[5]!.files[1]!.sha256);
    expect(err.actual).not.toBe(err.expected);
  });

  it('reports a truncated file as a length mismatch', async () => {
    const { store, manifest } = await fixture();
    const url = manifest.users.shards[0]!.file.url;
    store.files.set(url, store.files.get(url)!.slice(1));
    await expect(verifyArtifact(store)).rejects.toMatchObject({ what: 'byteLength', url });
  });

  it('detects a manifest edited without re-hashing', async () => {
    const { store, json } = await fixture();
    json.blocks[0].weight = 0.999;
    store.files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(json)));
    await expect(verifyArtifact(store)).rejects.toThrow(/contentHash/);
  });
});
