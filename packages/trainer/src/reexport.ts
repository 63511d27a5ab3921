import { resolve } from 'node:path';
import type { Dtype, Manifest } from '@peelrec/format';
import { checkOutputDir, OutputDirError, prepareOutputDir } from './export/output-dir.js';
import { exportModel } from './export/write-artifact.js';
import { readArtifact } from './export/read-artifact.js';
import { TRAINER_NAME, TRAINER_VERSION } from './pipeline.js';

export interface ExportOptions {
  /** Existing artifact folder to read (fully verified). */
  from: string;
  /** New artifact folder (must differ from `from`): new, empty, or written by peelrec-train (see output-dir.ts). */
  out: string;
  /** Block encodings of the new artifact. Default: those of the source. */
  dtypes?: Dtype[];
  usersPerShard?: number;
}

/**
 * Re-exports a trained artifact without retraining: another set of block
 * encodings (e.g. f16 only, for a smaller download) or another user-shard
 * size. The artifact itself is the checkpoint: its f32 blocks are lossless,
 * so nothing is lost when they are present; from f16-only sources, f32
 * output holds the f16 values exactly widened. Metrics whose dtype is no
 * longer exported are dropped (they would describe blocks that are not there).
 */
export async function exportArtifact(options: ExportOptions): Promise<Manifest> {
  if (resolve(options.from) === resolve(options.out)) throw new OutputDirError(options.out, 'it is the artifact being read (--from); choose another --out');
  await checkOutputDir(options.out);
  const src = await readArtifact(options.from);
  const m = src.manifest;
  const dtypes = options.dtypes ?? (['f32', 'f16'] as Dtype[]).filter((d) => m.blocks[0]!.files.some((f) => f.dtype === d));
  const shard = options.usersPerShard ?? m.users.shards[0]?.count ?? 1024;
  const metrics = m.metrics ? { ...m.metrics, budgets: m.metrics.budgets.filter((b) => dtypes.includes(b.dtype)) } : undefined;
  return exportModel(await prepareOutputDir(options.out), src.model, {
    modelId: m.model.id,
    itemIds: src.itemIds,
    itemMeta: src.itemMeta,
    userIds: src.userIds,
    dtypes,
    usersPerShard: shard,
    metrics,
    provenance: {
      ...m.provenance,
      createdAt: new Date().toISOString(),
      config: { ...(m.provenance.config ?? {}), reexport: { from: m.model.contentHash, trainer: `${TRAINER_NAME}@${TRAINER_VERSION}`, dtypes, usersPerShard: shard } },
    },
  });
}
