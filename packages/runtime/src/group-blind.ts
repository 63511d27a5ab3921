/**
 * Group-blind fetching (issue 27): what a `{ history }` session downloads must not depend on the history.
 *
 * Block URLs name the user group (`blocks/u<c>.…`), so fetching the blocks of the group a history folds into tells
 * the server that group (3 bits of taste with 8 groups), again at every switch. A group-blind plan downloads the
 * same files for every user at a given budget: every group's block table (the weights, small) and the blocks that
 * the *blind group* selects at that budget (the values). A user of group c is then scored over those blocks with
 * group c's own weights and scoring rule, applied on the device; a switch between groups downloads nothing.
 *
 * The blind group is the group whose blocks are byte-identical to the most groups' (the trainer writes one pack for
 * groups with the same table and weights: 6 of 8 on Gowalla). For those groups the plan is exactly their own
 * selection. A group with its own refined table is scored with the blind group's values and its own weights: the
 * price of not telling the server which group it is (measured in bench/results.md, "Privacy").
 *
 * Chosen by byte cost at the bench's budget (Gowalla shape, 5 MiB): this plan downloads one selection plus the
 * tables (1.04× the cold download of a known user); fetching every distinct pack's selection costs 8× there (3× with
 * the trained Gowalla artifact's sharing), and a fixed set of k decoy packs k× while still telling the server the set.
 */
import { selectBlocks, type BlockEntry, type Manifest, type Scoring, type Selection, type SelectionSource, type SelectOptions } from '@peelrec/format';
import type { RecommenderOptions } from './types.js';

/** Selections made by {@link blindSelection}, so that a loader can tell a group-blind plan from a group's own. */
const blindPlans = new WeakSet<Selection>();
/** The group-blind plans that are also their user group's own selection (the group shares the blind group's files). */
const ownPlans = new WeakSet<Selection>();

/** Whether `selection` is a group-blind plan (its blocks do not depend on its user group). */
export function isBlind(selection: Selection | undefined): boolean {
  return selection !== undefined && blindPlans.has(selection);
}

/** Whether `selection` is its user group's own selection: any plan that is not group-blind, and a group-blind one that equals it. */
export function isOwnSelection(selection: Selection): boolean {
  return !blindPlans.has(selection) || ownPlans.has(selection);
}

/**
 * Whether a load starts on the group-blind plan: unless the app opted out, or named the user (`user`) or the
 * group (`userGroup`) to load, which the server may then learn from the URLs.
 */
export function startsBlind(options: Pick<RecommenderOptions, 'groupBlind' | 'user' | 'userGroup'>): boolean {
  return options.groupBlind !== false && options.user === undefined && options.userGroup === undefined;
}

/** What identifies a group's block values: the SHA-256 of every block file, in (itemGroup, block, dtype) order. */
type PackEntry = Pick<BlockEntry, 'itemGroup' | 'block'> & { readonly files: readonly { readonly dtype: string; readonly sha256: string }[] };

/**
 * The blind group of per-group block entries (`entries[c]`: group c's table): the group whose block files the
 * most groups share, the lowest index among equals. Pure: a warm start computes it from stored tables, a load from
 * the parsed ones.
 */
export function blindGroupOf(entries: readonly (readonly PackEntry[])[]): number {
  const keys = entries.map((table) =>
    [...table]
      .sort((a, b) => a.itemGroup - b.itemGroup || a.block - b.block)
      .map((e) =>
        [...e.files]
          .sort((x, y) => (x.dtype < y.dtype ? -1 : x.dtype > y.dtype ? 1 : 0))
          .map((f) => f.sha256)
          .join(','),
      )
      .join(';'),
  );
  const count = new Map<string, number>();
  for (const k of keys) count.set(k, (count.get(k) ?? 0) + 1);
  let best = 0;
  keys.forEach((k, c) => {
    if (count.get(k)! > count.get(keys[best]!)!) best = c;
  });
  return best;
}

/** The blind group of each set of block entries seen: every selection of a plan asks (a switch, a new budget). */
const blindGroups = new WeakMap<readonly BlockEntry[], number>();

/** {@link blindGroupOf} over a manifest holding every group's table. @throws RangeError when a table is not loaded */
export function blindGroup(manifest: Pick<Manifest, 'blocks' | 'userGroups'>): number {
  const known = blindGroups.get(manifest.blocks);
  if (known !== undefined) return known;
  const entries: BlockEntry[][] = Array.from({ length: manifest.userGroups.count }, () => []);
  for (const e of manifest.blocks) entries[e.userGroup]?.push(e);
  const missing = entries.findIndex((t) => t.length === 0);
  if (missing >= 0) throw new RangeError(`the block table of user group ${missing} is not loaded (a group-blind plan needs every group's)`);
  const group = blindGroupOf(entries);
  blindGroups.set(manifest.blocks, group);
  return group;
}

/**
 * The group-blind plan at `budgetBytes`, scored as user group `userGroup`: the blocks, dtype and files the blind
 * group selects (the same for every group), each with `userGroup`'s weight, and score weights by `userGroup`'s
 * scoring rule over those blocks (format README, "Scoring"). For a group whose files are the blind group's, this
 * is `selectBlocks` for that group. Needs every group's table.
 * @throws BudgetTooSmallError as selectBlocks, RangeError when a table is not loaded
 */
export function blindSelection(manifest: SelectionSource, userGroup: number, budgetBytes: number, options: SelectOptions = {}): Selection {
  const blind = blindGroup(manifest);
  const base = selectBlocks(manifest, blind, budgetBytes, options);
  const own = selectBlocks(manifest, userGroup, budgetBytes, options);
  // Same files, same blocks: the group's own selection is already group-blind (groups sharing the blind group's pack).
  const sameFiles =
    own.dtype === base.dtype &&
    own.blocks.length === base.blocks.length &&
    own.blocks.every((b, i) => b.file.sha256 === base.blocks[i]!.file.sha256 && b.block === base.blocks[i]!.block && b.itemGroup === base.blocks[i]!.itemGroup);
  const plan = sameFiles ? own : reweighted(manifest, base, userGroup);
  blindPlans.add(plan);
  if (sameFiles) ownPlans.add(plan);
  return plan;
}

/** `base`'s blocks and files with `userGroup`'s weights and scoring rule. */
function reweighted(manifest: SelectionSource, base: Selection, userGroup: number): Selection {
  const weight = new Map<string, number>();
  const total = new Float64Array(manifest.itemGroups.length);
  for (const e of manifest.blocks) {
    if (e.userGroup !== userGroup) continue;
    weight.set(`${e.itemGroup}/${e.block}`, e.weight);
    total[e.itemGroup]! += e.weight;
  }
  const scoring: Scoring = manifest.userGroups.scoring?.[userGroup] ?? 'mean';
  // The denominator of each item group's score weights: its selected blocks' weights (mean) or all of them (truncated).
  const kept = new Float64Array(manifest.itemGroups.length);
  for (const b of base.blocks) kept[b.itemGroup]! += weight.get(`${b.itemGroup}/${b.block}`)!;
  const denominator = scoring === 'mean' ? kept : total;
  const blocks = base.blocks.map((b) => {
    const w = weight.get(`${b.itemGroup}/${b.block}`)!;
    return { ...b, weight: w, scoreWeight: denominator[b.itemGroup]! > 0 ? w / denominator[b.itemGroup]! : 0 };
  });
  return { ...base, userGroup, scoring, blocks };
}
