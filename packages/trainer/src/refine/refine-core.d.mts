// Types of refine-core.mjs for TypeScript callers.
export interface RefineTask {
  nUsers: number;
  nItems: number;
  dim: number;
  blockDim: number;
  blocks: number;
  itemGroups: number;
  users: number;
  items: number;
  innerIndptr: number;
  innerIndices: number;
  itemGroupOf: number;
  groupPopularity: number[];
  members: number;
  membersCount: number;
  valUsers: number;
  valItems: number;
  valCount: number;
  out: number;
  weightsOut: number;
  scratch: { work: number; gradAcc: number; adamM: number; adamV: number; up: number; vnT: number; s: number; dvnT: number };
  batch: number;
  negatives: number;
  epochs: number;
  patience: number;
  lr: number;
  controllerLr: number;
  outerEvery: number;
  elastic: number[];
  hidden: number;
  /** Score kept blocks with weights renormalised over each item group's kept blocks. */
  renormalize: boolean;
  /** Outer (controller) steps score through a relaxed keep-mask, so selection itself gets a gradient. */
  softSelection: boolean;
  seed: number;
}
export interface RefineResult {
  epochsRun: number;
  bestEpoch: number;
  alpha: number;
  /** Temperature applied to the controller's weights, chosen on validation (1 = as learned). */
  temperature: number;
  valLossBefore: number;
  valLossAfter: number;
  /**
   * Validation Recall@20 (mean over the elastic budgets) of the shipped table and weights; 0 without validation
   * edges. refineGroup reports it under the trained-for rule, refineUserGroups under the pooled choice.
   */
  valRecallAfter: number;
  /** Validation Recall@20 of the untrained controller's weights (first-k selection) on the shipped table, trained-for scoring rule. */
  valRecallStart: number;
  /** Whether the learned weights beat the untrained controller's on validation Recall@20 and were kept. */
  learnedWeights: boolean;
  /**
   * The scoring rule (see @peelrec/format's README, "Scoring"): refineGroup reports the trained-for rule;
   * refineUserGroups replaces it with the one chosen on validation pooled over the groups (chooseScoring).
   */
  scoring: 'mean' | 'truncated';
  /** Validation Recall@20 of the shipped table and weights at each elastic budget, under each scoring rule (empty without validation edges). */
  ruleRecalls: { mean: number[]; truncated: number[] };
  /** Validation users ranked for the recalls. */
  rankedUsers: number;
  weights: number[];
  edges: number;
  valEdges: number;
}
export type GemmFn = (a: number, sai: number, sap: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, acc: number) => void;
export function makeRandom(seed: number): () => number;
/** Arithmetic mean; 0 for no values. */
export function mean(xs: readonly number[]): number;
export function sharpen(w: Float64Array, G: number, B: number, T: number): Float64Array;
/** Index of the candidate (validation recall per budget) that replaces the start weights, or −1: best mean, never below the start at any budget. */
export function chooseWeights(start: readonly number[], candidates: readonly (readonly number[])[]): number;
/** The scoring rule for every user group: better pooled validation recall (weighted by ranked users); ties keep `trainedFor`. */
export function chooseScoring(
  groups: readonly { ruleRecalls: { mean: readonly number[]; truncated: readonly number[] }; rankedUsers: number }[],
  trainedFor: 'mean' | 'truncated',
): { scoring: 'mean' | 'truncated'; mean: number; truncated: number };
export function keepMask(w: Float64Array, G: number, B: number, keep: number): Uint8Array;
export function softKeep(w: Float64Array, G: number, B: number, keep: number, kappa?: number): { m: Float64Array; s: Float64Array; kappa: number };
export function effectiveFactors(w: Float64Array, m: Float64Array | Uint8Array, G: number, B: number, renormalize: boolean, out?: Float64Array): Float64Array;
export function effectiveBackward(w: Float64Array, m: Float64Array | Uint8Array, soft: { s: Float64Array } | null, dEff: Float64Array, G: number, B: number, renormalize: boolean, out?: Float64Array): Float64Array;
export function refineGroup(t: RefineTask, buf: ArrayBuffer | SharedArrayBuffer, gemm: GemmFn, tick?: (rows: number) => void): RefineResult;
export interface ControllerForward {
  /** Softmax weights [G*B], non-increasing in the block index within each item group. */
  w: Float64Array;
  h: Float64Array;
  z: Float64Array;
}
export class Controller {
  constructor(hidden: number, rand: () => number);
  hidden: number;
  params: Float64Array;
  forward(x: Float64Array, G: number, B: number): ControllerForward;
  gradient(x: Float64Array, fwd: ControllerForward, dw: Float64Array, G: number, B: number): Float64Array;
  step(x: Float64Array, fwd: ControllerForward, dw: Float64Array, G: number, B: number, lr: number): void;
}
