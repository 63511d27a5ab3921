/**
 * The harness's one split: the dataset's train/test, and one validation carve made before anything trains.
 * The carve is the PEEL pipeline's own (`carveValidation`, refine/), with its settings, so that PEEL, sharing
 * the backbone, refines against the same validation edges as every other method is judged on. (eval/holdout.ts
 * carves from every user; PEEL's carve takes a share of users, one or two items each, so the backbone loses few
 * training edges.) Every method trains on `inner` only; the test split is never used for a choice.
 */
import { csrFromPairs } from '../data/csr.js';
import { Random } from '../data/random.js';
import type { CSR, Dataset } from '../data/types.js';
import type { EvalData } from '../quality/budgets.js';
import { carveValidation, type ValidationSplit } from '../refine/index.js';

export interface MethodSplit {
  /** Train (all of it) and test: the test metric excludes every training item, validation ones included. */
  test: EvalData;
  /** The carve: `inner` is what every method trains on; `valUsers`/`valItems` the held-out pairs. */
  validation: ValidationSplit;
  /** The held-out pairs as rows of a CSR over all users (empty rows for the others). */
  valid: CSR;
  /** A seeded sample of the validation users, sorted: the users the quick validation metric ranks. */
  validationSample: Uint32Array;
  /** Validation users in all. */
  validationUsers: number;
}

export interface SplitOptions {
  /** Share of a validation user's items held out (PEEL's `refine.valFraction`). */
  valFraction: number;
  /** Share of the users (with ≥ 3 items) who give validation items (PEEL's `refine.valUserFraction`). */
  valUserFraction: number;
  /** Validation users the quick metric ranks (all of them when there are fewer). */
  sampleUsers: number;
  seed: number;
}

/** The carve and the validation sample, both seeded: the same options give the same split. */
export function splitForMethods(d: Dataset, o: SplitOptions): MethodSplit {
  const validation = carveValidation(d.train, o.valFraction, o.seed, o.valUserFraction);
  const { csr: valid } = csrFromPairs(d.nUsers, validation.valUsers, validation.valItems);
  const users = [...new Set(validation.valUsers)];
  const sample = new Random(o.seed ^ 0x2545f491).shuffle(users).slice(0, Math.min(o.sampleUsers, users.length));
  return {
    test: { train: d.train, test: d.test, testUnranked: d.testUnranked },
    validation,
    valid,
    validationSample: Uint32Array.from(sample).sort(),
    validationUsers: users.length,
  };
}
