import { BudgetTooSmallError } from './errors.js';
import { blockByteLength, blocksOfUserGroup, fileOf, type BlockEntry, type BlockFile, type Dtype, type Manifest, type Scoring } from './manifest-files.js';

/** What selection reads: the groups, the dims and the block entries of (at least) the user group selected for. */
export type SelectionSource = Pick<Manifest, 'itemGroups' | 'userGroups' | 'dims' | 'blocks'>;
import { DTYPE_PRECISION_ORDER } from './constants.js';

export interface SelectedBlock {
  readonly itemGroup: number;
  readonly block: number;
  readonly weight: number;
  /**
   * The factor this block's score is multiplied by: `weight` over the sum of the weights of its item group's
   * selected blocks with `mean` scoring (the weighted mean of the kept blocks' scores, so items of a group
   * that keeps fewer blocks are not ranked lower for that reason alone), or over the sum of all its item
   * group's weights with `truncated` scoring (the full table's score, unselected blocks counting zero).
   * 0 if that sum is 0.
   */
  readonly scoreWeight: number;
  readonly file: BlockFile;
}

export interface Selection {
  readonly userGroup: number;
  /** The user group's scoring rule (manifest `userGroups.scoring`, default `mean`), which `scoreWeight` follows. */
  readonly scoring: Scoring;
  readonly dtype: Dtype;
  readonly budgetBytes: number;
  /** Bytes counted against the budget (see {@link SelectOptions.residentDtype}); never above `budgetBytes`. */
  readonly bytes: number;
  /** Sum of the selected files' byte lengths: what is downloaded and stored. */
  readonly fileBytes: number;
  /** The smallest budget that selects anything in this dtype (one block per item group). */
  readonly minimumBytes: number;
  /** Selected blocks ordered by (itemGroup, block). */
  readonly blocks: readonly SelectedBlock[];
  /** `byItemGroup[g]` = selected block indices of item group g, ascending; never empty. */
  readonly byItemGroup: readonly (readonly number[])[];
}

export interface SelectOptions {
  /**
   * Encoding of the payloads. `auto` (default) tries every exported encoding
   * and keeps the one that selects the most blocks; ties go to the more
   * precise one. So a budget that fits the whole table stays f32, and a tight
   * budget holds twice the blocks in f16 (about four times in i8).
   */
  dtype?: Dtype | 'auto';
  /**
   * Count each element as this dtype instead of its file dtype. A runtime
   * that widens f16 payloads to f32 in memory passes `'f32'`, so the budget
   * bounds resident bytes rather than downloaded ones. Default: file bytes.
   */
  residentDtype?: Dtype;
}

/**
 * PEEL's on-device selection: keep the highest-weight blocks that fit the budget.
 *
 * Pure and deterministic; the trainer's evaluation and the browser call this
 * same function. Rules:
 *  1. every item group first keeps its highest-weight block, so every item stays
 *     rankable (if even that does not fit: {@link BudgetTooSmallError});
 *  2. the remaining blocks are taken by descending weight, ties broken by
 *     (itemGroup, block) ascending; a block that does not fit is skipped and
 *     smaller ones are still considered;
 *  3. the total never exceeds `budgetBytes`.
 */
export function selectBlocks(manifest: SelectionSource, userGroup: number, budgetBytes: number, options: SelectOptions = {}): Selection {
  if (!(budgetBytes >= 0) || !Number.isFinite(budgetBytes)) {
    throw new RangeError(`budgetBytes must be a finite number ≥ 0, got ${budgetBytes}`);
  }
  const table = blocksOfUserGroup(manifest, userGroup);
  const want = options.dtype ?? 'auto';
  const dtypes = want === 'auto' ? exportedDtypes(manifest) : [want];
  if (dtypes.length === 0) throw new RangeError('manifest exports no block encodings');

  let best: Selection | undefined;
  let smallest: BudgetTooSmallError | undefined;
  for (const dtype of dtypes) {
    try {
      const counted = countedBytes(manifest, dtype, options.residentDtype);
      const s = selectIn(table, userGroup, budgetBytes, dtype, counted, options.residentDtype, manifest.userGroups.scoring?.[userGroup] ?? 'mean');
      if (!best || s.blocks.length > best.blocks.length) best = s;
    } catch (e) {
      if (!(e instanceof BudgetTooSmallError)) throw e;
      if (!smallest || e.minimumBytes < smallest.minimumBytes) smallest = e;
    }
  }
  if (best) return best;
  throw smallest!;
}

/** Encodings present on every block entry held, most precise first. */
export function exportedDtypes(manifest: Pick<Manifest, 'blocks'>): Dtype[] {
  return DTYPE_PRECISION_ORDER.filter((d) => manifest.blocks.every((e) => fileOf(e, d)));
}

const byWeight = (a: BlockEntry, b: BlockEntry) => b.weight - a.weight || a.itemGroup - b.itemGroup || a.block - b.block;

/**
 * The order in which {@link selectBlocks} considers the blocks of one user
 * group: each item group's highest-weight block (item groups in order), then
 * every other block by descending weight, ties by (itemGroup, block). Any
 * budget selects a prefix of it, minus the blocks that did not fit when a
 * later, smaller one did. Writers lay packed block files out in this order,
 * so a selection is one or a few contiguous byte ranges.
 */
export function selectionOrder(table: readonly (readonly BlockEntry[])[]): BlockEntry[] {
  const tops = table.map((group) => [...group].sort(byWeight)[0]!);
  const chosen = new Set(tops);
  return [
    ...tops,
    ...table
      .flat()
      .filter((e) => !chosen.has(e))
      .sort(byWeight),
  ];
}

/** What one block counts against the budget: its file's bytes, or its size decoded to `residentDtype`. */
function countedBytes(m: SelectionSource, dtype: Dtype, residentDtype: Dtype | undefined): (e: BlockEntry, file: BlockFile) => number {
  if (!residentDtype || residentDtype === dtype) return (_, file) => file.byteLength;
  return (e) => blockByteLength(m.dims.blockDim, m.itemGroups[e.itemGroup]!.count, residentDtype);
}

function selectIn(
  table: BlockEntry[][],
  userGroup: number,
  budgetBytes: number,
  dtype: Dtype,
  counted: (e: BlockEntry, file: BlockFile) => number,
  residentDtype: Dtype | undefined,
  scoring: Scoring,
): Selection {
  const fileFor = (e: BlockEntry): BlockFile => {
    const f = fileOf(e, dtype);
    if (!f) throw new RangeError(`block (${e.userGroup}, ${e.itemGroup}, ${e.block}) has no ${dtype} file`);
    return f;
  };
  const order = selectionOrder(table);
  const G = table.length;
  const chosen = new Set<BlockEntry>();
  let bytes = 0;
  for (const top of order.slice(0, G)) {
    chosen.add(top);
    bytes += counted(top, fileFor(top));
  }
  const minimumBytes = bytes;
  if (minimumBytes > budgetBytes) throw new BudgetTooSmallError(budgetBytes, minimumBytes, residentDtype ?? dtype);

  for (const e of order.slice(G)) {
    const size = counted(e, fileFor(e));
    if (bytes + size <= budgetBytes) {
      chosen.add(e);
      bytes += size;
    }
  }
  // The denominator of each item group's score weights: its selected blocks' weights (mean) or all of them (truncated).
  const kept = new Float64Array(G);
  if (scoring === 'mean') for (const e of chosen) kept[e.itemGroup]! += e.weight;
  else table.forEach((group, g) => group.forEach((e) => (kept[g]! += e.weight)));
  const blocks = [...chosen]
    .sort((a, b) => a.itemGroup - b.itemGroup || a.block - b.block)
    .map((e) => ({
      itemGroup: e.itemGroup,
      block: e.block,
      weight: e.weight,
      scoreWeight: kept[e.itemGroup]! > 0 ? e.weight / kept[e.itemGroup]! : 0,
      file: fileFor(e),
    }));
  const byItemGroup = table.map(() => [] as number[]);
  for (const b of blocks) byItemGroup[b.itemGroup]!.push(b.block);
  const fileBytes = blocks.reduce((n, b) => n + b.file.byteLength, 0);
  return { userGroup, scoring, dtype, budgetBytes, bytes, fileBytes, minimumBytes, blocks, byItemGroup };
}
