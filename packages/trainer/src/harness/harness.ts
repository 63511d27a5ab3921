/**
 * The harness a method runs in: the dataset and its one split, the shared backbone (trained once, on the
 * carve's inner edges, with the PEEL pipeline's recipe), the accounting, and the primitives a search method
 * calls many times (apply sizes or a mask, fine-tune from a warm start, the quick validation metric), each
 * timed per call so that their cost is reported.
 */
import type { Embeddings } from '../backbone/index.js';
import type { TrainConfig } from '../config.js';
import type { Dataset } from '../data/types.js';
import { groupItems } from '../groups/item-groups.js';
import type { UserMetric } from '../quality/budgets.js';
import { budgetBytes, type ValueDtype } from './accounting.js';
import { type FineTuneRecipe, fineTuneItems, fineTuneTables } from './finetune.js';
import { type ScoredTables, testMetric, type ValidationMetric, validationMetric } from './metric.js';
import type { MethodSplit } from './split.js';
import { applyMask, applySizes, prefixColumns } from './tables.js';

export interface HarnessOptions {
  /** Budget fractions reported (of the full f32 item table). */
  budgets: number[];
  /** Further fractions the mixed and sparse methods train variants for (trim measurement, export); not reported as budgets. */
  variants: number[];
  /** Encoding of the mixed, sparse and dense values. */
  dtype: ValueDtype;
  fineTune: FineTuneRecipe;
  /** Validation users the quick metric ranks. */
  validationUsers: number;
  seed: number;
  threads: number;
}

/** Calls and seconds of one primitive. */
export interface PrimitiveCost {
  calls: number;
  seconds: number;
  /** Fine-tuning only: epochs run over all calls (the cost per epoch is seconds / epochs). */
  epochs?: number;
}

export interface Harness {
  readonly dataset: Dataset;
  readonly split: MethodSplit;
  /** The PEEL pipeline's resolved config: the backbone recipe every method shares, and PEEL's own knobs. */
  readonly config: TrainConfig;
  readonly options: HarnessOptions;
  /** The shared backbone: users are every method's user table; items the warm start. */
  readonly backbone: Embeddings;
  /** Item index at each artifact position (training popularity, ties by index), and the popularity there. */
  readonly order: Uint32Array;
  readonly popularityByPosition: Uint32Array;
  budgetBytes(fraction: number): number;
  /** The backbone's user table cut to its first `width` columns (the full table at the full width). */
  usersAt(width: number): Float32Array;
  applyMask(table: Float32Array, mask: Uint8Array): Float32Array;
  applySizes(table: Float32Array, dim: number, sizes: ArrayLike<number>): Float32Array;
  /** Fine-tunes `items` (warm start, `dim` wide, masked by `mask`) for the recipe's epochs against the frozen users. */
  fineTune(items: Float32Array, dim: number, mask: Uint8Array | undefined, label: string, epochs?: number): Promise<Float32Array>;
  /** The papers' accounting: `users` (the backbone's, `dim` wide) and `items` fine-tuned together, each under its mask. */
  fineTuneBoth(
    t: { users: Float32Array; userMask: Uint8Array; items: Float32Array; itemMask: Uint8Array | undefined; dim: number },
    label: string,
    epochs?: number,
  ): Promise<{ users: Float32Array; items: Float32Array }>;
  validate(t: ScoredTables): Promise<ValidationMetric>;
  test(t: ScoredTables): Promise<UserMetric>;
  log(line: string): void;
  /** Progress of a method's own long step (a model it trains), for the CLI's bars. */
  progress(stage: string, done: number, total: number): void;
  /** Cost of each primitive so far. */
  costs(): Record<string, PrimitiveCost>;
}

export function createHarness(p: {
  dataset: Dataset;
  split: MethodSplit;
  config: TrainConfig;
  options: HarnessOptions;
  backbone: Embeddings;
  log?: (line: string) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
}): Harness {
  const { dataset: d, split, options: o, backbone } = p;
  const groups = groupItems(d.train, d.nItems, 1);
  const costs: Record<string, PrimitiveCost> = {};
  const record = (name: string, started: number, epochs?: number) => {
    const c = (costs[name] ??= { calls: 0, seconds: 0 });
    c.calls++;
    c.seconds += (performance.now() - started) / 1000;
    if (epochs !== undefined) c.epochs = (c.epochs ?? 0) + epochs;
  };
  const timed = <T>(name: string, f: () => T): T => {
    const t = performance.now();
    const r = f();
    record(name, t);
    return r;
  };
  const timedAsync = async <T>(name: string, f: () => Promise<T>, epochs?: number): Promise<T> => {
    const t = performance.now();
    const r = await f();
    record(name, t, epochs);
    return r;
  };
  const users = new Map<number, Float32Array>([[backbone.dim, backbone.users]]);
  const usersAt = (width: number) => {
    let u = users.get(width);
    if (!u) users.set(width, (u = prefixColumns(backbone.users, backbone.dim, width)));
    return u;
  };
  return {
    dataset: d,
    split,
    config: p.config,
    options: o,
    backbone,
    order: groups.order,
    popularityByPosition: groups.popularity,
    budgetBytes: (fraction) => budgetBytes(d.nItems, backbone.dim, fraction),
    usersAt,
    applyMask: (table, mask) => timed('applyMask', () => applyMask(table, mask)),
    applySizes: (table, dim, sizes) => timed('applySizes', () => applySizes(table, dim, sizes)),
    fineTune: (items, dim, mask, label, epochs = o.fineTune.epochs) =>
      timedAsync(
        'fineTune',
        () =>
          fineTuneItems({
            train: split.validation.inner,
            users: usersAt(dim),
            items,
            dim,
            mask,
            recipe: { ...o.fineTune, epochs },
            seed: o.seed,
            threads: o.threads,
            onProgress: (done, total) => p.onProgress?.(`fine-tune ${label}`, done, total),
          }),
        epochs,
      ),
    fineTuneBoth: (t, label, epochs = o.fineTune.epochs) =>
      timedAsync(
        'fineTune',
        () =>
          fineTuneTables({
            train: split.validation.inner,
            users: t.users,
            userMask: t.userMask,
            items: t.items,
            dim: t.dim,
            mask: t.itemMask,
            recipe: { ...o.fineTune, epochs },
            seed: o.seed,
            threads: o.threads,
            onProgress: (done, total) => p.onProgress?.(`fine-tune ${label}`, done, total),
          }),
        epochs,
      ),
    validate: (t) => timedAsync('validate', () => validationMetric(t, split, o.threads)),
    test: (t) => timedAsync('test', () => testMetric(t, split, o.threads)),
    log: p.log ?? (() => {}),
    progress: (stage, done, total) => p.onProgress?.(stage, done, total),
    costs: () => structuredClone(costs),
  };
}
