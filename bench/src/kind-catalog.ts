/**
 * Random v3 (`mixed`, `sparse`) artifacts in the shape of the PEEL timing catalogs (catalog.ts), for timing only:
 * same items and fullDim, one variant per PEEL budget of the kinds series, each holding exactly that many device
 * bytes (kind-sizes.ts), written with the format's own writer so the runtime loads them like any artifact.
 *
 * Structure, so the kernels meet what trained tables look like:
 *  - mixed: frequency-sized, sizes ∝ (rank + 1)^-1/2 (frequency^α on a Zipf tail), non-increasing in artifact
 *    order, hence no permutation;
 *  - sparse: per-row counts ∝ (rank + 1)^-1/2 times log-normal noise (at least one entry a row), the kept
 *    dimensions drawn at random per row.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArtifactWriter, encodeUserShard, readAnyManifest, type KindManifest, type KindManifestDraft, type MixedVariant, type SparseVariant, type VariantDtype } from '@peelrec/format';
import { type CatalogShape, fillNormal, GOWALLA_SHAPE, MILLION_SHAPE, prng } from './catalog.js';
import { fitSizes, mixedValuesFor, randomMask, rankWeights, sparseNnzFor } from './kind-sizes.js';

export type TableKind = 'mixed' | 'sparse';

export interface KindBudget {
  readonly label: string;
  readonly bytes: number;
}

export interface KindCatalog {
  /** Directory name under the cache: `<base>-<kind>`. */
  readonly name: string;
  readonly label: string;
  readonly base: CatalogShape;
  readonly kind: TableKind;
  readonly dtype: VariantDtype;
  /** One variant per budget, named by its label, holding the budget's bytes (sparse: up to 6 bytes fewer). */
  readonly budgets: readonly KindBudget[];
  readonly seed: number;
}

/** Bump when the generator changes so cached artifacts are rebuilt. */
const KIND_GENERATOR_VERSION = 1;
const SIZE_EXPONENT = 0.5;
const COUNT_NOISE_SD = 0.5;
const MiB = 2 ** 20;

export const fullDimOf = (s: CatalogShape) => s.blockDim * s.blocksPerItem;
/** The full f32 item table, the 100 % of the PEEL rows' budgets. */
export const fullF32Bytes = (s: CatalogShape) => s.items * fullDimOf(s) * 4;

/**
 * The budgets of the kinds series: the Gowalla-shaped PEEL rows' 5, 10 and 20 % (floored, as gowallaBudgets does)
 * and 40 %, where a sparse table is half full; the 1M catalog's 16 MiB, with 8 and 32 MiB around it.
 */
export function kindBudgets(shape: CatalogShape): KindBudget[] {
  if (shape.name === MILLION_SHAPE.name) return [8, 16, 32].map((m) => ({ label: `${m} MiB`, bytes: m * MiB }));
  return [0.05, 0.1, 0.2, 0.4].map((f) => ({ label: `${f * 100} %`, bytes: Math.floor(fullF32Bytes(shape) * f) }));
}

export function kindCatalog(base: CatalogShape, kind: TableKind): KindCatalog {
  const structure = kind === 'mixed' ? 'frequency-sized, sizes ∝ (rank+1)^-1/2' : 'random masks, per-row counts ∝ (rank+1)^-1/2 × log-normal noise';
  return {
    name: `${base.name}-${kind}`,
    label: `random f16 ${kind} table in the shape of ${base.name} (${base.items.toLocaleString('en-US')} items, fullDim ${fullDimOf(base)}; ${structure})`,
    base,
    kind,
    dtype: 'f16',
    budgets: kindBudgets(base),
    seed: base.seed * 100 + (kind === 'mixed' ? 1 : 2),
  };
}

/** Every v3 timing catalog: both kinds in the Gowalla shape and in the 1M shape. */
export const KIND_CATALOGS: readonly KindCatalog[] = [GOWALLA_SHAPE, MILLION_SHAPE].flatMap((s) => [kindCatalog(s, 'mixed'), kindCatalog(s, 'sparse')]);

/** Sizes (mixed: dimensions per item; sparse: entries per row) of the variant of `c` at `budget`. */
export function variantSizes(c: KindCatalog, budget: KindBudget, rand: () => number): Uint16Array {
  const { items } = c.base;
  const fullDim = fullDimOf(c.base);
  const weights = rankWeights(items, SIZE_EXPONENT);
  if (c.kind === 'mixed') return fitSizes(weights, fullDim, mixedValuesFor(budget.bytes, c.dtype));
  for (let p = 0; p < items; p++) weights[p]! *= Math.exp((rand() + rand() + rand() - 1.5) * 2 * COUNT_NOISE_SD);
  return fitSizes(weights, fullDim, sparseNnzFor(items, budget.bytes, c.dtype, fullDim));
}

/**
 * Writes the artifact of `c` under `cacheDir/<name>` unless an identical one (same spec and generator version)
 * is there. Returns the directory and the manifest.
 */
export async function ensureKindCatalog(c: KindCatalog, cacheDir: string, log: (s: string) => void = () => {}): Promise<{ dir: string; manifest: KindManifest }> {
  const dir = join(cacheDir, c.name);
  const read = async () => (await readAnyManifest({ read: async (p) => new Uint8Array(await readFile(join(dir, p))) })) as KindManifest;
  const stamp = JSON.stringify({ KIND_GENERATOR_VERSION, c });
  try {
    if ((await readFile(join(dir, 'shape.json'), 'utf8')) === stamp) return { dir, manifest: await read() };
  } catch {
    /* not generated yet */
  }
  log(`generating ${c.name} (${c.label}) in ${dir}`);
  await rm(dir, { recursive: true, force: true });
  const writer = new ArtifactWriter({
    async write(path, bytes) {
      const file = join(dir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
    },
  });
  const rand = prng(c.seed);
  const { items } = c.base;
  const fullDim = fullDimOf(c.base);
  const ids = await writer.json(
    'items/ids.json',
    Array.from({ length: items }, (_, i) => `item-${i}`),
  );
  const users = 64;
  const shard = encodeUserShard(fillNormal(new Float32Array(users * fullDim), rand, 0.1), new Uint16Array(users), fullDim);
  const shards = [{ start: 0, count: users, file: await writer.file('users/shard-0.bin', shard) }];
  const rows = fillNormal(new Float32Array(items * fullDim), rand, 0.1);
  const common = {
    format: 'peelrec' as const,
    model: { id: `bench-${c.name}` },
    dims: { fullDim },
    items: { count: items, ids },
    users: { count: users, shards },
    provenance: {
      dataset: `none: ${c.label}`,
      trainer: `@peelrec/bench kind catalog generator v${KIND_GENERATOR_VERSION}`,
      seed: c.seed,
      createdAt: new Date(0).toISOString(),
      config: { kind: c.kind, base: c.base.name, budgets: c.budgets.map((b) => b.bytes) },
    },
  };
  let draft: KindManifestDraft;
  const spec = (b: KindBudget) => ({ name: b.label, fraction: b.bytes / fullF32Bytes(c.base), dtype: c.dtype, rows, fullDim });
  if (c.kind === 'mixed') {
    const variants: MixedVariant[] = [];
    for (const b of c.budgets) variants.push(await writer.mixedVariant({ ...spec(b), sizes: variantSizes(c, b, rand) }));
    draft = { ...common, kind: 'mixed', variants };
  } else {
    const variants: SparseVariant[] = [];
    for (const b of c.budgets) variants.push(await writer.sparseVariant({ ...spec(b), mask: randomMask(variantSizes(c, b, rand), fullDim, rand) }));
    draft = { ...common, kind: 'sparse', variants };
  }
  const manifest = await writer.finishKind(draft);
  await writeFile(join(dir, 'shape.json'), stamp);
  return { dir, manifest };
}
