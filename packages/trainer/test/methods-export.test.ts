import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAnyArtifact } from '@peelrec/format';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { directorySource } from '../src/export/fs-sink.js';
import { exportKindArtifact } from '../src/export/write-kinds.js';
import { fitSizes, type Harness, type MethodOutcome, mixedBytes, sizesByItem, sparseBytes, trimChoice, type TrimRow } from '../src/harness/index.js';
import { exportOutcome } from '../src/methods-export.js';
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

/** A trim-or-fall-back row with only what the choice reads: trim − fallback on validation Recall@20 ± its error. */
const trimRow = (fraction: number, gain: number | null, se: number | null = 0.005): TrimRow => ({
  fraction,
  bytes: budget(fraction),
  trim: null,
  fallback: null,
  exact: null,
  trimMinusFallback: gain === null ? null : { recall20: gain, se, ndcg20: gain, ndcgSe: se },
});

describe('the trim-or-fall-back choice of a mixed artifact', () => {
  it('trims iff the mean trim − fallback over the measured budgets is > 0; nothing measured, no choice', () => {
    // synthetic-sparse, frequency-sized (bench/results.md): −0.0611 ± 0.0097 and −0.0879 ± 0.0113.
    expect(trimChoice([trimRow(0.2, -0.0611, 0.0097), trimRow(0.1, -0.0879, 0.0113), trimRow(0.05, null)])).toEqual({
      trim: false,
      trimMinusFallback: { recall20: expect.closeTo(-0.0745, 6), se: expect.closeTo(Math.hypot(0.0097, 0.0113) / 2, 6), budgets: 2 },
    });
    expect(trimChoice([trimRow(0.2, 0.0171), trimRow(0.1, 0.0254)])).toMatchObject({ trim: true, trimMinusFallback: { budgets: 2 } });
    expect(trimChoice([trimRow(0.2, 0.01), trimRow(0.1, -0.01)])).toMatchObject({ trim: false });
    expect(trimChoice([trimRow(0.2, 0.01, null)])).toEqual({ trim: true, trimMinusFallback: { recall20: 0.01, budgets: 1 } });
    expect(trimChoice([trimRow(0.05, null)])).toBeUndefined();
    expect(trimChoice([])).toBeUndefined();
  });

  // A harness stub with what exportOutcome reads; the outcome as a mixed method returns it.
  const weights = Float64Array.from({ length: nItems }, (_, p) => 1 / (p + 1));
  const mixed = [0.5, 0.2, 0.1].map((fraction) => ({ fraction, items, sizes: sizesByItem(fitSizes(weights, dim, budget(fraction), 'f16').sizesByPosition, order) }));
  const harness = {
    dataset,
    backbone: { dim, users },
    order,
    options: { seed: 1, dtype: 'f16', budgets: [0.2, 0.1], fineTune: { epochs: 1 } },
    config: { usersPerShard: 8 },
  } as unknown as Harness;
  const outcome: MethodOutcome = { kind: 'mixed', budgets: [], mixed };
  const exported = async (trim: readonly TrimRow[] | undefined) => {
    const out = await mkdtemp(join(tmpdir(), 'peelrec-trim-'));
    dirs.push(out);
    const dir = await exportOutcome(out, 'frequency-sized', outcome, harness, 'test', trim);
    const { manifest } = await verifyAnyArtifact(directorySource(dir!));
    if (manifest.kind !== 'mixed') throw new Error(`expected a mixed artifact, got ${manifest.kind}`);
    return manifest;
  };

  it('methods --out writes trim false when trimming lost on validation, true when it won, nothing when unmeasured', async () => {
    expect((await exported([trimRow(0.2, -0.0188), trimRow(0.1, -0.0209)])).selection).toMatchObject({ trim: false, trimMinusFallback: { budgets: 2 } });
    expect((await exported([trimRow(0.2, 0.0076), trimRow(0.1, 0.0196)])).selection).toMatchObject({ trim: true, trimMinusFallback: { budgets: 2 } });
    expect((await exported(undefined)).selection).toBeUndefined();
  });
});
