import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { computeContentHash } from '@peelrec/format';
import { ManifestError, type Recommender } from '../src/index.js';
import { checkManifest } from '../src/schema-checks.js';
import { harness } from './helpers.js';

// The format's fixture: unknown members top-level and in `model`, hashed outside JavaScript (see its test).
const UNKNOWN_FIELDS = readFileSync(new URL('../../format/test/unknown-fields.manifest.json', import.meta.url), 'utf8');
const HASH = 'a2678a9e168942e76174d22c183040d11d4a648ab935ed918ce334fffa370a62';

const open: Recommender[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

describe('manifest members the format does not define (format README, "Unknown members")', () => {
  it('pass checkManifest, which hashes the text and returns the known members', async () => {
    const m = await checkManifest(UNKNOWN_FIELDS);
    expect(m.model).toEqual({ id: 'unknown-fields', contentHash: HASH });
    expect(m).not.toHaveProperty('x-exporter');
  });

  it('edited without re-hashing fail checkManifest with ManifestError', async () => {
    const json = JSON.parse(UNKNOWN_FIELDS);
    json['x-exporter'].note = 'edited';
    const text = JSON.stringify(json);
    const err = await checkManifest(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toBe(`model.contentHash is ${HASH}, but the manifest hashes to ${await computeContentHash(text)} (edited or corrupted manifest)`);
  });

  it('load and serve in a recommender; edited, the load fails with ManifestError', async () => {
    const h = await harness();
    const json = { ...JSON.parse(new TextDecoder().decode(h.fixture.files.get('manifest.json')!)), 'x-exporter': { note: 'a' } };
    json.model = { ...json.model, license: 'CC-BY-4.0' };
    json.model.contentHash = await computeContentHash(JSON.stringify(json));
    h.fixture.files.set('manifest.json', new TextEncoder().encode(JSON.stringify(json)));
    const rec = await h.open({ storage: 'memory' });
    open.push(rec);
    expect(rec.info.model.contentHash).toBe(json.model.contentHash);
    expect(await rec.recommend({ user: { id: '1' }, k: 3 })).toHaveLength(3);

    h.fixture.files.set('manifest.json', new TextEncoder().encode(JSON.stringify({ ...json, 'x-exporter': { note: 'b' } })));
    await expect(h.open({ storage: 'memory' })).rejects.toThrow(ManifestError);
  });
});
