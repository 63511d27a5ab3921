/**
 * The training config: its fields and defaults, and how a partial config (file, flags, library caller)
 * becomes a complete one. config-schema.ts checks each value.
 */
import type { Dtype } from '@peelrec/format';
import type { BackboneOptions } from './backbone/index.js';
import { ConfigError, parseConfig } from './config-schema.js';
import type { DataSource } from './data/load.js';
import { REFINE_DEFAULTS, type RefineOptions } from './refine/index.js';
import { TUNING_DEFAULTS, type TuningConfig } from './tuning/config.js';

/** Backbone knobs the pipeline passes through (dimensions and seed come from the pipeline). */
export type BackboneConfig = Omit<BackboneOptions, 'dim' | 'blockDim' | 'seed' | 'threads' | 'onProgress' | 'onEpoch' | 'init' | 'itemMask' | 'userMask' | 'freezeUsers'>;

export interface TrainConfig {
  fullDim: number;
  blockDim: number;
  /** User groups (k-means clusters), C. */
  userGroups: number;
  /** Item groups (popularity bands), G. */
  itemGroups: number;
  seed: number;
  threads: number;
  /**
   * Block encodings to export. i8 holds twice f16's blocks at a budget, and on Gowalla its selections beat f16's
   * at 20 / 10 / 5 % by 0.007–0.010 Recall@20 while its rounding cost nothing measurable (bench/results.md), so
   * `selectBlocks`' `auto` serves i8 below half of the f32 table (where f16 no longer holds every block).
   */
  dtypes: Dtype[];
  usersPerShard: number;
  /** Budgets as fractions of one user group's full f32 item table. */
  budgets: number[];
  /** Run the ablations (b)–(e); the quick path skips them. */
  ablations: boolean;
  backbone: BackboneConfig;
  refine: Omit<RefineOptions, 'seed' | 'threads'>;
  kmeansIterations: number;
  /**
   * Self-tuning on validation (src/tuning): on by default, it chooses the backbone's knobs, epochs, smoothing and
   * the user-group count per dataset; settings given by the caller stay as given. Off: the fixed defaults here.
   */
  tuning: TuningConfig;
  /**
   * Seconds the whole `train` pipeline (load, tuning, groups and refinement, evaluation, export) targets: tuning
   * ends early enough for the rest to end by then (tuning/deadline.ts). The ablations are outside it, and with
   * tuning off nothing adapts to it. `--time-budget`.
   */
  timeBudget: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  fullDim: 128,
  blockDim: 8,
  userGroups: 8,
  itemGroups: 20,
  seed: 1,
  threads: 2,
  dtypes: ['f32', 'f16', 'i8'],
  // a known user costs one shard download: 64 × (128 · 4 + 2) B ≈ 33 KB, a few % of a small budget
  usersPerShard: 64,
  budgets: [0.5, 0.2, 0.1, 0.05],
  ablations: true,
  // nested: left out here, resolveConfig derives it from the dimensions (see nestedWidths)
  // 60 epochs, chosen on a Gowalla validation split (bench/results.md, "How the defaults were chosen": 40 beat 20 and 60 beat 40 at every
  // prefix, by 0.7–1.6 %); a nested epoch costs ~1.7× a plain one, and 60 keep the pipeline inside 20 minutes
  backbone: { softmaxEpochs: 60, diversity: 10 },
  refine: { ...REFINE_DEFAULTS },
  kmeansIterations: 50,
  tuning: { ...TUNING_DEFAULTS },
  timeBudget: 1800,
};

/** The embedded demo dataset trains with fewer epochs and no tuning: it is small, and must train in well under 2 minutes. */
export const SYNTHETIC_PRESET: DeepPartial<TrainConfig> = {
  backbone: { softmaxEpochs: 30 },
  ablations: false,
  tuning: { enabled: false },
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer _U)[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * Merges a partial config over defaults (objects merge, arrays and scalars replace). A ConfigError names an
 * unknown key or a bad value (see config-schema.ts).
 */
export function resolveConfig(partial: DeepPartial<TrainConfig> = {}, source?: DataSource): TrainConfig {
  parseConfig(partial);
  const preset = !source || source.kind === 'synthetic' ? SYNTHETIC_PRESET : {};
  const merged = merge(merge(DEFAULT_CONFIG, preset), partial) as TrainConfig;
  const { fullDim, blockDim } = merged;
  if (fullDim % blockDim !== 0 || fullDim % 8 !== 0) {
    throw new ConfigError('fullDim', `fullDim (${fullDim}) must be a multiple of 8 and of blockDim (${blockDim})`);
  }
  if (merged.backbone.nested === undefined) merged.backbone = { ...merged.backbone, nested: nestedWidths(fullDim, blockDim) };
  return merged;
}

/**
 * Default nested widths: fullDim/2, fullDim/4, … down to one block (multiples of 8), ascending; for
 * 128 × 8 that is 8, 16, 32, 64. Budgets keep 5–50 % of the blocks, so each halving is a prefix some
 * device will actually serve.
 */
export function nestedWidths(fullDim: number, blockDim: number): number[] {
  const out: number[] = [];
  for (let w = fullDim / 2; w >= blockDim && Number.isInteger(w); w /= 2) if (w % 8 === 0 && w % blockDim === 0) out.unshift(w);
  return out;
}

function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (Array.isArray(base) || typeof base !== 'object' || base === null) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = k in out && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k]) ? merge(out[k], v) : v;
  }
  return out as T;
}
