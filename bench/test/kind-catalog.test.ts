import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSparse, mixedRowSizes, readVerified, sparseByteLength, type MixedVariant, type SparseVariant } from '@peelrec/format';
import { type CatalogShape, prng } from '../src/catalog.js';
import { ensureKindCatalog, fullF32Bytes, kindBudgets, kindCatalog } from '../src/kind-catalog.js';
import { fitSizes, mixedValuesFor, randomMask, rankWeights, sparseNnzFor } from '../src/kind-sizes.js';

describe('fitSizes', () => {
  it.each([
    [1000, 16, 1000],
    [1000, 16, 4321],
    [1000, 16, 16000],
    [40_981, 128, 2_098_227],
  ])('sizes of %i items × %i dims sum to exactly %i, within [1, fullDim], non-increasing for Zipf weights', (n, d, total) => {
    const sizes = fitSizes(rankWeights(n, 0.5), d, total);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(d);
    for (let p = 1; p < n; p++) expect(sizes[p]!).toBeLessThanOrEqual(sizes[p - 1]!);
  });

  it('spreads sizes with popularity: the head keeps more dimensions than the tail', () => {
    const sizes = fitSizes(rankWeights(1000, 0.5), 64, 10_000);
    expect(sizes[0]).toBe(64);
    expect(sizes[999]!).toBeLessThan(10);
  });

  it('follows unordered weights exactly too, and refuses a total outside [n·min, n·fullDim]', () => {
    const rand = prng(7);
    const weights = Float64Array.from({ length: 500 }, () => rand());
    expect(fitSizes(weights, 20, 3333).reduce((a, b) => a + b, 0)).toBe(3333);
    expect(() => fitSizes(weights, 20, 499)).toThrow(RangeError);
    expect(() => fitSizes(weights, 20, 10_001)).toThrow(RangeError);
  });
});

describe('bytes of a variant at a budget', () => {
  it('a mixed f16 variant holds one value per 2 bytes', () => {
    expect(mixedValuesFor(4_196_454, 'f16')).toBe(2_098_227);
    expect(mixedValuesFor(4_196_455, 'f16')).toBe(2_098_227);
    expect(mixedValuesFor(4_196_455, 'f32')).toBe(1_049_113);
  });

  it.each([
    [40_981, 1_049_113],
    [40_981, 4_196_454],
    [1_000_000, 16 * 2 ** 20],
    [10, 100],
  ])('a sparse f16 variant of %i rows is the largest that fits %i B, within 6 bytes of it', (count, bytes) => {
    const nnz = sparseNnzFor(count, bytes, 'f16', 128);
    expect(sparseByteLength(count, nnz, 'f16')).toBeLessThanOrEqual(bytes);
    expect(sparseByteLength(count, nnz, 'f16')).toBeGreaterThan(bytes - 7);
    expect(sparseByteLength(count, nnz + 1, 'f16')).toBeGreaterThan(bytes);
  });

  it('a sparse variant stops at a full table, and refuses a budget below its row counts', () => {
    expect(sparseNnzFor(10, 10_000, 'f16', 8)).toBe(80);
    expect(() => sparseNnzFor(1000, 999, 'f16', 8)).toThrow(RangeError);
  });
});

describe('randomMask', () => {
  it('keeps exactly the asked count of distinct dimensions per row, in varying places', () => {
    const counts = [0, 1, 5, 16, 3];
    const mask = randomMask(counts, 16, prng(3));
    counts.forEach((c, p) => expect(mask.subarray(p * 16, p * 16 + 16).reduce((a, b) => a + b, 0)).toBe(c));
    const rows = randomMask(Array(50).fill(4), 16, prng(4));
    const patterns = new Set(Array.from({ length: 50 }, (_, p) => rows.subarray(p * 16, p * 16 + 16).join('')));
    expect(patterns.size).toBeGreaterThan(40);
  });
});

describe('ensureKindCatalog', () => {
  const shape: CatalogShape = { name: 'tiny', label: 'tiny', items: 3000, blockDim: 4, blocksPerItem: 8, itemGroups: 4, userGroups: 1, users: 64, usersPerShard: 64, seed: 9 };
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes one f16 variant per budget of the PEEL rows (5/10/20/40 % of the full f32 table), each holding those bytes', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'kind-catalog-'));
    dirs.push(cache);
    const budgets = kindBudgets(shape);
    expect(budgets.map((b) => b.bytes)).toEqual([0.05, 0.1, 0.2, 0.4].map((f) => Math.floor(fullF32Bytes(shape) * f)));

    const mixed = await ensureKindCatalog(kindCatalog(shape, 'mixed'), cache);
    expect(mixed.manifest.kind).toBe('mixed');
    expect(mixed.manifest.dims.fullDim).toBe(32);
    const mv = mixed.manifest.variants as MixedVariant[];
    expect(mv.map((v) => v.bytes)).toEqual(budgets.map((b) => 2 * Math.floor(b.bytes / 2)));
    for (const v of mv) {
      // Frequency-sized: sizes non-increasing in artifact order, so no permutation is stored or charged.
      expect(v.permutation).toBeUndefined();
      const sizes = mixedRowSizes(v, shape.items);
      expect(sizes[0]!).toBeGreaterThan(sizes[shape.items - 1]!);
    }

    const sparse = await ensureKindCatalog(kindCatalog(shape, 'sparse'), cache);
    const sv = sparse.manifest.variants as SparseVariant[];
    sv.forEach((v, i) => {
      expect(v.bytes).toBeLessThanOrEqual(budgets[i]!.bytes);
      expect(v.bytes).toBeGreaterThan(budgets[i]!.bytes - 7);
    });
    const source = { read: async (p: string) => new Uint8Array(await readFile(join(sparse.dir, p))) };
    const { rowPtr } = decodeSparse(await readVerified(source, sv[1]!.file), shape.items, sv[1]!.nnz, 'f16', 32);
    const counts = new Set(Array.from({ length: shape.items }, (_, p) => rowPtr[p + 1]! - rowPtr[p]!));
    // Per-row counts vary (popularity with noise), and every row keeps at least one entry.
    expect(counts.size).toBeGreaterThan(5);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);

    // A second call finds the same catalog and does not rewrite it.
    expect((await ensureKindCatalog(kindCatalog(shape, 'sparse'), cache)).manifest.model.contentHash).toBe(sparse.manifest.model.contentHash);
  });

  it('names the 1M catalog budgets in MiB around the PEEL row at 16 MiB', () => {
    expect(kindBudgets({ ...shape, name: 'synthetic-1m' })).toEqual([
      { label: '8 MiB', bytes: 8 * 2 ** 20 },
      { label: '16 MiB', bytes: 16 * 2 ** 20 },
      { label: '32 MiB', bytes: 32 * 2 ** 20 },
    ]);
  });
});
