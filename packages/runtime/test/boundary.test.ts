import { afterEach, describe, expect, it } from 'vitest';
import { BudgetTooSmallError, OptionError, type Recommender, type RecommenderEvents, type RecommenderOptions } from '../src/index.js';
import { atLeastMinimum, budgetFromDevice } from '../src/budget.js';
import { harness } from './helpers.js';

const open: Recommender[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});
const track = (r: Recommender) => (open.push(r), r);

// Default fixture: 60 items × 16 dims (4 blocks of 4), item groups of 10/20/30, 2 user groups.
const FULL = 60 * 16 * 4;
const MIN = 60 * 4 * 4;

/** The OptionError a promise rejects with (fails the test when it resolves or rejects with anything else). */
async function optionError(p: Promise<unknown>): Promise<OptionError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(OptionError);
  return e as OptionError;
}

describe('k', () => {
  it('is capped at the items that can be ranked: 2 ** 32 + 5 returns the whole catalog, not 5', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory' }));
    const all = await rec.recommend({ user: { id: '1' }, k: 2 ** 32 + 5 });
    expect(all).toHaveLength(60);
    expect(new Set(all.map((r) => r.position)).size).toBe(60);
    const some = await rec.recommend({ user: { id: '1' }, k: 2 ** 29, exclude: [all[0]!.itemId, all[1]!.itemId] });
    expect(some).toHaveLength(58);
    expect(some.map((r) => r.itemId)).toEqual(all.slice(2).map((r) => r.itemId));
  });

  it.each([[0], [-1], [2.5], [Number.NaN], [Number.POSITIVE_INFINITY], ['5']])('k = %s is an OptionError and changes nothing', async (k) => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory' }));
    const before = await rec.recommend({ user: { id: '1' }, k: 4 });
    const e = await optionError(rec.recommend({ user: { id: '1' }, k: k as number }));
    expect(e.option).toBe('k');
    expect(e.value).toBe(k);
    expect(e.message).toContain('an integer ≥ 1');
    expect(await rec.recommend({ user: { id: '1' }, k: 4 })).toEqual(before);
  });
});

describe('options and requests are checked at the boundary', () => {
  it.each<[string, Partial<RecommenderOptions>, string, RegExp]>([
    ['a budget given as a string', { budget: '1000000' as never }, 'budget', /got "1000000" \(string\).*'auto' or a finite number of bytes/],
    ['an unknown storage mode', { storage: 'disk' as never }, 'storage', /got "disk" \(string\); expected 'indexeddb' or 'memory'/],
    ['an unknown backend', { backend: 'gpu' as never }, 'backend', /expected 'auto', 'webgpu', 'wasm' or 'cpu'/],
    ['a fractional userGroup', { userGroup: 0.5 }, 'userGroup', /got 0.5 \(number\); expected an integer ≥ 0/],
    ['groupBlind given as a string', { groupBlind: 'no' as never }, 'groupBlind', /got "no" \(string\); expected a boolean/],
    ['a misspelt option', { budjet: 5 } as never, 'budjet', /expected a known option: manifestUrl, budget, /],
    ['a string deviceMemory', { budgetInputs: { deviceMemory: '4' as never } }, 'budgetInputs.deviceMemory', /got "4" \(string\)/],
    ['zero concurrency', { concurrency: 0 }, 'concurrency', /an integer in \[1, 64\]/],
    ['a listener for no event', { on: { selected: () => {} } as never }, 'on.selected', /expected a known option: progress, fallback, integrity/],
    ['a history user to prepare', { user: { history: ['a'] } as never }, 'user', /a history user's group is known only after fold-in/],
    ['a stall bound of 0 ms', { timeouts: { stallMs: 0 } }, 'timeouts.stallMs', /integers in \[1, 600000\]/],
  ])('%s', async (_, extra, option, message) => {
    const h = await harness();
    const e = await optionError(h.open({ storage: 'memory', ...extra }));
    expect(e.option).toBe(option);
    expect(e.message).toMatch(message);
    expect(h.server.requests).toEqual([]); // refused before anything was fetched
  });

  it('a userGroup past the model is an OptionError naming how many groups there are', async () => {
    const h = await harness();
    const e = await optionError(h.open({ storage: 'memory', userGroup: 2 }));
    expect(e.option).toBe('userGroup');
    expect(e.message).toBe('Invalid option userGroup: got 2 (number); expected an integer in [0, 2) (this model has 2 user groups)');
  });

  it.each<[string, unknown, string, RegExp]>([
    ['history given as a string', { user: { history: 'str' } }, 'user.history', /got "str" \(string\); expected an array of item id strings/],
    ['a group given as a string', { user: { vector: new Float32Array(16), group: '0' } }, 'user.group', /got "0" \(string\); expected an integer ≥ 0/],
    ['a user of no known shape', { user: { name: 'x' } }, 'user', /expected \{ id: string \}, \{ vector/],
    ['a numeric user id', { user: { id: 3 } }, 'user.id', /got 3 \(number\); expected a non-empty string/],
    ['exclude given as one string', { user: { id: '1' }, exclude: 'item-1' }, 'exclude', /an iterable \(array, Set\) of item id strings/],
    ['exclude holding a number', { user: { id: '1' }, exclude: ['a', 7] }, 'exclude[1]', /got 7 \(number\); expected an item id string/],
    ['an unknown request field', { user: { id: '1' }, limit: 3 }, 'limit', /expected a known option: user, k, exclude, excludeHistory$/],
  ])('recommend: %s', async (_, request, option, message) => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory' }));
    const e = await optionError(rec.recommend(request as never));
    expect(e.option).toBe(option);
    expect(e.message).toMatch(message);
  });

  it('setBudget with a string is an OptionError and keeps the budget', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory' }));
    const e = await optionError(rec.setBudget('1000' as never));
    expect(e.option).toBe('budget');
    expect(rec.info.budget.bytes).toBe(FULL);
  });
});

describe('events', () => {
  it('a selection listener reads an info that already has the new budget (residentBytes ≤ budget.bytes)', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: MIN, storage: 'memory' }));
    const seen: { resident: number; budget: number; same: boolean }[] = [];
    rec.on('selection', (d: RecommenderEvents['selection']) => seen.push({ resident: d.residentBytes, budget: rec.info.budget.bytes, same: rec.info.selection === d.selection }));
    const budgets: number[] = [];
    rec.on('budget', () => budgets.push(rec.info.budget.bytes));
    await rec.setBudget(FULL);
    await rec.setBudget(MIN);
    expect(seen).toEqual([
      { resident: FULL, budget: FULL, same: true },
      { resident: MIN, budget: MIN, same: true },
    ]);
    expect(budgets).toEqual([FULL, MIN]);
  });
});

describe('automatic budgets below the model', () => {
  it('raises an automatic budget to the smallest selection, but never an app override', () => {
    const auto = budgetFromDevice({ deviceMemory: 0.25 });
    const raised = atLeastMinimum(auto, auto.bytes + 1000);
    expect(raised).toMatchObject({ bytes: auto.bytes + 1000, decidedBy: 'minimum', limits: { minimum: { bytes: auto.bytes + 1000 } } });
    expect(raised.explanation).toMatch(/the model's smallest selection, above the automatic budget/);
    const override = budgetFromDevice({ override: 500 });
    expect(atLeastMinimum(override, 960)).toBe(override);
  });

  it('an app budget below the minimum is still a BudgetTooSmallError', async () => {
    const h = await harness();
    await expect(h.open({ budget: MIN - 1, storage: 'memory' })).rejects.toBeInstanceOf(BudgetTooSmallError);
  });
});
