/**
 * CIESS's search at one budget (arXiv 2304.03501, Algorithm 1): M episodes, each starting from the full table
 * (d = d_max, q = 1); at each of T iterations every entity's agent picks its next size (the actor, Gaussian noise and
 * the random walk, walk.ts), the item table is fine-tuned under those sizes from the backbone, the quick validation
 * ranks it once, each entity's quality is read off that ranking (quality.ts), the transitions go to the replay
 * buffer and the agents take U TD3 steps. Every assignment evaluated is a candidate; the top l that meet the budget
 * are retrained, the best on validation is projected onto the budget (project.ts) and retrained once more, and what
 * the projection cost is measured on the same validation users.
 *
 * At the budget (`atBudget`, our addition, off by default): each chosen assignment is scaled by one factor onto the budget
 * before it is fine-tuned (project.ts scaleOntoBudget), and the transition records the scaled sizes. Without it,
 * the Gowalla search at 10 % drove the sizes to a third of the budget (λ grew ×2 an iteration from the full table,
 * and the quality term did not pull them back), so the projection afterwards, not the search, made the table.
 * Every candidate then meets the budget, and the best retrained one is served as it was validated.
 *
 * Measured on Gowalla at 20/10/5 % it did not help: the sizes stayed near uniform (21–26 at 10 %, mean 24.6) and 10 %
 * scored 0.1504 against the free sizes' 0.1576, so the paper's free sizes stay the default.
 *
 * λ (free sizes, the default): CIESS has no budget, only the size term of its reward. So that the candidates land
 * near the budget, λ moves by the ratio of an assignment's stored values to the budget's: the dual ascent of a budget
 * constraint, our addition. Rewards are read off the stored next states with the current λ (td3.ts), so the buffer
 * does not go stale when λ moves. Two rules (settings.ts, defaultLambdaRule):
 *  - 'iteration' (lambdaStep), after every iteration. Every episode starts at the full table, far over the budget,
 *    so λ doubles at each episode's first iterations whatever the agents do; in the papers' accounting on BET's
 *    split it reached 595 at 90 %, both agents learnt sizes of 1–3 and never left them (test Recall@20 0.0516
 *    against SU's 0.1106). In the device accounting it collapses too (Gowalla 10 %: λ 200, then mean item sizes 2.3–14),
 *    but the early assignments it serves, projected, validate higher: the device default.
 *  - 'episode' (nextLambda), between episodes, by the episode's last assignment (an episode sweeps from the full
 *    table down, so its last assignment is the one that should reach the budget), within 2^±8 of the start: the
 *    papers' accounting's default.
 */
import type { Random } from '../../data/random.js';
import { BYTES_PER_VALUE, permutationBytes, totalSize } from '../../harness/accounting.js';
import { HarnessError } from '../../harness/errors.js';
import type { Harness } from '../../harness/harness.js';
import type { ValidationMetric } from '../../harness/metric.js';
import { pairedGain } from '../../quality/paired.js';
import { budgetValues, type SamplerBudget } from '../bet/sampler.js';
import { evaluateAction, fitnessOf } from '../bet/search.js';
import { projectBoth, projectSizes, scaleOntoBudget } from './project.js';
import { type ItemUsers, itemQuality, userQuality } from './quality.js';
import type { CiessSettings } from './settings.js';
import { createTd3, STATE_WIDTH, type Td3Agent } from './td3.js';
import { noisyStarts, randomWalk } from './walk.js';

export interface CiessSearchInput {
  h: Harness;
  budget: SamplerBudget;
  settings: CiessSettings;
  /** The backbone's full tables on validation: eval(e_n | E). */
  full: ValidationMetric;
  itemUsers: ItemUsers;
  /** Normalised frequency by rank: items (artifact positions), and users in the papers' accounting. */
  frequencies: { items: Float32Array; users?: Float32Array };
  /** Papers' accounting: the user index at each user rank. */
  userOrder?: Uint32Array;
  rng: Random;
  seed: number;
  label: string;
}

/** One evaluated assignment (sizes by rank). */
export interface Candidate {
  episode: number;
  t: number;
  items: Uint16Array;
  users?: Uint16Array;
  /** Stored values (items; users too in the papers' accounting), and whether they fit the budget's. */
  values: number;
  meets: boolean;
  fitness: number;
  recall20: number;
}

export interface CiessSearchResult {
  candidates: Omit<Candidate, 'items' | 'users'>[];
  retrained: { episode: number; t: number; searchFitness: number; fitness: number; recall20: number; values: number }[];
  /** The best retrained assignment before projection, and the projected one served. */
  unprojected: { episode: number; t: number; values: number; validation: ValidationMetric };
  served: { items: Uint16Array; users?: Uint16Array; itemTable: Float32Array; userTable: Float32Array; values: number; validation: ValidationMetric };
  /** Served − unprojected on the same validation users (positive: the projection helped). */
  projectionCost: { recall20: number; se: number | null; fitness: number; values: number };
  /** Retrained candidates that did not meet the budget (too few did). */
  filledOverBudget: number;
  /** The λ each iteration's transitions were first learnt with. */
  lambdas: number[];
  /** The agents' seconds (wall), updates, and ms an update (wall, and the process's CPU time: the run may share its cores). */
  agent: { seconds: number; updates: number; msPerUpdate: number; cpuMsPerUpdate: number; criticLosses: number[] };
}

interface Side {
  name: 'items' | 'users';
  frequency: Float32Array;
  /** Index at each rank. */
  order: Uint32Array;
  agent: Td3Agent;
  sizes: Uint16Array;
  quality: Float32Array;
}

/** λ's bounds around its start: a dual that runs off to 2^±8 teaches the agents sizes they do not leave (search.ts header). */
export const LAMBDA_RANGE = 256;

/** One dual-ascent step of λ: × (values / capacity) of an assignment, at most ×2 or ÷2; the iteration rule's whole move. */
export function lambdaStep(lambda: number, values: number, capacity: number): number {
  return lambda * Math.min(2, Math.max(0.5, values / capacity));
}

/**
 * λ for the next episode: × (values / capacity) of the episode's last assignment, at most ×2 or ÷2 an episode, and
 * within [start / LAMBDA_RANGE, start × LAMBDA_RANGE].
 */
export function nextLambda(lambda: number, values: number, capacity: number, start: number): number {
  const next = lambdaStep(lambda, values, capacity);
  return Math.min(start * LAMBDA_RANGE, Math.max(start / LAMBDA_RANGE, next));
}

const seconds = (since: number) => (performance.now() - since) / 1000;

function states(side: Side, dim: number, sizes = side.sizes, quality = side.quality): Float32Array {
  const out = new Float32Array(sizes.length * STATE_WIDTH);
  for (let r = 0; r < sizes.length; r++) {
    out[r * STATE_WIDTH] = side.frequency[r]!;
    out[r * STATE_WIDTH + 1] = sizes[r]! / dim;
    out[r * STATE_WIDTH + 2] = quality[r]!;
  }
  return out;
}

/** `values[order[r]]` for each rank r. */
const byRank = (values: Float32Array, order: Uint32Array) => Float32Array.from(order, (i) => values[i]!);

export async function ciessSearch(o: CiessSearchInput): Promise<CiessSearchResult> {
  const { h, settings: s, rng } = o;
  const e = h.backbone;
  const dim = e.dim;
  const paper = o.budget.accounting === 'paper';
  if (paper && !(o.frequencies.users && o.userOrder)) throw new HarnessError('ciess: the papers’ accounting needs user frequencies and their order');
  const target = budgetValues(o.budget);
  // At the budget on the device, the sizes are in no particular order: the mixed variant then stores a permutation
  // (harness/accounting.ts), whose bytes come off the values' budget. The papers' accounting exports nothing.
  const capacity = s.atBudget && o.budget.accounting === 'device' ? Math.floor((o.budget.budgetBytes - permutationBytes(o.budget.nItems)) / BYTES_PER_VALUE[o.budget.dtype]) : target;
  const td3 = (seed: number) => createTd3({ dim, hidden: s.hidden, lr: s.lr, gamma: s.gamma, tau: 0.005, policyDelay: 2, targetNoise: s.sigma, targetClip: 2 * s.sigma, capacity: 200_000, seed });
  const side = async (name: Side['name'], frequency: Float32Array, order: Uint32Array, seed: number): Promise<Side> => ({
    name,
    frequency,
    order,
    agent: await td3(seed),
    sizes: new Uint16Array(frequency.length),
    quality: new Float32Array(frequency.length),
  });
  const sides = [await side('items', o.frequencies.items, h.order, o.seed)];
  if (paper) sides.push(await side('users', o.frequencies.users!, o.userOrder!, o.seed + 100));
  const walk = { dim, sigma: s.sigma, steps: s.walk ? s.walkSteps : 0, threshold: s.walkThreshold };

  /** The tables of an assignment fine-tuned for `epochs` (BET's evaluation: both sides in the papers' accounting), and their validation. */
  const evaluate = async (items: Uint16Array, users: Uint16Array | undefined, epochs: number, label: string) => {
    const r = await evaluateAction(h, { items, ...(users ? { users } : {}) }, epochs, label, o.userOrder);
    return { itemTable: r.items, userTable: r.users, validation: r.validation };
  };

  const candidates: Candidate[] = [];
  const lambdas: number[] = [];
  const criticLosses: number[] = [];
  let lambda = s.lambda;
  let agentSeconds = 0;
  let updateSeconds = 0;
  let updateCpuMs = 0;
  let updates = 0;
  try {
    for (let episode = 0; episode < s.episodes; episode++) {
      for (const sd of sides) {
        // New arrays: the last episode's are a candidate's now.
        sd.sizes = new Uint16Array(sd.sizes.length).fill(dim);
        sd.quality = new Float32Array(sd.sizes.length).fill(1);
      }
      for (let t = 0; t < s.iterations; t++) {
        let since = performance.now();
        const before = sides.map((sd) => states(sd, dim));
        const walked = sides.map((sd, k) => {
          const starts = noisyStarts(sd.agent.act(before[k]!), walk, rng);
          return randomWalk(before[k]!, starts, walk, (st, a) => sd.agent.score(st, a), rng).sizes;
        });
        // At the budget, the transition records the scaled sizes: the assignment that was evaluated.
        const chosen = s.atBudget ? scaleOntoBudget(walked, dim, capacity) : walked;
        agentSeconds += seconds(since);
        const [items, users] = [chosen[0]!, chosen[1]];
        const { validation } = await evaluate(items, users, s.epochs, `${o.label} e${episode} t${t}`);
        since = performance.now();
        const quality = [byRank(itemQuality(o.itemUsers, validation.fitnessPerUser, o.full.fitnessPerUser), h.order)];
        if (paper) quality.push(byRank(userQuality(validation.fitnessPerUser, o.full.fitnessPerUser), o.userOrder!));
        const done = t === s.iterations - 1 ? 1 : 0;
        sides.forEach((sd, k) => {
          const after = states(sd, dim, chosen[k], quality[k]);
          // A sample of the side's transitions: 40,981 items an iteration would flood the buffer with near-copies.
          const n = Math.min(s.transitions, sd.sizes.length);
          const picks = rng.shuffle(Uint32Array.from({ length: sd.sizes.length }, (_, r) => r)).subarray(0, n);
          const take = (st: Float32Array) => {
            const out = new Float32Array(n * STATE_WIDTH);
            picks.forEach((r, j) => out.set(st.subarray(r * STATE_WIDTH, (r + 1) * STATE_WIDTH), j * STATE_WIDTH));
            return out;
          };
          sd.agent.remember({ states: take(before[k]!), actions: Float32Array.from(picks, (r) => chosen[k]![r]!), nextStates: take(after), done: new Float32Array(n).fill(done) });
          sd.sizes = chosen[k]!;
          sd.quality = quality[k]!;
        });
        const u0 = performance.now();
        const c0 = process.cpuUsage();
        for (let step = 0; step < s.updates; step++)
          for (const sd of sides) {
            const l = sd.agent.update(lambda, s.batch, rng);
            if (sd.name === 'items') criticLosses.push(l.criticLoss);
            updates++;
          }
        updateSeconds += seconds(u0);
        const c1 = process.cpuUsage(c0);
        updateCpuMs += (c1.user + c1.system) / 1000;
        agentSeconds += seconds(since);
        const values = totalSize(items) + (users ? totalSize(users) : 0);
        candidates.push({ episode, t, items, ...(users ? { users } : {}), values, meets: values <= target, fitness: fitnessOf(validation), recall20: validation.recall20 });
        lambdas.push(lambda);
        if (s.lambdaRule === 'iteration') lambda = lambdaStep(lambda, values, capacity);
        h.progress(`search ${o.label}`, episode * s.iterations + t + 1, s.episodes * s.iterations);
        h.log(
          `${o.label} e${episode} t${t}: mean size ${(totalSize(items) / items.length).toFixed(1)}, values/budget ${(values / target).toFixed(3)}, validation recall@20 ${validation.recall20.toFixed(4)}, λ ${lambda.toFixed(3)}`,
        );
      }
      // Against the values the search aims at: at the budget that is `capacity` (the permutation paid), so λ stays put.
      if (s.lambdaRule === 'episode') lambda = nextLambda(lambda, candidates.at(-1)!.values, capacity, s.lambda);
    }
  } finally {
    for (const sd of sides) sd.agent.dispose();
  }

  // Selective retraining: the top l that meet the budget by the search's fitness; the cheapest fill in when too few do.
  const meeting = candidates.filter((c) => c.meets).sort((a, b) => b.fitness - a.fitness);
  const filler = candidates.filter((c) => !c.meets).sort((a, b) => a.values - b.values);
  const top = [...meeting, ...filler].slice(0, Math.min(s.top, candidates.length));
  const retrained: CiessSearchResult['retrained'] = [];
  let best: { c: Candidate; validation: ValidationMetric; fitness: number; tables: Awaited<ReturnType<typeof evaluate>> } | undefined;
  for (const c of top) {
    const tables = await evaluate(c.items, c.users, s.retrainEpochs, `${o.label} retrain e${c.episode} t${c.t}`);
    const { validation } = tables;
    const fitness = fitnessOf(validation);
    retrained.push({ episode: c.episode, t: c.t, searchFitness: c.fitness, fitness, recall20: validation.recall20, values: c.values });
    if (!best || fitness > best.fitness) best = { c, validation, fitness, tables };
  }
  if (!best) throw new HarnessError('ciess: a search needs at least one iteration and one retrained assignment');

  const b = o.budget;
  // Searched at the budget, the best retrained assignment meets it already and is served as validated.
  const projected = s.atBudget
    ? { items: best.c.items, users: best.c.users }
    : b.accounting === 'device'
      ? { items: projectSizes(best.c.items, b).sizesByPosition, users: undefined }
      : (({ items, users }) => ({ items, users }))(projectBoth(best.c.items, best.c.users!, b));
  const served = s.atBudget ? best.tables : await evaluate(projected.items, projected.users, s.retrainEpochs, `${o.label} projected`);
  const servedValues = totalSize(projected.items) + (projected.users ? totalSize(projected.users) : 0);
  const g = pairedGain(served.validation, best.validation);
  return {
    candidates: candidates.map(({ items: _i, users: _u, ...rest }) => rest),
    retrained,
    unprojected: { episode: best.c.episode, t: best.c.t, values: best.c.values, validation: best.validation },
    served: {
      items: projected.items,
      ...(projected.users ? { users: projected.users } : {}),
      itemTable: served.itemTable,
      userTable: served.userTable,
      values: servedValues,
      validation: served.validation,
    },
    projectionCost: { recall20: g.recall20.mean, se: g.recall20.se, fitness: fitnessOf(served.validation) - best.fitness, values: servedValues - best.c.values },
    filledOverBudget: top.filter((c) => !c.meets).length,
    lambdas,
    agent: { seconds: agentSeconds, updates, msPerUpdate: updates ? (updateSeconds * 1000) / updates : 0, cpuMsPerUpdate: updates ? updateCpuMs / updates : 0, criticLosses },
  };
}
