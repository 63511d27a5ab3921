/**
 * The uniform baseline's model (ablation (b) of the quality suite, and the `uniform` method of the harness): a
 * plain model trained from scratch at one width, with the backbone's recipe less its nesting. One function, so
 * that both comparisons retrain the same model.
 */
import { type Embeddings, trainBackbone } from '../backbone/index.js';
import type { TrainConfig } from '../config.js';
import type { CSR } from '../data/types.js';

/** `dim` wide, trained on `train` from a fresh seeded start (never a warm start), users and items both. */
export function trainUniformModel(train: CSR, nUsers: number, nItems: number, cfg: TrainConfig, dim: number, onProgress?: (stage: string, done: number, total: number) => void): Promise<Embeddings> {
  return trainBackbone(train, nUsers, nItems, {
    ...cfg.backbone,
    // a fixed-width model: plain training is its best recipe (nothing is ever truncated)
    nested: [],
    dim,
    blockDim: cfg.blockDim,
    seed: cfg.seed,
    threads: cfg.threads,
    onProgress,
  });
}
