import { resolve } from 'node:path';
import { exportedDtypes, selectBlocks, type Dtype, type Manifest } from '@peelrec/format';
import { checkOutputDir, OutputDirError, prepareOutputDir } from './export/output-dir.js';
import { exportModel } from './export/write-artifact.js';
import { readArtifact } from './export/read-artifact.js';
import { selectionManifest } from './quality/peel-model.js';
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
 * encodings (e.g. f16 only, for a smaller download, or i8 added) or another
 * user-shard size. The artifact itself is the checkpoint: its f32 blocks are
 * lossless, so nothing is lost when they are present; from f16- or i8-only
 * sources, f32 output holds the decoded values exactly. A budget metric is
 * kept only if a device would still select its dtype there: one whose dtype
 * is no longer exported, or that a newly exported encoding would displace
 * (i8 added selects more blocks at tight budgets), would describe a selection
 * no device makes.
 */
export async function exportArtifact(options: ExportOptions): Promise<Manifest> {
  if (resolve(options.from) === resolve(options.out)) throw new OutputDirError(options.out, 'it is the artifact being read (--from); choose another --out');
  await checkOutputDir(options.out);
  const src = await readArtifact(options.from);
  const m = src.manifest;
  const dtypes = options.dtypes ?? exportedDtypes(m);
  const shard = options.usersPerShard ?? m.users.shards[0]?.count ?? 1024;
  // Selection depends only on the weights and the block sizes, which the selection manifest has exactly.
  const selectable = selectionManifest(src.model, dtypes);
  const stillChosen = (b: { bytes: number; dtype: Dtype }) => dtypes.includes(b.dtype) && selectBlocks(selectable, 0, b.bytes).dtype === b.dtype;
  const metrics = m.metrics ? { ...m.metrics, budgets: m.metrics.budgets.filter(stillChosen) } : undefined;
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
