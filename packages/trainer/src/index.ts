/**
 * @peelrec/trainer — PEEL (personalized elastic embeddings) from interactions to a format artifact.
 * One entry point: the pipeline (`train`), artifact evaluation and re-export, and the parts they are made of.
 */
export {
  train,
  resolveConfig,
  QUALITY_FILE,
  DEFAULT_CONFIG,
  SYNTHETIC_PRESET,
  TRAINER_NAME,
  TRAINER_VERSION,
  type TrainOptions,
  type TrainConfig,
  type TrainResult,
  type QualityReport,
  type BudgetQuality,
  type BackboneConfig,
  type DeepPartial,
} from './pipeline.js';
export { ConfigError, parseConfig } from './config-schema.js';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './evaluate-artifact.js';
export { exportArtifact, type ExportOptions } from './reexport.js';
export * from './data/index.js';
export { loadData, type DataSource, type LoadedData } from './data/load.js';
export { generateSynthetic, SYNTHETIC_DEFAULTS, type SyntheticOptions } from './synthetic/generate.js';
export { CATEGORIES } from './synthetic/catalog-words.js';
export { clusterUsers, assignGroup, type UserGroups } from './groups/user-groups.js';
export { groupItems, type ItemGroups } from './groups/item-groups.js';
export { refineUserGroups, carveValidation, keepMask, REFINE_DEFAULTS, type RefineOptions, type RefinedGroups } from './refine/index.js';
export { exportModel, writePayloads, type ArtifactInfo } from './export/write-artifact.js';
export { readArtifact, alignToDataset, type LoadedArtifact } from './export/read-artifact.js';
export { directorySink, directorySource } from './export/fs-sink.js';
export { checkOutputDir, checkOutputFile, checkOutputFolder, prepareOutputDir, OutputDirError, OUTPUT_MARKER } from './export/output-dir.js';
export { budgetBytes, evaluateFull, evaluateSelected, evaluateUnweighted, evaluatePlain, uniformDim, type Metric, type UserMetric } from './quality/budgets.js';
export { pairedGain, type PairedGain, type PairedDiff } from './quality/paired.js';
export { effectiveTable, selectionManifest, type PeelModel } from './quality/peel-model.js';
export { trainBackbone, type BackboneOptions, type Embeddings } from './backbone/index.js';
export { evaluateRanking, type RankingMetrics } from './eval/index.js';
export { compareMethods, HARNESS_DEFAULTS, type CompareOptions, type Harness, type HarnessOptions, type Method, type MethodOutcome, type MethodsReport } from './harness/index.js';
