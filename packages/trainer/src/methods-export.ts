/**
 * `methods --out <dir>`: the trained tables of the methods with a v3 kind written as artifacts, one folder per
 * method (`<dir>/magprune`: sparse, `<dir>/frequency-sized`: mixed), every trained fraction a variant.
 */
import { join } from 'node:path';
import { checkOutputDir } from './export/output-dir.js';
import { exportKindArtifact, type ExportedTable } from './export/write-kinds.js';
import type { Harness } from './harness/harness.js';
import type { MethodOutcome } from './harness/method.js';
import { TRAINER_NAME, TRAINER_VERSION } from './pipeline.js';

/** The methods whose artifacts `--out` writes. */
export const EXPORTED_METHODS = ['magprune', 'frequency-sized'] as const;

/** Fails before any training when a folder cannot be written. */
export async function checkExportDirs(out: string, methods: readonly string[]): Promise<void> {
  for (const m of EXPORTED_METHODS) if (methods.includes(m)) await checkOutputDir(join(out, m));
}

/** Writes `outcome` as an artifact when its method is exported; returns the folder, or undefined. */
export async function exportOutcome(out: string, name: string, outcome: MethodOutcome, h: Harness, split: string): Promise<string | undefined> {
  if (!(EXPORTED_METHODS as readonly string[]).includes(name)) return undefined;
  const tables: ExportedTable[] =
    outcome.kind === 'mixed'
      ? (outcome.mixed ?? []).map((v) => ({ fraction: v.fraction, items: v.items, sizes: v.sizes }))
      : (outcome.sparse ?? []).map((v) => ({ fraction: v.fraction, items: v.items, mask: v.mask }));
  if (outcome.kind !== 'mixed' && outcome.kind !== 'sparse') return undefined;
  const { dataset: d, backbone: e, options: o } = h;
  const dir = join(out, name);
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
    metrics: { dataset: d.name, split, budgets: outcome.budgets.map((b) => ({ fraction: b.fraction, bytes: b.bytes, dtype: b.dtype, recall20: b.test.recall20, ndcg20: b.test.ndcg20 })) },
    provenance: {
      dataset: d.name,
      trainer: `${TRAINER_NAME}@${TRAINER_VERSION}`,
      seed: o.seed,
      createdAt: new Date().toISOString(),
      config: { method: name, fineTune: o.fineTune, fractions: tables.map((t) => t.fraction) },
    },
  });
  return dir;
}
