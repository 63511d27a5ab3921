/**
 * `methods --out <dir>`: the trained tables of the exported methods written as artifacts, one folder per method
 * (`<dir>/peel`: peel-blocks, `<dir>/magprune`, `<dir>/sparserec` and `<dir>/dst`: sparse, `<dir>/frequency-sized`, `<dir>/bet` and `<dir>/ciess`: mixed), all on
 * the run's one backbone, so their quality against device bytes compares like with like. PEEL's goes through the
 * pipeline's own writer (export/write-artifact.ts); the v3 kinds', every trained fraction a variant, through
 * write-kinds.ts.
 */
import { join } from 'node:path';
import type { Manifest } from '@peelrec/format';
import { checkOutputDir, prepareOutputDir } from './export/output-dir.js';
import { exportModel } from './export/write-artifact.js';
import { exportKindArtifact, type ExportedTable } from './export/write-kinds.js';
import type { Harness } from './harness/harness.js';
import type { MethodOutcome } from './harness/method.js';
import type { TrimRow } from './harness/trim.js';
import { trimChoice } from './harness/trim-choice.js';
import { TRAINER_NAME, TRAINER_VERSION } from './pipeline.js';

/** The methods whose artifacts `--out` writes. */
export const EXPORTED_METHODS = ['peel', 'magprune', 'frequency-sized', 'bet', 'ciess', 'sparserec', 'dst'] as const;

/** Fails before any training when a folder cannot be written. */
export async function checkExportDirs(out: string, methods: readonly string[]): Promise<void> {
  for (const m of EXPORTED_METHODS) if (methods.includes(m)) await checkOutputDir(join(out, m));
}

/**
 * Writes `outcome` as an artifact when its method is exported; returns the folder, or undefined. A mixed artifact
 * carries the trim-or-fall-back choice decided from `trim`, the harness's validation rows (trim-choice.ts).
 */
export async function exportOutcome(out: string, name: string, outcome: MethodOutcome, h: Harness, split: string, trim: readonly TrimRow[] = []): Promise<string | undefined> {
  if (!(EXPORTED_METHODS as readonly string[]).includes(name)) return undefined;
  const { dataset: d, backbone: e, options: o } = h;
  const dir = join(out, name);
  // Each budget's test metric at the device bytes the harness counted (for PEEL: one user group's selection).
  const metrics: NonNullable<Manifest['metrics']> = {
    dataset: d.name,
    split,
    budgets: outcome.budgets.map((b) => ({ fraction: b.fraction, bytes: b.bytes, dtype: b.dtype, recall20: b.test.recall20, ndcg20: b.test.ndcg20 })),
  };
  const provenance = (config: Record<string, unknown>): Manifest['provenance'] => ({
    dataset: d.name,
    trainer: `${TRAINER_NAME}@${TRAINER_VERSION}`,
    seed: o.seed,
    createdAt: new Date().toISOString(),
    config: { method: name, ...config },
  });
  if (outcome.kind === 'peel-blocks') {
    if (!outcome.peel) return undefined;
    const cfg = h.config;
    await exportModel(await prepareOutputDir(dir), outcome.peel, {
      modelId: `${d.name}-${name}-${e.dim}x${cfg.blockDim}-c${cfg.userGroups}-g${cfg.itemGroups}-s${o.seed}`,
      itemIds: d.itemIds,
      itemMeta: d.itemMeta,
      userIds: d.userIds,
      dtypes: cfg.dtypes,
      usersPerShard: cfg.usersPerShard,
      metrics,
      provenance: provenance({ fractions: o.budgets, refine: cfg.refine }),
    });
    return dir;
  }
  if (outcome.kind !== 'mixed' && outcome.kind !== 'sparse') return undefined;
  const tables: ExportedTable[] =
    outcome.kind === 'mixed'
      ? (outcome.mixed ?? []).map((v) => ({ fraction: v.fraction, items: v.items, sizes: v.sizes }))
      : (outcome.sparse ?? []).map((v) => ({ fraction: v.fraction, items: v.items, mask: v.mask }));
  // No tables: nothing an artifact can hold (BET and CIESS in the papers' accounting have a user table per budget).
  if (tables.length === 0) return undefined;
  const selection = outcome.kind === 'mixed' ? trimChoice(trim) : undefined;
  await exportKindArtifact(dir, {
    kind: outcome.kind,
    modelId: `${d.name}-${name}-${e.dim}-s${o.seed}`,
    dataset: d,
    order: h.order,
    users: e.users,
    dim: e.dim,
    dtype: o.dtype,
    tables,
    usersPerShard: h.config.usersPerShard,
    metrics,
    provenance: provenance({ fineTune: o.fineTune, fractions: tables.map((t) => t.fraction) }),
    ...(selection && { selection }),
  });
  return dir;
}
