/**
 * What the tuner searches: the backbone knobs that decide quality, their ranges, and how a candidate becomes
 * a config. Knobs the user set (a flag or a config key) are fixed at that value and never searched.
 */
import type { DeepPartial, TrainConfig } from '../config.js';
import type { Random } from '../data/random.js';

/** How the nested levels are placed: halvings of the width (today's default), the budgets' own widths, or both. */
export type NestedPlacement = 'halvings' | 'budgets' | 'both';

export interface Knobs {
  temperature: number;
  fullTemperature: number;
  diversity: number;
  lr: number;
  weightDecay: number;
  nested: NestedPlacement;
}

export type KnobName = keyof Knobs;

/** The settings a caller can fix so the tuner leaves them alone. */
export type TunedSetting = KnobName | 'softmaxEpochs' | 'smoothing' | 'userGroups';

/** Knobs fixed by the caller's partial config, with the config key that fixed each. */
export function fixedKnobs(partial: DeepPartial<TrainConfig> | undefined): Partial<Record<TunedSetting, string>> {
  const b = partial?.backbone ?? {};
  const out: Partial<Record<TunedSetting, string>> = {};
  for (const k of ['temperature', 'fullTemperature', 'diversity', 'lr', 'weightDecay', 'nested', 'softmaxEpochs', 'smoothing'] as const) {
    if (b[k] !== undefined) out[k] = `backbone.${k}`;
  }
  if (partial?.userGroups !== undefined) out.userGroups = 'userGroups';
  return out;
}

/** Today's defaults as knobs: candidate 0 of every search, so tuning can only move away from them on evidence. */
export function defaultKnobs(cfg: TrainConfig): Knobs {
  const b = cfg.backbone;
  return {
    temperature: b.temperature ?? 0.1,
    fullTemperature: b.fullTemperature ?? b.temperature ?? 0.1,
    diversity: b.diversity ?? 0,
    lr: b.lr ?? 2e-3,
    weightDecay: b.weightDecay ?? 0,
    nested: 'halvings',
  };
}

const logUniform = (r: Random, lo: number, hi: number) => Math.exp(Math.log(lo) + r.next() * (Math.log(hi) - Math.log(lo)));
const round3 = (x: number) => Number(x.toPrecision(3));

/**
 * One random candidate around the defaults. Ranges: τ 0.05–0.2 (log), the whole-row level's τ 0.5–1.25× that
 * (0.07 helped Gowalla's full table, bench/results.md), λ 0 (a quarter of draws) or 0.3–30 (log), Adam's rate
 * 0.7–6·10⁻³ (log), weight decay 0 (half of draws) or 0.03–3 (log), and a nested placement. Fixed knobs keep `base`.
 */
export function sampleKnobs(r: Random, base: Knobs, fixed: ReadonlySet<string>): Knobs {
  const ratio = logUniform(r, 0.5, 1.25);
  const k: Knobs = {
    temperature: round3(logUniform(r, 0.05, 0.2)),
    fullTemperature: 0,
    diversity: r.next() < 0.25 ? 0 : round3(logUniform(r, 0.3, 30)),
    lr: round3(logUniform(r, 7e-4, 6e-3)),
    weightDecay: r.next() < 0.5 ? 0 : round3(logUniform(r, 0.03, 3)),
    nested: (['halvings', 'budgets', 'both'] as const)[r.int(3)]!,
  };
  if (fixed.has('temperature')) k.temperature = base.temperature;
  // the whole-row level's τ is drawn relative to the other levels' (fixed or not)
  k.fullTemperature = fixed.has('fullTemperature') ? base.fullTemperature : round3(k.temperature * ratio);
  if (fixed.has('diversity')) k.diversity = base.diversity;
  if (fixed.has('lr')) k.lr = base.lr;
  if (fixed.has('weightDecay')) k.weightDecay = base.weightDecay;
  if (fixed.has('nested')) k.nested = base.nested;
  return k;
}

/** The nested widths of a placement: halvings of fullDim, the budgets' widths below fullDim, or their union. */
export function nestedFor(placement: NestedPlacement, halvings: readonly number[], budgetWidths: readonly number[], fullDim: number): number[] {
  const budgets = budgetWidths.filter((w) => w < fullDim);
  const set = placement === 'halvings' ? halvings : placement === 'budgets' ? budgets : [...halvings, ...budgets];
  return [...new Set(set)].sort((a, b) => a - b);
}

/** `cfg` with a candidate's knobs; the nested widths come from `nested` unless the user fixed them. */
export function applyKnobs(cfg: TrainConfig, k: Knobs, nested: number[] | undefined): TrainConfig {
  return {
    ...cfg,
    backbone: {
      ...cfg.backbone,
      temperature: k.temperature,
      fullTemperature: k.fullTemperature,
      diversity: k.diversity,
      lr: k.lr,
      weightDecay: k.weightDecay,
      ...(nested ? { nested } : {}),
    },
  };
}
