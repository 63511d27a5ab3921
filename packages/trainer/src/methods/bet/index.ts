/**
 * BET (Qu, Chen, Nguyen, Yin, WSDM'24, arXiv 2310.14884) as a harness method: at each budget, a search over
 * table-level size actions that meet the budget by construction (sampler.ts), guided by a DeepSets fitness
 * predictor (predictor.ts, search.ts); the best action, retrained, is the budget's `mixed` variant.
 *
 * The harness's recipe, not the paper's BPR: the backbone is the PEEL pipeline's (sampled softmax, shared by every
 * method) and actions are fine-tuned with the harness's masked fine-tune, users frozen (cut and fine-tuned too in the papers'
 * accounting). Accounting: the harness's
 * device bytes of the item table (users full), or the papers' user + item parameters (paper.ts: reported, not
 * exported, because an artifact has one user table for all its variants).
 */
import { Random } from '../../data/random.js';
import type { Harness } from '../../harness/harness.js';
import type { Method, MethodOutcome } from '../../harness/method.js';
import { searchFractions } from './fractions.js';
import { userRanks } from './paper.js';
import { type BetSettings, describeDraw, fitnessOf, type SearchResult, search } from './search.js';
import { BET_DEFAULTS, checkSettings, estimateSeconds, GOWALLA_SECONDS } from './settings.js';

/** Salt of the search's generator, so that it does not follow any other seeded stream. */
const SALT = 0xbe7;

/** Each rank's frequency over the largest (all 0 when nothing was trained on). */
export function normalisedFrequencies(popularityByPosition: Uint32Array): Float32Array {
  const max = popularityByPosition.reduce((a, b) => Math.max(a, b), 0);
  return Float32Array.from(popularityByPosition, (c) => (max > 0 ? c / max : 0));
}

/** BET with `overrides` of BET_DEFAULTS; the random strategy is the ablation, named `bet-random`. */
export function createBet(overrides: Partial<BetSettings> = {}): Method {
  const strategy = overrides.strategy ?? BET_DEFAULTS.strategy;
  const name = strategy === 'random' ? 'bet-random' : 'bet';
  return {
    name,
    kind: 'mixed',
    about:
      strategy === 'random'
        ? "BET's ablation: the same search with random actions only (strategy II), no predictor, the same evaluations and retraining."
        : 'BET: budget-meeting size actions searched with a DeepSets fitness predictor, the best retrained (arXiv 2310.14884).',
    async run(h: Harness): Promise<MethodOutcome> {
      const { dataset: d, backbone: e, options: o } = h;
      const settings = checkSettings({ ...BET_DEFAULTS, retrainEpochs: o.fineTune.epochs, ...overrides, strategy });
      const paper = settings.accounting === 'paper';
      const rng = new Random(o.seed ^ SALT);
      const users = paper ? userRanks(d.train, d.nUsers) : undefined;
      const frequencies = [normalisedFrequencies(h.popularityByPosition), ...(users ? [normalisedFrequencies(users.countByRank)] : [])];
      const full = await h.validate({ users: e.users, items: e.items, dim: e.dim });
      const baseline = fitnessOf(full);
      const { budgets, mixed, searches } = await searchFractions(h, {
        name,
        accounting: settings.accounting,
        userOrder: users?.order,
        tag: { strategy },
        search: async (budget, label) => {
          const s = await search({ h, budget, settings, baseline, frequencies, userOrder: users?.order, rng, seed: o.seed, label });
          const b = s.best;
          return { itemSizes: b.action.items, items: b.items, userTable: b.users, userSizes: b.action.users, details: searchDetails(s), record: searchRecord(s) };
        },
      });
      return {
        kind: 'mixed',
        budgets,
        mixed,
        extra: {
          settings,
          baseline: { fitness: baseline, recall20: full.recall20, about: 'eval(E): the mean of Recall and NDCG at 5, 10, 20 of the full backbone on validation' },
          estimate: {
            perBudgetSeconds: estimateSeconds(settings, GOWALLA_SECONDS),
            from: GOWALLA_SECONDS,
            about: 'one searched budget on Gowalla from the harness’s measured primitive costs (methods/bet/settings.ts); every fraction trained (budgets and variants) is searched',
          },
          searches,
        },
        notes: [
          `${name}: the harness's sampled-softmax fine-tune (users frozen in the device accounting), not the paper's BPR`,
          paper
            ? `${name}: paper accounting: user + item parameters at sparsity 1 − fraction, split by w; users are cut to their sizes and fine-tuned with the items, each side under its mask; bytes are the item table's device bytes, not the budget; not exported (one user table an artifact)`
            : `${name}: device accounting: the item table's bytes, users full`,
        ],
      };
    },
  };
}

/** The budget's row: which action won, how each strategy's picks fared, the retraining. */
function searchDetails(s: SearchResult): Record<string, unknown> {
  const byStrategy: Record<string, { n: number; meanR: number }> = {};
  for (const p of s.population) {
    const b = (byStrategy[p.strategy] ??= { n: 0, meanR: 0 });
    b.meanR += (p.r - b.meanR) / ++b.n;
  }
  return {
    searched: true,
    chosen: { t: s.best.t, draw: describeDraw(s.best.action), searchR: s.population[s.best.t]!.r },
    bestSearchR: Math.max(...s.population.map((p) => p.r)),
    byStrategy,
    retrained: s.retrained,
  };
}

/** The whole search, for the method's extra figures. */
function searchRecord(s: SearchResult): Record<string, unknown> {
  return {
    population: s.population.map((p) => ({ t: p.t, strategy: p.strategy, r: p.r, predicted: p.predicted, recall20: p.recall20, draw: describeDraw(p.action) })),
    retrained: s.retrained,
    predictorLosses: s.predictorLosses,
    predictorSteps: s.predictorSteps,
    seconds: s.seconds,
  };
}

export const bet = createBet();
export const betRandom = createBet({ strategy: 'random' });
