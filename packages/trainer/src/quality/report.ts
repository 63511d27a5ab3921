/** The quality report the pipeline writes (`bench/results/quality-<dataset>.json`). */
import type { Dtype, Scoring } from '@peelrec/format';
import type { TrainConfig } from '../config.js';
import type { LoadReport } from '../data/report.js';
import type { RefineResult } from '../refine/refine-core.mjs';
import type { Metric } from './budgets.js';
import type { PairedGain } from './paired.js';

export interface BudgetQuality {
  fraction: number;
  bytes: number;
  dtype: Dtype;
  peel: Metric;
  /** PEEL restricted to f32 blocks, where the budget allows f32 (to show what f16 costs). */
  peelF32?: (Metric & { dtype: Dtype }) | null;
  uniform: (Metric & { dim: number; dtype: Dtype }) | null;
  unweighted: Metric | null;
  noGroups: Metric | null;
  noDiversity: Metric | null;
  /**
   * PEEL minus each ablation on the same test users (positive: PEEL ahead), with the standard error of the
   * difference. It covers the test users' sampling noise, not the training seed's.
   */
  peelGain: Partial<Record<Ablation, PairedGain>>;
}

export type Ablation = 'uniform' | 'unweighted' | 'noGroups' | 'noDiversity';

export interface QualityReport {
  dataset: string;
  split: string;
  datasetSha256: string;
  trainer: string;
  seed: number;
  generatedAt: string;
  contentHash: string;
  users: number;
  items: number;
  trainInteractions: number;
  testInteractions: number;
  /** PEEL with every block (f32): the full table. */
  full: Metric;
  fullF16: Metric;
  /** The pretrained global table before user groups and refinement. */
  backbone: Metric;
  /** The full PEEL table minus the backbone on the same test users: the block weights, user groups and refinement together. */
  fullGain: PairedGain;
  budgets: BudgetQuality[];
  seconds: { load: number; pretrain: number; cluster: number; refine: number; evaluate: number; export: number; total: number; ablations: number };
  /** Each user group's refinement, as chosen on validation (see the README's "Model selection"). */
  refine: (Pick<RefineResult, 'edges' | 'valEdges' | 'bestEpoch' | 'temperature' | 'valLossBefore' | 'valLossAfter' | 'valRecallAfter' | 'valRecallStart' | 'learnedWeights' | 'rankedUsers'> & {
    userGroup: number;
    users: number;
    epochs: number;
    scoring: Scoring;
    /** Validation Recall@20 under each scoring rule, mean over the budget fractions. */
    ruleRecall: { mean: number; truncated: number };
  })[];
  config: TrainConfig;
  loadReport?: LoadReport;
  notes: string[];
}
