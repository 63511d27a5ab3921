/**
 * Pretrain → user groups → item groups → per-group refinement: the PEEL model before export. The pipeline
 * builds it once, and the ablations build it again with a part changed.
 */
import { trainBackbone, type Embeddings } from './backbone/index.js';
import type { TrainConfig } from './config.js';
import type { TrainOptions } from './pipeline.js';
import type { Dataset } from './data/types.js';
import { groupItems, type ItemGroups } from './groups/item-groups.js';
import { clusterUsers } from './groups/user-groups.js';
import type { PeelModel } from './quality/peel-model.js';
import { carveValidation, refineUserGroups, type ValidationSplit } from './refine/index.js';

const now = () => performance.now() / 1000;

export interface PeelParts {
  backbone: Embeddings;
  itemGroups: ItemGroups;
  model: PeelModel;
  refineStats: Awaited<ReturnType<typeof refineUserGroups>>['stats'];
  /** The inner/validation split the backbone and refinement used (the ablations reuse it). */
  validation: ValidationSplit;
  seconds: { pretrain: number; cluster: number; refine: number };
}

/** Pretrain → user groups → per-group refinement. Shared by the main model and the ablations. */
export async function buildPeel(
  d: Dataset,
  cfg: TrainConfig,
  opts: { diversity?: number; userGroups?: number; backbone?: Embeddings; validation?: ValidationSplit; stage: string; onProgress?: TrainOptions['onProgress'] },
): Promise<PeelParts> {
  let t = now();
  // The controller's validation edges are carved out before pretraining, so no table it is trained or
  // judged on has seen them (carved after, the backbone had fit them and validation measured memory).
  const validation = opts.validation ?? carveValidation(d.train, cfg.refine.valFraction, cfg.seed, cfg.refine.valUserFraction);
  const backbone =
    opts.backbone ??
    (await trainBackbone(validation.inner, d.nUsers, d.nItems, {
      ...cfg.backbone,
      ...(opts.diversity === undefined ? {} : { diversity: opts.diversity }),
      dim: cfg.fullDim,
      blockDim: cfg.blockDim,
      seed: cfg.seed,
      threads: cfg.threads,
      onProgress: (s, done, total) => opts.onProgress?.(`${opts.stage}${s}`, done, total),
    }));
  const pretrain = opts.backbone ? 0 : now() - t;
  t = now();
  const C = opts.userGroups ?? cfg.userGroups;
  const groups =
    C === 1
      ? { assignment: new Uint16Array(d.nUsers), centroids: [meanRow(backbone.users, cfg.fullDim)], sizes: [d.nUsers] }
      : clusterUsers(backbone.users, cfg.fullDim, C, cfg.seed, cfg.kmeansIterations);
  const itemGroups = groupItems(d.train, d.nItems, cfg.itemGroups);
  const cluster = now() - t;
  t = now();
  const refined = await refineUserGroups({
    users: backbone.users,
    items: backbone.items,
    dim: cfg.fullDim,
    blockDim: cfg.blockDim,
    nUsers: d.nUsers,
    nItems: d.nItems,
    train: d.train,
    assignment: groups.assignment,
    groupCount: C,
    itemGroups,
    validation,
    options: { ...cfg.refine, seed: cfg.seed, threads: cfg.threads },
    onProgress: (done, total) => opts.onProgress?.(`${opts.stage}refine`, done, total),
  });
  const refine = now() - t;
  const model: PeelModel = {
    dim: cfg.fullDim,
    blockDim: cfg.blockDim,
    nUsers: d.nUsers,
    nItems: d.nItems,
    users: backbone.users,
    assignment: groups.assignment,
    centroids: groups.centroids,
    itemGroups,
    tables: refined.tables,
    weights: refined.weights,
    scoring: refined.scoring,
  };
  return { backbone, itemGroups, model, refineStats: refined.stats, validation, seconds: { pretrain, cluster, refine } };
}

function meanRow(rows: Float32Array, dim: number): number[] {
  const out = new Array<number>(dim).fill(0);
  const n = rows.length / dim;
  for (let u = 0; u < n; u++) for (let k = 0; k < dim; k++) out[k]! += rows[u * dim + k]!;
  return out.map((v) => Math.fround(v / n));
}
