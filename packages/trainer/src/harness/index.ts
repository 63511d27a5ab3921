/** The method harness (issue 20): one split, one backbone, one metric, one accounting; the primitives methods call. */
export * from './accounting.js';
export { denseOutcome } from './dense.js';
export { HarnessError, MethodBudgetError } from './errors.js';
export { fineTuneItems, fineTuneTables, type FineTuneInput, type FineTuneRecipe } from './finetune.js';
export { createHarness, type Harness, type HarnessOptions, type PrimitiveCost } from './harness.js';
export type { BudgetOutcome, Method, MethodOutcome, MixedVariant, SparseVariant, TableKind } from './method.js';
export { testMetric, VALIDATION_CUTOFFS, validationMetric, type ScoredTables, type ValidationMetric } from './metric.js';
export { mixedOutcome, positions, sizeSummary, sizedStart, sizesByItem, trainMixed } from './mixed.js';
export type { MethodsReport, MethodEntry, MethodBudgetRow, PairedVsPeel } from './report.js';
export { compareMethods, HARNESS_DEFAULTS, type CompareOptions } from './run.js';
export { fitSizes, type FittedSizes } from './sizes.js';
export { splitForMethods, type MethodSplit, type SplitOptions } from './split.js';
export * from './tables.js';
export { trimColumns, trimVsFallback, type TrimRow } from './trim.js';
export { trimChoice } from './trim-choice.js';
