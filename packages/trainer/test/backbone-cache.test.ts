import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backboneKey, loadBackbone, storeBackbone } from '../src/backbone/cache.js';
import type { BackboneOptions, Embeddings } from '../src/backbone/index.js';
import { HarnessError } from '../src/harness/errors.js';
import { tempDir } from './temp-dir.js';

const train = { indptr: Uint32Array.of(0, 2, 3), indices: Uint32Array.of(0, 2, 1) };
const recipe: BackboneOptions = { dim: 8, blockDim: 8, seed: 1, threads: 2, nested: [], softmaxEpochs: 3, diversity: 0 };
const tables = (): Embeddings => ({
  dim: 8,
  nUsers: 2,
  nItems: 3,
  users: Float32Array.from({ length: 16 }, (_, i) => i / 7 - 1),
  items: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
});

describe('backbone cache', () => {
  it('keys on the edges, the shape and every option, not on callbacks or key order', async () => {
    const key = await backboneKey(train, 2, 3, recipe);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const reordered = { onProgress: () => {}, softmaxEpochs: 3, diversity: 0, nested: [], threads: 2, seed: 1, blockDim: 8, dim: 8 };
    expect(await backboneKey(train, 2, 3, reordered)).toBe(key);
    const others = [
      await backboneKey(train, 2, 3, { ...recipe, seed: 2 }),
      await backboneKey(train, 2, 3, { ...recipe, threads: 1 }),
      await backboneKey(train, 2, 3, { ...recipe, nested: [8] }),
      await backboneKey({ ...train, indices: Uint32Array.of(0, 1, 1) }, 2, 3, recipe),
      await backboneKey(train, 2, 4, recipe),
      await backboneKey(train, 2, 3, { ...recipe, itemMask: new Uint8Array(24).fill(1) }),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
  });

  it('loads what it stored, bit for bit, and finds nothing under another key', async () => {
    const dir = join(await tempDir('peelrec-backbone-cache-'), 'nested');
    const key = await backboneKey(train, 2, 3, recipe);
    expect(await loadBackbone(dir, key)).toBeUndefined();
    const e = tables();
    const record = await storeBackbone(dir, key, e, 12.34);
    expect(record).toMatchObject({ key, dim: 8, nUsers: 2, nItems: 3, trainedSeconds: 12.3 });
    const hit = await loadBackbone(dir, key);
    expect(hit?.record).toEqual(record);
    expect(Array.from(hit!.embeddings.users)).toEqual(Array.from(e.users));
    expect(Array.from(hit!.embeddings.items)).toEqual(Array.from(e.items));
    expect(await loadBackbone(dir, await backboneKey(train, 2, 3, { ...recipe, seed: 9 }))).toBeUndefined();
    // Only the two cache files: the temporary names were renamed.
    expect((await readdir(dir)).sort()).toEqual([`backbone-${key}.f32`, `backbone-${key}.json`]);
  });

  it('refuses damaged tables with an error that names the files, and leaves them in place', async () => {
    const dir = await tempDir('peelrec-backbone-cache-');
    await writeFile(join(dir, 'notes.txt'), 'not ours');
    const key = await backboneKey(train, 2, 3, recipe);
    await storeBackbone(dir, key, tables(), 1);
    const file = join(dir, `backbone-${key}.f32`);
    const bytes = await readFile(file);
    bytes[5]! ^= 0xff;
    await writeFile(file, bytes);
    const err = await loadBackbone(dir, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as Error).message).toMatch(/damaged \(the tables do not match their SHA-256\)/);
    expect((err as Error).message).toContain(file);
    await writeFile(file, bytes.subarray(0, 10));
    await expect(loadBackbone(dir, key)).rejects.toThrow(/10 bytes of tables where 160 were recorded/);
    expect((await readdir(dir)).sort()).toEqual([`backbone-${key}.f32`, `backbone-${key}.json`, 'notes.txt']);
  });
});
