import { BudgetTooSmallError } from './errors.js';
import { blocksOfUserGroup, fileOf, type BlockEntry, type BlockFile, type Dtype, type Manifest } from './manifest.js';
import { BYTES_PER_ELEMENT, DTYPE_PRECISION_ORDER } from './schema.js';

export interface SelectedBlock {
  readonly itemGroup: number;
  readonly block: number;
  readonly weight: number;
  readonly file: BlockFile;
}

export interface Selection {
  readonly userGroup: number;
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
   * budget holds twice the blocks in f16.
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
export function selectBlocks(
  manifest: Manifest,
  userGroup: number,
  budgetBytes: number,
  options: SelectOptions = {},
): Selection {
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
      const s = selectIn(table, userGroup, budgetBytes, dtype, options.residentDtype);
      if (!best || s.blocks.length > best.blocks.length) best = s;
    } catch (e) {
      if (!(e instanceof BudgetTooSmallError)) throw e;
      if (!smallest || e.minimumBytes < smallest.minimumBytes) smallest = e;
    }
  }
  if (best) return best;
  throw smallest!;
}

/** Encodings present on every block, most precise first. */
export function exportedDtypes(manifest: Manifest): Dtype[] {
  return DTYPE_PRECISION_ORDER.filter((d) => manifest.blocks.every((e) => fileOf(e, d)));
}

function selectIn(
  table: BlockEntry[][],
  userGroup: number,
  budgetBytes: number,
  dtype: Dtype,
  residentDtype: Dtype | undefined,
): Selection {
  const scale = residentDtype ? BYTES_PER_ELEMENT[residentDtype] / BYTES_PER_ELEMENT[dtype] : 1;
  const fileFor = (e: BlockEntry): BlockFile => {
    const f = fileOf(e, dtype);
    if (!f) throw new RangeError(`block (${e.userGroup}, ${e.itemGroup}, ${e.block}) has no ${dtype} file`);
    return f;
  };
  const byWeight = (a: BlockEntry, b: BlockEntry) =>
    b.weight - a.weight || a.itemGroup - b.itemGroup || a.block - b.block;

  const chosen = new Set<BlockEntry>();
  let bytes = 0;
  for (const group of table) {
    const top = [...group].sort(byWeight)[0]!;
    chosen.add(top);
    bytes += fileFor(top).byteLength * scale;
  }
  const minimumBytes = bytes;
  if (minimumBytes > budgetBytes) throw new BudgetTooSmallError(budgetBytes, minimumBytes, residentDtype ?? dtype);

  const rest = table.flat().filter((e) => !chosen.has(e)).sort(byWeight);
  for (const e of rest) {
    const size = fileFor(e).byteLength * scale;
    if (bytes + size <= budgetBytes) {
      chosen.add(e);
      bytes += size;
    }
  }
  const blocks = [...chosen]
    .sort((a, b) => a.itemGroup - b.itemGroup || a.block - b.block)
    .map((e) => ({ itemGroup: e.itemGroup, block: e.block, weight: e.weight, file: fileFor(e) }));
  const byItemGroup = table.map(() => [] as number[]);
  for (const b of blocks) byItemGroup[b.itemGroup]!.push(b.block);
  const fileBytes = blocks.reduce((n, b) => n + b.file.byteLength, 0);
  return { userGroup, dtype, budgetBytes, bytes, fileBytes, minimumBytes, blocks, byItemGroup };
}
