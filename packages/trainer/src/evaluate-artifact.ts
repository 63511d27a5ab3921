import type { Dtype, Manifest } from '@peelrec/format';
import { loadData, type DataSource } from './data/load.js';
import { alignToDataset, readArtifact } from './export/read-artifact.js';
import { budgetBytes, evaluateFull, evaluateSelected, pick, type Metric } from './quality/budgets.js';

export interface EvaluateOptions {
  /** Artifact folder. */
  artifact: string;
  /** The dataset the artifact was trained on (its test split is evaluated). Default: synthetic. */
  data?: DataSource;
  /** Default: the manifest's budget fractions, else 0.5, 0.2, 0.1, 0.05. */
  budgets?: number[];
  threads?: number;
}

export interface EvaluateResult {
  modelId: string;
  contentHash: string;
  full: Metric;
  budgets: { fraction: number; bytes: number; dtype: Dtype; recall20: number; ndcg20: number }[];
  /** Budgets too small for one block per item group, with the reason. */
  skipped: { fraction: number; reason: string }[];
}

/**
 * Metrics of an existing artifact on a dataset, computed from the artifact's bytes (verified) with
 * `selectBlocks`, exactly as a device would select and score.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const artifact = await readArtifact(options.artifact);
  const { dataset } = await loadData(options.data ?? { kind: 'synthetic' });
  const model = alignToDataset(artifact, dataset);
  const data = { train: dataset.train, test: dataset.test, testUnranked: dataset.testUnranked };
  const m: Manifest = artifact.manifest;
  const full = pick(await evaluateFull(model, data, artifact.decodedFrom, options.threads));
  const fractions = options.budgets ?? (m.metrics?.budgets.length ? m.metrics.budgets.map((b) => b.fraction) : [0.5, 0.2, 0.1, 0.05]);
  const budgets: EvaluateResult['budgets'] = [];
  const skipped: EvaluateResult['skipped'] = [];
  for (const fraction of fractions) {
    const bytes = budgetBytes(model, fraction);
    try {
      const r = await evaluateSelected(model, m, bytes, data, { threads: options.threads });
      budgets.push({ fraction, bytes, dtype: r.dtype, recall20: r.recall20, ndcg20: r.ndcg20 });
    } catch (e) {
      skipped.push({ fraction, reason: (e as Error).message });
    }
  }
  return { modelId: m.model.id, contentHash: m.model.contentHash, full, budgets, skipped };
}
