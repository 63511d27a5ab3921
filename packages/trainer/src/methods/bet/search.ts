/**
 * BET's search loop (arXiv 2310.14884, Algorithm 1), at one budget: every iteration t samples m actions, picks one
 * by strategy I (greedy on the predicted fitness, t mod 5 ∈ {0, 1, 2}), II (at random, t mod 5 = 3) or III (the
 * candidate nearest, in the predictor's embedding space, to the best action evaluated so far, t mod 5 = 4),
 * fine-tunes it for h epochs from the backbone, evaluates it, adds it to the population and takes N predictor
 * steps on the whole population. After T iterations the top actions are retrained and the best on validation kept.
 *
 * The `random` strategy is the ablation the issue asks for: strategy II at every iteration, no predictor, the same
 * T fine-tuned evaluations and the same retraining, so the two differ in how actions are chosen alone.
 */
import type { Random } from '../../data/random.js';
import { HarnessError } from '../../harness/errors.js';
import type { Harness } from '../../harness/harness.js';
import type { ValidationMetric } from '../../harness/metric.js';
import { sizesByItem } from '../../harness/mixed.js';
import { asStoredValues, sizesMask } from '../../harness/tables.js';
import { type ActionSizes, createPredictor } from './predictor.js';
import { type BetAction, type SamplerBudget, sampleAction, type SideDraw } from './sampler.js';

export type SearchStrategy = 'guided' | 'random';

/** `device`: the harness's item bytes, users full; `paper`: user + item parameters at sparsity 1 − fraction. */
export type BetAccounting = 'device' | 'paper';

export interface BetSettings {
  /** T: search iterations, one fine-tuned evaluation each. */
  iterations: number;
  /** h: fine-tuning epochs of each evaluated action. */
  epochs: number;
  /** m: actions sampled per iteration. */
  candidates: number;
  /** N: predictor updates (Adam steps on the population) after each evaluation. */
  predictorSteps: number;
  /** Actions retrained after the search. */
  top: number;
  /** Fine-tuning epochs of each retrained action. */
  retrainEpochs: number;
  strategy: SearchStrategy;
  /** The predictor's Adam learning rate. */
  lr: number;
  accounting: BetAccounting;
}

/** I: greedy on the predictor; II: random; III: nearest neighbour of the best. */
export type Strategy = 'I' | 'II' | 'III';

/** The paper's schedule by t mod 5, or II throughout for the ablation. */
export function strategyAt(t: number, strategy: SearchStrategy): Strategy {
  if (strategy === 'random') return 'II';
  const r = t % 5;
  return r <= 2 ? 'I' : r === 3 ? 'II' : 'III';
}

/** BET's eval: the mean of Recall@k and NDCG@k over k ∈ {5, 10, 20} on validation. */
export function fitnessOf(m: ValidationMetric): number {
  let s = 0;
  for (const c of m.atCutoffs) s += c.recall + c.ndcg;
  return s / (2 * m.atCutoffs.length);
}

export interface SearchInput {
  h: Harness;
  budget: SamplerBudget;
  settings: BetSettings;
  /** eval(E): the fitness of the backbone's full tables, the denominator of r_a. */
  baseline: number;
  /** Per side (items; then users in the paper accounting), frequency by rank normalised to [0, 1]. */
  frequencies: readonly Float32Array[];
  /** Paper accounting: the user index at each user rank. */
  userOrder?: Uint32Array;
  rng: Random;
  seed: number;
  label: string;
}

/** One evaluated action. */
export interface Evaluated {
  t: number;
  strategy: Strategy;
  action: BetAction;
  /** r_a = eval(E ⊙ M_a) / eval(E), after h epochs. */
  r: number;
  /** The predictor's r_a for it when it was chosen (null: no predictor, the ablation). */
  predicted: number | null;
  recall20: number;
}

export interface Retrained {
  t: number;
  /** r_a after the search's h epochs, and the fitness and Recall@20 after retraining. */
  searchR: number;
  fitness: number;
  recall20: number;
}

export interface SearchResult {
  population: Evaluated[];
  retrained: Retrained[];
  best: { action: BetAction; t: number; items: Float32Array; users: Float32Array; validation: ValidationMetric };
  /** MSE before each predictor step, in order. */
  predictorLosses: number[];
  /** Seconds spent sampling actions and in the predictor (forward passes and updates), and predictor steps taken. */
  seconds: { sampler: number; predictor: number };
  predictorSteps: number;
}

/** What an action's sides look like to the predictor: items, then users. */
export function actionSides(a: BetAction): ActionSizes {
  return a.users ? [a.items, a.users] : [a.items];
}

export function describeDraw(a: BetAction): { items: SideDraw; users?: SideDraw; w?: number } {
  return { items: a.itemDraw, ...(a.userDraw ? { users: a.userDraw, w: a.w } : {}) };
}

const seconds = (since: number) => (performance.now() - since) / 1000;

function nearest(candidates: readonly Float32Array[], target: Float32Array): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  candidates.forEach((c, i) => {
    let d = 0;
    for (let k = 0; k < c.length; k++) d += (c[k]! - target[k]!) ** 2;
    if (d < bestDistance) [best, bestDistance] = [i, d];
  });
  return best;
}

/** Sizes by rank, per side: what `evaluateAction` needs of an action (a sampled one, or SU's). */
export type ActionSizesByRank = Pick<BetAction, 'items' | 'users'>;

/**
 * The action's item table fine-tuned for `epochs` from the backbone (as stored), the users it is scored with, and its
 * validation. In the papers' accounting (given `userOrder`) the users are cut to their sizes and fine-tuned with the
 * items (harness/finetune.ts); otherwise they are the backbone's.
 */
export async function evaluateAction(h: Harness, a: ActionSizesByRank, epochs: number, label: string, userOrder?: Uint32Array) {
  const e = h.backbone;
  const itemMask = sizesMask(sizesByItem(a.items, h.order), e.dim);
  const tuned =
    a.users && userOrder
      ? await h.fineTuneBoth({ users: e.users, userMask: sizesMask(sizesByItem(a.users, userOrder), e.dim), items: e.items, itemMask, dim: e.dim }, label, epochs)
      : { users: e.users, items: await h.fineTune(e.items, e.dim, itemMask, label, epochs) };
  const items = asStoredValues(tuned.items, h.options.dtype);
  return { items, users: tuned.users, validation: await h.validate({ users: tuned.users, items, dim: e.dim }) };
}

export async function search(o: SearchInput): Promise<SearchResult> {
  const { h, settings: s, rng } = o;
  const e = h.backbone;
  const guided = s.strategy === 'guided';
  const predictor = guided ? await createPredictor({ frequencies: o.frequencies, dim: e.dim, seed: o.seed, lr: s.lr }) : undefined;
  const population: Evaluated[] = [];
  const predictorLosses: number[] = [];
  const spent = { sampler: 0, predictor: 0 };
  let predictorSteps = 0;

  const evaluate = (a: BetAction, epochs: number, label: string) => evaluateAction(h, a, epochs, label, o.userOrder);

  try {
    for (let t = 0; t < s.iterations; t++) {
      let since = performance.now();
      const candidates = Array.from({ length: s.candidates }, () => sampleAction(o.budget, rng));
      spent.sampler += seconds(since);
      const strategy = strategyAt(t, s.strategy);
      since = performance.now();
      let pick = rng.int(candidates.length);
      if (predictor && strategy === 'I') {
        const p = predictor.predict(candidates.map(actionSides));
        pick = p.indexOf(Math.max(...p));
      } else if (predictor && strategy === 'III' && population.length > 0) {
        const best = population.reduce((a, b) => (b.r > a.r ? b : a));
        const [target] = predictor.embed([actionSides(best.action)]);
        pick = nearest(predictor.embed(candidates.map(actionSides)), target!);
      }
      const chosen = candidates[pick]!;
      const predicted = predictor ? predictor.predict([actionSides(chosen)])[0]! : null;
      spent.predictor += seconds(since);
      const { validation } = await evaluate(chosen, s.epochs, `${o.label} t${t}`);
      const r = fitnessOf(validation) / o.baseline;
      population.push({ t, strategy, action: chosen, r, predicted, recall20: validation.recall20 });
      h.progress(`search ${o.label}`, t + 1, s.iterations);
      if (predictor) {
        since = performance.now();
        predictorLosses.push(
          ...predictor.train(
            population.map((p) => actionSides(p.action)),
            population.map((p) => p.r),
            s.predictorSteps,
          ),
        );
        predictorSteps += s.predictorSteps;
        spent.predictor += seconds(since);
      }
      h.log(`${o.label} t ${t} (${strategy}): r ${r.toFixed(4)}${predicted === null ? '' : `, predicted ${predicted.toFixed(4)}`}, validation recall@20 ${validation.recall20.toFixed(4)}`);
    }
  } finally {
    predictor?.dispose();
  }

  const top = [...population].sort((a, b) => b.r - a.r || a.t - b.t).slice(0, s.top);
  const retrained: Retrained[] = [];
  let best: SearchResult['best'] | undefined;
  let bestFitness = Number.NEGATIVE_INFINITY;
  for (const c of top) {
    const { items, users, validation } = await evaluate(c.action, s.retrainEpochs, `${o.label} retrain t${c.t}`);
    const fitness = fitnessOf(validation);
    retrained.push({ t: c.t, searchR: c.r, fitness, recall20: validation.recall20 });
    if (fitness > bestFitness) {
      bestFitness = fitness;
      best = { action: c.action, t: c.t, items, users, validation };
    }
  }
  if (!best) throw new HarnessError('bet: a search needs at least one iteration and one retrained action');
  return { population, retrained, best, predictorLosses, seconds: spent, predictorSteps };
}
