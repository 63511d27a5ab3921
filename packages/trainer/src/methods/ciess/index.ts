/**
 * CIESS (Qu, Chen, Zhao, Cui, Zheng, Yin, SIGIR'23, arXiv 2304.03501) as a harness method: a continuous size in
 * [1, d_max] for every entity, chosen by TD3 agents (td3.ts) exploring by random walk (walk.ts) over M × T
 * fine-tuned evaluations (search.ts); the best of the top l retrained is projected onto the budget (project.ts) and
 * served as the budget's `mixed` variant.
 *
 * The masked table is the harness's: row n keeps its first d_n of d_max dimensions, and the loss is the harness's
 * recipe (the backbone's sampled softmax, users frozen in the device accounting, each evaluation warm-started from the
 * backbone) rather than the paper's BPR + L2 from scratch. Accounting as BET's: the item table's device bytes (users full, so only the
 * item agent acts), or the papers' user + item parameters (both agents; reported, not exported).
 */
import { Random } from '../../data/random.js';
import type { Harness } from '../../harness/harness.js';
import type { Method, MethodOutcome } from '../../harness/method.js';
import { normalisedFrequencies } from '../bet/index.js';
import { userRanks } from '../bet/paper.js';
import { searchFractions } from '../bet/fractions.js';
import { fitnessOf } from '../bet/search.js';
import { coveredItems, itemValidationUsers } from './quality.js';
import { type CiessSearchResult, ciessSearch } from './search.js';
import { CIESS_DEFAULTS, type CiessSettings, checkCiessSettings, defaultLambdaRule, estimateSeconds, GOWALLA_SECONDS } from './settings.js';

/** Salt of the search's generator, so that it does not follow any other seeded stream. */
const SALT = 0xc1e55;

/** CIESS with `overrides` of CIESS_DEFAULTS; without the walk it is the ablation `ciess-no-walk`. */
export function createCiess(overrides: Partial<CiessSettings> = {}): Method {
  const walk = overrides.walk ?? CIESS_DEFAULTS.walk;
  const name = walk ? 'ciess' : 'ciess-no-walk';
  return {
    name,
    kind: 'mixed',
    about: walk
      ? 'CIESS: continuous sizes by TD3 actor-critics with random-walk exploration, the best retrained and projected onto the budget (arXiv 2304.03501).'
      : "CIESS's ablation: Gaussian exploration only (no random walk), the same evaluations, retraining and projection.",
    async run(h: Harness): Promise<MethodOutcome> {
      const { dataset: d, backbone: e, options: o, split } = h;
      const accounting = overrides.accounting ?? CIESS_DEFAULTS.accounting;
      const settings = checkCiessSettings({ ...CIESS_DEFAULTS, retrainEpochs: o.fineTune.epochs, lambdaRule: defaultLambdaRule(accounting), ...overrides, walk });
      const paper = settings.accounting === 'paper';
      const rng = new Random(o.seed ^ SALT);
      const users = paper ? userRanks(d.train, d.nUsers) : undefined;
      const frequencies = { items: normalisedFrequencies(h.popularityByPosition), ...(users ? { users: normalisedFrequencies(users.countByRank) } : {}) };
      const full = await h.validate({ users: e.users, items: e.items, dim: e.dim });
      const itemUsers = itemValidationUsers(split.validationSample, split.validation.inner, split.valid, d.nItems);
      const { budgets, mixed, searches } = await searchFractions(h, {
        name,
        accounting: settings.accounting,
        userOrder: users?.order,
        tag: { walk },
        search: async (budget, label) => {
          const s = await ciessSearch({ h, budget, settings, full, itemUsers, frequencies, userOrder: users?.order, rng, seed: o.seed, label });
          const v = s.served;
          return {
            itemSizes: v.items,
            items: v.itemTable,
            userTable: v.userTable,
            userSizes: v.users,
            details: { ...searchDetails(s), ...(v.users && users ? { userSizes: userSizesBySample(v.users, users.order, split.validationSample) } : {}) },
            record: searchRecord(s),
          };
        },
      });
      return {
        kind: 'mixed',
        budgets,
        mixed,
        extra: {
          settings,
          baseline: { fitness: fitnessOf(full), recall20: full.recall20, about: 'eval(E): the full backbone on validation, the denominator of every q_n' },
          quality: { itemsWithValidationUsers: coveredItems(itemUsers), items: d.nItems, about: 'items with no sampled validation user take the table’s overall ratio as q' },
          estimate: {
            perBudgetSeconds: estimateSeconds(settings, GOWALLA_SECONDS),
            from: GOWALLA_SECONDS,
            about: 'one searched budget on Gowalla from the harness’s measured primitive costs (methods/ciess/settings.ts); every fraction trained (budgets and variants) is searched',
          },
          searches,
        },
        notes: [
          `${name}: the harness's masked table (first d_n of d_max) and sampled-softmax fine-tune (users frozen in the device accounting), warm-started from the backbone each evaluation, not the paper's BPR + L2 from scratch`,
          `${name}: reward q − λ (d / d_max)² (the paper's form), λ moved toward the budget ${settings.lambdaRule === 'iteration' ? 'after every iteration' : 'between episodes, by each episode’s last assignment'} (dual ascent, our addition)`,
          settings.atBudget
            ? `${name}: every chosen assignment scaled by one factor onto the budget before it is evaluated (our addition), so every candidate meets it; the best retrained one is served as validated (projectionCost 0)`
            : `${name}: the final sizes sorted into frequency order and scaled onto the budget (fitSizes), then retrained; projectionCost is served − unprojected on validation`,
          paper
            ? `${name}: paper accounting: user + item parameters at sparsity 1 − fraction, both agents act; users are cut to their sizes and fine-tuned with the items, each side under its mask; not exported (one user table an artifact)`
            : `${name}: device accounting: the item table's bytes, users full, so only the item agent acts`,
        ],
      };
    },
  };
}

/** The budget's row: the chosen assignment, the retraining, what the projection cost. */
function searchDetails(s: CiessSearchResult): Record<string, unknown> {
  const v = s.unprojected.validation;
  return {
    searched: true,
    chosen: { episode: s.unprojected.episode, t: s.unprojected.t, values: s.unprojected.values, validationRecall20: v.recall20 },
    servedValues: s.served.values,
    projectionCost: s.projectionCost,
    filledOverBudget: s.filledOverBudget,
    candidatesMeetingBudget: s.candidates.filter((c) => c.meets).length,
    retrained: s.retrained,
    agent: { seconds: s.agent.seconds, updates: s.agent.updates, msPerUpdate: s.agent.msPerUpdate, cpuMsPerUpdate: s.agent.cpuMsPerUpdate },
  };
}

/**
 * The papers' accounting: the served users' mean size, those the validation metric ranks against the rest. Only the
 * first have a measured quality in the agents' state (the rest take the table's ratio), so a policy can size them
 * apart. With `--ciess-at-budget` the searched sizes are served, and a gap is a search fitted to the users it is
 * scored on; the default projection puts sizes in frequency order, where a gap only says how active the sample is.
 */
export function userSizesBySample(sizesByRank: Uint16Array, order: Uint32Array, sample: Uint32Array): { validationSample: number; others: number } {
  const sampled = new Set(sample);
  let [a, na, b, nb] = [0, 0, 0, 0];
  sizesByRank.forEach((d, r) => {
    if (sampled.has(order[r]!)) [a, na] = [a + d, na + 1];
    else [b, nb] = [b + d, nb + 1];
  });
  return { validationSample: na ? a / na : 0, others: nb ? b / nb : 0 };
}

/** The whole search, for the method's extra figures. */
function searchRecord(s: CiessSearchResult): Record<string, unknown> {
  return { candidates: s.candidates, lambdas: s.lambdas, agent: s.agent, retrained: s.retrained };
}

export const ciess = createCiess();
export const ciessNoWalk = createCiess({ walk: false });
