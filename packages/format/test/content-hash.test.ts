import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArtifactWriter, ManifestError, MANIFEST_FILE, UnsupportedVersionError, computeContentHash, parseManifest, readManifest, verifyArtifact, type ManifestDraft } from '../src/index.js';
import { MemoryStore, writeFixture } from './fixture.js';

/**
 * A manifest as another exporter might write it: an unknown top-level member (`x-exporter`, non-ASCII text
 * included) and an unknown nested one (`model.license`). Only manifest.json: its refs point nowhere, so the
 * tests read no block table. Its contentHash, and PYTHON_DIGEST, were computed outside JavaScript:
 *   body = {k: v for k, v in manifest.items() if k != "provenance"}; body["model"]["contentHash"] = ""
 *   hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
 * (that json.dumps is RFC 8785 for this file: BMP-only keys, and numbers that Python and ECMAScript print alike).
 */
const UNKNOWN_FIELDS = readFileSync(new URL('./unknown-fields.manifest.json', import.meta.url), 'utf8');
const PYTHON_DIGEST = 'a2678a9e168942e76174d22c183040d11d4a648ab935ed918ce334fffa370a62';

/**
 * RFC 8785 for the values JSON.parse yields, written apart from the `canonicalize` package that the format uses:
 * ECMAScript number and string serialisation (§3.2.2) and members sorted by UTF-16 code units (§3.2.3), which is
 * what `sort()` without a comparator does.
 */
function jcs(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${jcs(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The README's rule, step by step: parse the text, blank model.contentHash, drop provenance, JCS, SHA-256. */
function referenceHash(text: string): string {
  const { provenance: _dropped, ...body } = JSON.parse(text) as Record<string, unknown> & { model: object };
  return createHash('sha256')
    .update(jcs({ ...body, model: { ...body.model, contentHash: '' } }), 'utf8')
    .digest('hex');
}

const manifestOnly = (text: string): MemoryStore => {
  const store = new MemoryStore();
  store.files.set(MANIFEST_FILE, new TextEncoder().encode(text));
  return store;
};
const textOf = (store: MemoryStore): string => new TextDecoder().decode(store.files.get(MANIFEST_FILE)!);
/** The parts of the fixture the edits below touch. */
type Edited = { 'x-exporter'?: { note: string }; model: { license: string }; users: Record<string, unknown> };

describe('content hash (README, "Content hash")', () => {
  it('is SHA-256 of the RFC 8785 JSON of manifest.json, unknown members included: Python, a reference and the format agree', async () => {
    expect(JSON.parse(UNKNOWN_FIELDS).model.contentHash).toBe(PYTHON_DIGEST);
    expect(referenceHash(UNKNOWN_FIELDS)).toBe(PYTHON_DIGEST);
    expect(await computeContentHash(UNKNOWN_FIELDS)).toBe(PYTHON_DIGEST);
  });

  it('is what the writer wrote, by the reference rule applied to the text it wrote', async () => {
    const store = new MemoryStore();
    const manifest = await writeFixture(store);
    expect(referenceHash(textOf(store))).toBe(manifest.model.contentHash);
    expect(await computeContentHash(textOf(store))).toBe(manifest.model.contentHash);
  });

  it('does not change for a manifest of known members: parsing adds, drops and converts nothing, so earlier artifacts keep their hash', async () => {
    const store = new MemoryStore();
    const manifest = await writeFixture(store);
    const raw = JSON.parse(textOf(store));
    expect(parseManifest(raw)).toStrictEqual(raw);
    // The rule before this one hashed the parsed value (through the writer's in-memory manifest, blocks left out).
    expect(await computeContentHash(parseManifest(raw))).toBe(manifest.model.contentHash);
    expect(await computeContentHash(manifest)).toBe(manifest.model.contentHash);
  });
});

describe('unknown members (README, "Unknown members")', () => {
  it('are accepted and ignored by readers', async () => {
    const parsed = parseManifest(UNKNOWN_FIELDS);
    expect(parsed).not.toHaveProperty('x-exporter');
    expect(parsed.model).toEqual({ id: 'unknown-fields', contentHash: PYTHON_DIGEST });
    const read = await readManifest(manifestOnly(UNKNOWN_FIELDS), { userGroups: [] });
    expect(read.model.contentHash).toBe(PYTHON_DIGEST);
  });

  it.each([
    ['a top-level one edited', (m: Edited) => void (m['x-exporter']!.note = 'edited')],
    ['a nested one edited', (m: Edited) => void (m.model.license = 'MIT')],
    ['one removed', (m: Edited) => void delete m['x-exporter']],
    ['one added', (m: Edited) => void (m.users.note = 'added')],
  ])('cannot be altered without the content hash noticing: %s', async (_what, edit) => {
    const json = JSON.parse(UNKNOWN_FIELDS) as Edited;
    edit(json);
    const text = JSON.stringify(json);
    expect(() => parseManifest(text)).not.toThrow(); // the schema alone cannot tell
    const err = await readManifest(manifestOnly(text), { userGroups: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toBe(`model.contentHash is ${PYTHON_DIGEST}, but the manifest hashes to ${referenceHash(text)}`);
  });

  it('do not make an unknown formatVersion readable', async () => {
    const text = JSON.stringify({ ...JSON.parse(UNKNOWN_FIELDS), formatVersion: 3 });
    expect(() => parseManifest(text)).toThrow(UnsupportedVersionError);
    await expect(readManifest(manifestOnly(text), { userGroups: [] })).rejects.toMatchObject({ name: 'UnsupportedVersionError', found: 3 });
  });

  it('round-trip: a draft with unknown members is written, hashed and read back as a reader reads it', async () => {
    const store = new MemoryStore();
    const { blockTables: _tables, model, ...rest } = await writeFixture(store);
    const draft = { ...rest, model: { id: model.id, license: 'CC-BY-4.0' }, 'x-exporter': { name: 'test', weights: [1, 0.125, 1e-7, 1e21] } } as ManifestDraft;
    const written = await new ArtifactWriter(store).finish(draft); // payload files are the fixture's, already in the store
    const text = textOf(store);
    expect(JSON.parse(text)).toMatchObject({ model: { license: 'CC-BY-4.0' }, 'x-exporter': { name: 'test' } });
    expect(written.model.contentHash).not.toBe(model.contentHash); // the members are covered
    expect(referenceHash(text)).toBe(written.model.contentHash);
    const verified = await verifyArtifact(store);
    expect(verified.manifest.model.contentHash).toBe(written.model.contentHash);
  });
});
