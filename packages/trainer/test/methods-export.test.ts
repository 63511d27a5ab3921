import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAnyArtifact } from '@peelrec/format';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { directorySource } from '../src/export/fs-sink.js';
import { exportKindArtifact } from '../src/export/write-kinds.js';
import { fitSizes, mixedBytes, sizesByItem, sparseBytes } from '../src/harness/index.js';
import { pruneToBudget } from '../src/methods/magprune/index.js';

const nUsers = 20;
const nItems = 50;
const dim = 32;
const rng = new Random(6);
const items = Float32Array.from({ length: nItems * dim }, () => rng.normal());
const users = Float32Array.from({ length: nUsers * dim }, () => rng.normal());
// artifact order: a permutation of the items
const order = rng.shuffle(Uint32Array.from({ length: nItems }, (_, i) => i));
const dataset = {
  name: 'tiny',
  nUsers,
  nItems,
  train: { indptr: new Uint32Array(nUsers + 1), indices: new Uint32Array(0) },
  test: { indptr: new Uint32Array(nUsers + 1), indices: new Uint32Array(0) },
  userIds: Array.from({ length: nUsers }, (_, u) => String(u)),
  itemIds: Array.from({ length: nItems }, (_, i) => `item-${i}`),
};
const fractions = [0.5, 0.2, 0.1, 0.05];
const budget = (f: number) => Math.floor(f * nItems * dim * 4);
const common = { dataset, order, users, dim, dtype: 'f16' as const, usersPerShard: 8, modelId: 'tiny', provenance: { dataset: 'tiny', trainer: 'test', seed: 1, createdAt: '' } };
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('export of the v3 kinds', () => {
  it('writes a mixed artifact whose variants hold exactly the harness-counted bytes, verified by the reader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-mixed-'));
    dirs.push(dir);
    const weights = Float64Array.from({ length: nItems }, (_, p) => 1 / (p + 1));
    const tables = fractions.map((fraction) => ({ fraction, items, sizes: sizesByItem(fitSizes(weights, dim, budget(fraction), 'f16').sizesByPosition, order) }));
    await exportKindArtifact(dir, { ...common, kind: 'mixed', tables });
    const { manifest } = await verifyAnyArtifact(directorySource(dir));
    expect(manifest.kind).toBe('mixed');
    if (manifest.kind !== 'mixed') return;
    expect(manifest.variants.map((v) => v.fraction)).toEqual(fractions);
    for (const [k, v] of manifest.variants.entries()) {
      expect(v.bytes).toBe(
        mixedBytes(
          Uint16Array.from(order, (i) => tables[k]!.sizes[i]!),
          'f16',
        ),
      );
      expect(v.bytes).toBeLessThanOrEqual(budget(fractions[k]!));
      expect(v.permutation).toBeUndefined();
    }
  });

  it('writes a sparse artifact whose variants hold exactly the harness-counted bytes, verified by the reader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-sparse-'));
    dirs.push(dir);
    const pruned = fractions.map((fraction) => ({ fraction, ...pruneToBudget(items, dim, budget(fraction), 'f16') }));
    await exportKindArtifact(dir, { ...common, kind: 'sparse', tables: pruned.map((p) => ({ fraction: p.fraction, items, mask: p.mask })) });
    const { manifest } = await verifyAnyArtifact(directorySource(dir));
    expect(manifest.kind).toBe('sparse');
    if (manifest.kind !== 'sparse') return;
    for (const [k, v] of manifest.variants.entries()) {
      expect(v.nnz).toBe(pruned[k]!.nnz);
      expect(v.bytes).toBe(sparseBytes(nItems, pruned[k]!.nnz, 'f16'));
      expect(v.bytes).toBe(pruned[k]!.bytes);
    }
  });
});
