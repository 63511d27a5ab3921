/**
 * `methods-<dataset>.json`: every method under one split, one metric and one accounting (issue 20). The shape
 * later methods add to: {dataset, split, accounting, methods: {<name>: {seconds, budgets: [{fraction, bytes,
 * recall20, ndcg20, paperSparsity, pairedVsPeel: {recall20, se}}]}}}, plus what makes the figures checkable.
 */
import type { Dtype } from '@peelrec/format';
import type { Metric, UserMetric } from '../quality/budgets.js';
import { pairedGain } from '../quality/paired.js';
import type { PrimitiveCost } from './harness.js';
import type { BudgetOutcome, MethodOutcome, TableKind } from './method.js';
import type { TrimRow } from './trim.js';

/** Method − PEEL on the same test users (positive: the method is ahead); null for PEEL's own rows or without PEEL. */
export interface PairedVsPeel {
  recall20: number;
  se: number | null;
  ndcg20: number;
  ndcgSe: number | null;
  users: number;
}

export interface MethodBudgetRow {
  fraction: number;
  bytes: number;
  dtype: Dtype;
  recall20: number;
  ndcg20: number;
  paperSparsity: number;
  pairedVsPeel: PairedVsPeel | null;
  validation?: { recall20: number; ndcg20: number; se: number; users: number };
  /**
   * The test metric over the validation sample's users only (rows with a validation metric): where validation and
   * test order two methods differently, it says whether the users or the held-out edges differ.
   */
  testOnValidationSample?: { recall20: number; ndcg20: number; users: number };
  [detail: string]: unknown;
}

export interface MethodEntry {
  /** Training seconds of the method alone (the shared backbone is timed apart, under `backbone`). */
  seconds: number;
  kind: TableKind;
  about: string;
  budgets: MethodBudgetRow[];
  /** Mixed methods: trimming the next larger variant against falling back to the next smaller one, on validation. */
  trimVsFallback?: TrimRow[];
  notes?: string[];
  [extra: string]: unknown;
}

export interface MethodsReport {
  dataset: string;
  split: string;
  accounting: 'device-item-bytes';
  /** How `bytes` and `paperSparsity` are counted. */
  accountingNote: string;
  generatedAt: string;
  trainer: string;
  seed: number;
  threads: number;
  users: number;
  items: number;
  trainInteractions: number;
  testInteractions: number;
  budgets: { fraction: number; bytes: number }[];
  /** `fineTunedTest`: the whole table fine-tuned as the masked methods are, nothing pruned (what fine-tuning alone adds). */
  backbone: {
    recipe: string;
    config: unknown;
    /** Seconds to train it, or to load it when `cache.hit`. */
    seconds: number;
    test: Metric;
    validation: Metric & { se: number };
    fineTunedTest: Metric;
    /** With `--backbone-cache`: its key, and whether this run loaded it (then `trainedSeconds` is what training took). */
    cache?: { key: string; hit: boolean; trainedSeconds: number };
  };
  fineTune: { recipe: unknown; usersFrozenOnDevice: true; about: string };
  validation: { edges: number; users: number; sampledUsers: number; about: string };
  /** Cost per call of the harness's primitives in this run (seconds), as the search methods will pay it. */
  primitives: Record<string, PrimitiveCost & { secondsPerCall: number; secondsPerEpoch?: number }>;
  methods: Record<string, MethodEntry>;
  wallSeconds: number;
  notes: string[];
}

export const ACCOUNTING_NOTE =
  'bytes: device bytes of the item table as stored, every value, index, size and permutation byte included (the format contract of the mixed and sparse kinds); budgets are fractions of the full f32 item table (items × dim × 4). The user side is one row on the device and is not counted. paperSparsity: 1 − (stored user + item parameters) / ((users + items) × dim), the accounting of BET, CIESS and SparseRec; every method here keeps the full user table.';

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The mean test metric of `sample`'s users who have one (NaN marks a user without test items). */
export function testOnUsers(test: UserMetric, sample: Uint32Array): { recall20: number; ndcg20: number; users: number } {
  let [r, n, users] = [0, 0, 0];
  for (const u of sample) {
    const x = test.perUser.recall20[u];
    if (x === undefined || Number.isNaN(x)) continue;
    r += x;
    n += test.perUser.ndcg20[u]!;
    users++;
  }
  return { recall20: users ? round6(r / users) : 0, ndcg20: users ? round6(n / users) : 0, users };
}

/**
 * A method's rows, paired against PEEL's test users at the same fraction when PEEL ran; a row with a validation
 * metric also gets its test metric over `validationSample`'s users.
 */
export function methodEntry(name: string, about: string, seconds: number, o: MethodOutcome, peel: readonly BudgetOutcome[] | undefined, trim?: TrimRow[], validationSample?: Uint32Array): MethodEntry {
  const budgets = o.budgets.map((b): MethodBudgetRow => {
    const p = name === 'peel' ? undefined : peel?.find((x) => x.fraction === b.fraction);
    const g = p && pairedGain(b.test, p.test);
    return {
      fraction: b.fraction,
      bytes: b.bytes,
      dtype: b.dtype,
      recall20: round6(b.test.recall20),
      ndcg20: round6(b.test.ndcg20),
      paperSparsity: round6(b.paperSparsity),
      pairedVsPeel: g
        ? {
            recall20: round6(g.recall20.mean),
            se: g.recall20.se === null ? null : round6(g.recall20.se),
            ndcg20: round6(g.ndcg20.mean),
            ndcgSe: g.ndcg20.se === null ? null : round6(g.ndcg20.se),
            users: g.users,
          }
        : null,
      ...(b.validation ? { validation: { recall20: round6(b.validation.recall20), ndcg20: round6(b.validation.ndcg20), se: round6(b.validation.se.recall20), users: b.validation.users } } : {}),
      ...(b.validation && validationSample ? { testOnValidationSample: testOnUsers(b.test, validationSample) } : {}),
      ...(b.details ?? {}),
    };
  });
  return {
    seconds: Math.round(seconds * 10) / 10,
    kind: o.kind,
    about,
    budgets,
    ...(trim ? { trimVsFallback: trim } : {}),
    ...(o.notes?.length ? { notes: o.notes } : {}),
    ...(o.extra ?? {}),
  };
}

/** Per-call (and per-epoch) costs from the harness's counters. */
export function primitiveCosts(costs: Record<string, PrimitiveCost>): MethodsReport['primitives'] {
  const out: MethodsReport['primitives'] = {};
  for (const [k, c] of Object.entries(costs)) {
    out[k] = { ...c, seconds: round6(c.seconds), secondsPerCall: round6(c.seconds / c.calls), ...(c.epochs ? { secondsPerEpoch: round6(c.seconds / c.epochs) } : {}) };
  }
  return out;
}
