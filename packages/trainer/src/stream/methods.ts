/**
 * The methods a stream compares, one per size rule, all on the same backbone, budget, warm-start chain and metric:
 * SCALL (SAC chooses a power-law action per segment), its ablation with one fixed power-law action, and the
 * baselines without RL: uniform sizes, frequency-sized, random sizes. A method sees a segment and its own E from
 * the last one, and returns the sizes it served, the trained model and its validation fitness.
 */
import { Random } from '../data/random.js';
import type { CSR } from '../data/types.js';
import type { FineTuneRecipe } from '../harness/finetune.js';
import { StreamError } from './errors.js';
import { type Fitness, fitnessOf, rankHeldOut, type Tables, type Trained, trainSegment } from './model.js';
import { createSac, type SacAgent, type SacLosses } from './sac.js';
import type { Segment } from './segments.js';
import { actionOfAlpha, alphaOf, type Assignment, frequencySizes, powerLawSizes, randomSizes, rowShare, shareOf, type SizeAction, type SizingContext, uniformSizes } from './sizes.js';
import { buildState, STATE_LENGTH } from './state.js';

export interface SegmentContext {
  segment: Segment;
  sizing: SizingContext;
  /** The inner training edges over the segment's users. */
  inner: CSR;
  recipe: FineTuneRecipe;
  seed: number;
  threads: number;
  /** The converged full-size model's validation fitness: the reward's denominator. */
  referenceFitness: number;
  isLast: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface MethodSegment {
  assignment: Assignment;
  trained: Trained;
  validation: Fitness;
  /** Validation fitness over the reference's. */
  reward: number;
  details?: Record<string, unknown>;
}

export interface StreamMethod {
  readonly name: string;
  readonly about: string;
  run(ctx: SegmentContext, start: Tables): Promise<MethodSegment>;
  dispose?(): void;
}

/** Trains `start` under `a` and measures it on the segment's validation. */
export async function trainAndValidate(ctx: SegmentContext, start: Tables, a: Assignment, label: string): Promise<Omit<MethodSegment, 'details'>> {
  const trained = await trainSegment({
    start,
    userSizes: a.users,
    itemSizes: a.items,
    train: ctx.inner,
    recipe: ctx.recipe,
    seed: ctx.seed + ctx.segment.index,
    threads: ctx.threads,
    onProgress: (done, total) => ctx.onProgress?.(`segment ${ctx.segment.index} ${label}`, done, total),
  });
  const validation = await rankHeldOut(trained.served, ctx.inner, ctx.segment.validation, ctx.threads);
  const reward = ctx.referenceFitness > 0 ? fitnessOf(validation) / ctx.referenceFitness : 0;
  return { assignment: a, trained, validation, reward };
}

const fixedRule = (name: string, about: string, sizes: (ctx: SegmentContext) => Assignment): StreamMethod => ({
  name,
  about,
  run: (ctx, start) => trainAndValidate(ctx, start, sizes(ctx), name),
});

export const uniformMethod = fixedRule('uniform', 'one size for every user and item, the budget split by row count', (ctx) => uniformSizes(ctx.sizing));
export const frequencyMethod = fixedRule('frequency', "sizes proportional to the segment's frequency (no RL), the budget split by row count", (ctx) => frequencySizes(ctx.sizing));

export function randomMethod(seed: number): StreamMethod {
  const rng = new Random(seed ^ 0x5eed);
  return fixedRule('random', 'random sizes (random weights to a random order), the budget split by row count', (ctx) => randomSizes(ctx.sizing, rng));
}

/** The ablation's one action, the centre of the action space: the budget split by row count, α = 1 on both sides (Zipf's law). */
export function fixedAction(): SizeAction {
  return { userShare: 0.5, userAlpha: actionOfAlpha(1), itemAlpha: actionOfAlpha(1) };
}

export const fixedPowerLawMethod = fixedRule('fixed-power-law', "SCALL's size rule with one fixed action: split by row count, α = 1 for users and items", (ctx) =>
  powerLawSizes(ctx.sizing, fixedAction()),
);

export interface ScallSettings {
  /** Exploration steps a segment: each draws an action, trains, is rewarded and updates the policy. */
  rlSteps: number;
  /** SAC gradient steps after each transition. */
  sacUpdates: number;
  /**
   * What a segment serves: 'policy', the policy's mean action (the paper's loop); 'best', of that and the segment's
   * exploratory actions (each already trained and validated), the one with the best validation reward.
   */
  serve: 'best' | 'policy';
}

export const SCALL_SERVE = ['best', 'policy'] as const;

/**
 * rlSteps 4, not 2, chosen on validation on the synthetic stream (seed 1): the served action's mean validation
 * Recall@20 over t ≥ 1 was 0.2044 against 0.1863, for ≈ 2 more trainings a segment (the stream stays ≈ 2 minutes).
 */
export const SCALL_DEFAULTS: ScallSettings = { rlSteps: 4, sacUpdates: 32, serve: 'best' };

const toAction = (a: Float32Array): SizeAction => ({ userShare: a[0]!, userAlpha: a[1]!, itemAlpha: a[2]! });
const describe = (a: SizeAction, sizing: SizingContext) => ({ userShare: shareOf(a.userShare, rowShare(sizing)), userAlpha: alphaOf(a.userAlpha), itemAlpha: alphaOf(a.itemAlpha) });

/**
 * SCALL: per segment, `rlSteps` exploratory actions (each trained warm from the last segment's E, rewarded on
 * validation, stored, and followed by SAC updates), then the policy's mean action for the state after them: the
 * sizes served, retrained warm from the same E.
 */
export async function createScall(seed: number, settings: ScallSettings = SCALL_DEFAULTS): Promise<StreamMethod> {
  if (!(Number.isInteger(settings.rlSteps) && settings.rlSteps >= 0)) throw new StreamError(`scall: rlSteps must be an integer ≥ 0, got ${settings.rlSteps}`);
  const agent: SacAgent = await createSac({ stateDim: STATE_LENGTH, actionDim: 3, seed });
  let lastReward = 0;
  let last: Assignment | undefined;
  const stateOf = (ctx: SegmentContext, t: Tables, reward: number, a: Assignment | undefined) =>
    buildState({
      userFreq: ctx.sizing.userFreq,
      itemFreq: ctx.sizing.itemFreq,
      lastReward: reward,
      users: t.users,
      items: t.items,
      dim: t.dim,
      dMax: ctx.sizing.dMax,
      userSizes: a?.users,
      itemSizes: a?.items,
    });
  return {
    name: 'scall',
    about: 'SCALL (arXiv 2407.15411): SAC over a mean-pooled state chooses the budget split and a power law per side',
    async run(ctx, start) {
      let state = stateOf(ctx, start, lastReward, last);
      const explored: { action: ReturnType<typeof describe>; reward: number; losses: SacLosses }[] = [];
      const candidates: { label: string; action: SizeAction; result: Omit<MethodSegment, 'details'> }[] = [];
      for (let k = 0; k < settings.rlSteps; k++) {
        const raw = agent.act(state, false);
        const a = toAction(raw);
        const r = await trainAndValidate(ctx, start, powerLawSizes(ctx.sizing, a), `scall explore ${k + 1}`);
        const next = stateOf(ctx, r.trained.full, r.reward, r.assignment);
        agent.buffer.push({ state, action: raw, reward: r.reward, next, done: false });
        explored.push({ action: describe(a, ctx.sizing), reward: r.reward, losses: agent.update(settings.sacUpdates) });
        candidates.push({ label: `explore ${k + 1}`, action: a, result: r });
        state = next;
      }
      const raw = agent.act(state, true);
      const a = toAction(raw);
      const r = await trainAndValidate(ctx, start, powerLawSizes(ctx.sizing, a), 'scall');
      const next = stateOf(ctx, r.trained.full, r.reward, r.assignment);
      agent.buffer.push({ state, action: raw, reward: r.reward, next, done: ctx.isLast });
      const losses = agent.update(settings.sacUpdates);
      // Validation decides between actions already trained: no extra training, and test is never looked at.
      let served = { label: 'policy', action: a, result: r };
      if (settings.serve === 'best') for (const c of candidates) if (c.result.reward > served.result.reward) served = c;
      lastReward = served.result.reward;
      last = served.result.assignment;
      return {
        ...served.result,
        details: { action: describe(served.action, ctx.sizing), served: served.label, policy: { action: describe(a, ctx.sizing), reward: r.reward }, explored, losses, transitions: agent.buffer.size },
      };
    },
    dispose: () => agent.dispose(),
  };
}

export const STREAM_METHOD_NAMES = ['scall', 'fixed-power-law', 'uniform', 'frequency', 'random'] as const;
export type StreamMethodName = (typeof STREAM_METHOD_NAMES)[number];

/** The methods of these names, in the registry's order. */
export async function streamMethods(names: readonly StreamMethodName[], seed: number, scall: ScallSettings = SCALL_DEFAULTS): Promise<StreamMethod[]> {
  const out: StreamMethod[] = [];
  for (const n of STREAM_METHOD_NAMES) {
    if (!names.includes(n)) continue;
    if (n === 'scall') out.push(await createScall(seed, scall));
    else if (n === 'fixed-power-law') out.push(fixedPowerLawMethod);
    else if (n === 'uniform') out.push(uniformMethod);
    else if (n === 'frequency') out.push(frequencyMethod);
    else out.push(randomMethod(seed));
  }
  return out;
}
