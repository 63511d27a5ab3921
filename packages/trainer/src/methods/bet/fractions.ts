/**
 * The per-fraction loop that BET and CIESS share: every trained fraction (budgets and variants), widest first, gets
 * the method's search unless its budget holds the full tables; each becomes a `mixed` variant, and the reported
 * budgets get their outcome row. Only the search and its row's details differ between the methods.
 */
import { BYTES_PER_VALUE } from '../../harness/accounting.js';
import { HarnessError, MethodBudgetError } from '../../harness/errors.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, MixedVariant } from '../../harness/method.js';
import { mixedOutcome, sizedStart, sizesByItem, trainMixed } from '../../harness/mixed.js';
import { budgetValues, type SamplerBudget } from './sampler.js';

/** What a method's search serves at one budget. */
export interface Served {
  /** Item sizes by frequency rank. */
  readonly itemSizes: Uint16Array;
  /** The item table as fine-tuned. */
  readonly items: Float32Array;
  /** The users it is scored with. */
  readonly userTable: Float32Array;
  /** User sizes by user rank (the papers' accounting only). */
  readonly userSizes?: Uint16Array;
  /** The budget row's details beside the method's tag and the accounting. */
  readonly details: Record<string, unknown>;
  /** The whole search, for the method's extra figures. */
  readonly record: Record<string, unknown>;
}

export interface FractionSearch {
  readonly name: string;
  readonly accounting: 'device' | 'paper';
  /** The users' frequency order (the papers' accounting). */
  readonly userOrder?: Uint32Array;
  /** What tells the method's variants apart in every row (BET's strategy, CIESS's walk). */
  readonly tag: Record<string, unknown>;
  readonly search: (budget: SamplerBudget, label: string) => Promise<Served>;
}

export async function searchFractions(h: Harness, f: FractionSearch): Promise<{ budgets: BudgetOutcome[]; mixed: MixedVariant[]; searches: Record<string, unknown> }> {
  const { dataset: d, backbone: e, options: o } = h;
  const paper = f.accounting === 'paper';
  const reported = new Set(o.budgets);
  const budgets: BudgetOutcome[] = [];
  const mixed: MixedVariant[] = [];
  const searches: Record<string, unknown> = {};
  const fractions = [...new Set([...o.budgets, ...o.variants])].sort((a, b) => b - a);
  const budgetAt = (fraction: number): SamplerBudget =>
    paper
      ? { accounting: 'paper', dim: e.dim, nItems: d.nItems, nUsers: d.nUsers, sparsity: 1 - fraction }
      : { accounting: 'device', dim: e.dim, nItems: d.nItems, budgetBytes: h.budgetBytes(fraction), dtype: o.dtype };
  // Every row keeps one value: refused before any search, which would only find out when it serves (and, with λ
  // doubling at every over-budget step, could overflow it first).
  const rows = d.nItems + (paper ? d.nUsers : 0);
  for (const fraction of fractions) {
    const budget = budgetAt(fraction);
    const values = budgetValues(budget);
    if (values >= rows) continue;
    if (budget.accounting === 'device') throw new MethodBudgetError(f.name, budget.budgetBytes, rows * BYTES_PER_VALUE[o.dtype]);
    throw new HarnessError(`${f.name}: ${fraction} of the papers' parameters (${values} values) cannot hold ${rows} rows of one value`);
  }
  for (const fraction of fractions) {
    const budget = budgetAt(fraction);
    const label = `${f.name} ${Number((fraction * 100).toFixed(2))}%`;
    let out: BudgetOutcome | undefined;
    if (budgetValues(budget) >= (d.nItems + (paper ? d.nUsers : 0)) * e.dim) {
      // The budget holds the full tables: its one assignment needs no search.
      const { variant, before } = await trainMixed(h, fraction, new Uint16Array(d.nItems).fill(e.dim), label);
      mixed.push(variant);
      if (reported.has(fraction)) out = await mixedOutcome(h, variant, before, { ...f.tag, accounting: f.accounting, searched: false });
    } else {
      const s = await f.search(budget, label);
      const sizes = sizesByItem(s.itemSizes, h.order);
      const variant: MixedVariant = { fraction, sizes, items: s.items };
      searches[String(fraction)] = s.record;
      // The papers' accounting has a user table per budget, which no artifact holds: reported, not exported.
      if (!paper) mixed.push(variant);
      if (reported.has(fraction)) {
        const before = await h.validate({ users: s.userTable, items: sizedStart(h, sizes), dim: e.dim });
        const userSizes = f.userOrder && s.userSizes && sizesByItem(s.userSizes, f.userOrder);
        out = await mixedOutcome(h, variant, before, { ...f.tag, accounting: f.accounting, ...s.details }, userSizes ? { table: s.userTable, sizes: userSizes } : undefined);
      }
    }
    if (!out) continue;
    budgets.push(out);
    h.log(`${label}: recall@20 ${out.test.recall20.toFixed(4)}, ndcg@20 ${out.test.ndcg20.toFixed(4)}, paper sparsity ${out.paperSparsity.toFixed(3)}`);
  }
  budgets.sort((a, b) => o.budgets.indexOf(a.fraction) - o.budgets.indexOf(b.fraction));
  return { budgets, mixed, searches };
}
