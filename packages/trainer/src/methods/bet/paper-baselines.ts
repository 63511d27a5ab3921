/**
 * BET's Table 1 baselines in the papers' accounting (arXiv 2310.14884), so that BET's and CIESS's rows there have
 * SU and SR from the same run, the same backbone and the same fine-tune beside them:
 * - `su-paper`: one size, ⌊kept values / (users + items)⌋, for every user and item;
 * - `sr-paper`: one action of BET's sampler (a random family, β and w; sizes by frequency rank), no search.
 *
 * Each is fine-tuned for BET's retraining epochs, as BET's served action is, so the rows differ only in how the
 * sizes were chosen. The device accounting has its own SU and SR (uniform-prefix, random-sizes); these two exist
 * for the papers' table, whose models have a user table per budget: reported, not exported.
 */
import { Random } from '../../data/random.js';
import { HarnessError } from '../../harness/errors.js';
import type { Harness } from '../../harness/harness.js';
import type { Method, MethodOutcome } from '../../harness/method.js';
import { searchFractions } from './fractions.js';
import { userRanks } from './paper.js';
import { type ActionSizesByRank, describeDraw, evaluateAction } from './search.js';
import { budgetValues, type SamplerBudget, sampleAction } from './sampler.js';

export type PaperBaseline = 'su' | 'sr';

/** Salt of SR's generator: its draws follow no other seeded stream (BET's search has its own). */
const SALT = 0x5e5a;

type PaperBudget = Extract<SamplerBudget, { accounting: 'paper' }>;

/** SU: every user and item at the one size the budget holds for all of them (≥ 1, ≤ d_max). */
export function uniformAction(b: PaperBudget): Required<ActionSizesByRank> {
  const size = Math.min(b.dim, Math.floor(budgetValues(b) / (b.nUsers + b.nItems)));
  if (size < 1) throw new HarnessError(`su-paper: sparsity ${b.sparsity} leaves under one value a row (${b.nUsers} users, ${b.nItems} items, d_max ${b.dim})`);
  return { items: new Uint16Array(b.nItems).fill(size), users: new Uint16Array(b.nUsers).fill(size) };
}

export function createPaperBaseline(which: PaperBaseline, overrides: { retrainEpochs?: number } = {}): Method {
  const name = `${which}-paper`;
  return {
    name,
    kind: 'mixed',
    about:
      which === 'su'
        ? "BET's SU in the papers' accounting: one size for every user and item at sparsity 1 − budget, fine-tuned as BET's served action is."
        : "BET's SR in the papers' accounting: one action of BET's sampler at sparsity 1 − budget (no search), fine-tuned as BET's served action is.",
    async run(h: Harness): Promise<MethodOutcome> {
      const { dataset: d, options: o } = h;
      const epochs = overrides.retrainEpochs ?? o.fineTune.epochs;
      if (!(Number.isInteger(epochs) && epochs >= 0)) throw new HarnessError(`${name}: retrain epochs must be an integer ≥ 0, got ${epochs}`);
      const users = userRanks(d.train, d.nUsers);
      const rng = new Random(o.seed ^ SALT);
      const { budgets, mixed } = await searchFractions(h, {
        name,
        accounting: 'paper',
        userOrder: users.order,
        tag: { baseline: which },
        search: async (budget, label) => {
          if (budget.accounting !== 'paper') throw new HarnessError(`${name}: the papers' accounting only`);
          const sampled = which === 'sr' ? sampleAction(budget, rng) : undefined;
          const action = sampled ?? uniformAction(budget);
          const { items, users: userTable, validation } = await evaluateAction(h, action, epochs, label, users.order);
          const chosen = sampled ? { draw: describeDraw(sampled) } : { size: action.items[0] };
          return {
            itemSizes: action.items,
            items,
            userTable,
            userSizes: action.users,
            details: { searched: false, ...chosen },
            record: { ...chosen, epochs, validationRecall20: validation.recall20 },
          };
        },
      });
      return {
        kind: 'mixed',
        budgets,
        mixed,
        extra: { retrainEpochs: epochs },
        notes: [
          `${name}: paper accounting: user + item parameters at sparsity 1 − fraction; users are cut to their sizes and fine-tuned with the items for ${epochs} epochs, each side under its mask; not exported (one user table an artifact)`,
        ],
      };
    },
  };
}
