/** The quality report the pipeline writes (`bench/results/quality-<dataset>.json`). */
import type { Dtype, Scoring } from '@peelrec/format';
import type { TrainConfig } from '../config.js';
import type { LoadReport } from '../data/report.js';
import type { RefineResult } from '../refine/refine-group.mjs';
import type { TuningReport } from '../tuning/report.js';
import type { Metric } from './budgets.js';
import type { PairedGain } from './paired.js';

export interface BudgetQuality {
  fraction: number;
  bytes: number;
  dtype: Dtype;
  peel: Metric;
  /** PEEL restricted to f32 blocks, where the budget allows f32 (to show what f16 costs). */
  peelF32?: (Metric & { dtype: Dtype }) | null;
  /**
   * PEEL with every block in f16, and in i8 (`selectBlocks` with that `dtype`), whether or not the artifact
   * exports it: the two narrow encodings side by side at the same bytes. Null where the budget cannot hold one
   * block per item group in it.
   */
  peelF16?: EncodedPeel | null;
  peelI8?: EncodedPeel | null;
  /** The i8 selection's blocks in f32, unquantised: against `peelI8`, what quantising alone costs. */
  peelI8Unquantised?: Metric | null;
  /** The uniform model retrained at the budget in the dtype PEEL chose (`dtype`). */
  uniform: UniformQuality | null;
  /** The uniform model retrained at the widest f16 table, and the widest i8 table, that fits the budget. */
  uniformF16?: UniformQuality | null;
  uniformI8?: UniformQuality | null;
  /** Paired differences between the encodings' rows on the same test users (see {@link EncodingComparison}). */
  encodingGain?: Partial<Record<EncodingComparison, PairedGain>>;
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

/** PEEL with every selected block in one encoding. */
export interface EncodedPeel extends Metric {
  dtype: Dtype;
  /** Blocks selected, mean over the user groups with users: i8 fits about twice f16's. */
  blocks: number;
}

export interface UniformQuality extends Metric {
  dim: number;
  dtype: Dtype;
}

/**
 * `a − b`, positive when `a` is ahead: `i8VsF16` peelI8 − peelF16 (more blocks, quantised, against fewer f16
 * blocks); `quantisation` peelI8 − peelI8Unquantised (the same blocks: quantising's cost alone, ≤ 0 expected);
 * `uniformI8VsF16` uniformI8 − uniformF16; `peelVsUniformF16` peelF16 − uniformF16; `peelVsUniformI8`
 * peelI8 − uniformI8.
 */
export type EncodingComparison = 'i8VsF16' | 'quantisation' | 'uniformI8VsF16' | 'peelVsUniformF16' | 'peelVsUniformI8';

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
  /** Every block in i8 (exported or not): against `full`, what quantising the whole table costs. */
  fullI8: Metric;
  /** The pretrained global table before user groups and refinement. */
  backbone: Metric;
  /** The full PEEL table minus the backbone on the same test users: the block weights, user groups and refinement together. */
  fullGain: PairedGain;
  budgets: BudgetQuality[];
  /** `tune`: the tuner's whole time, the final backbone (`pretrain`) and the user-group stage included; 0 untuned. */
  seconds: { load: number; pretrain: number; cluster: number; refine: number; evaluate: number; export: number; total: number; tune: number; ablations: number };
  /** Every tuning candidate, its validation figures and each choice; null when tuning was off (`--no-tune`). */
  tuning: TuningReport | null;
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
