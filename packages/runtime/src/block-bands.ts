/**
 * What the layouts of a peel-blocks table share: they hold it as bands of blockDim rows, one band per
 * selected block, and read item vectors back from those bands to fold a history into a user vector
 * (fold-in.ts).
 */
import type { ItemVectors, ScorerModel } from './table-layout.js';

/** Items [start, start + count) whose rows are the bands of `blocks`, blockDim rows each, in row order. */
export interface BlockBands {
  readonly blocks: readonly number[];
  readonly start: number;
  readonly count: number;
}

/**
 * Unweighted item vectors (fullDim) for `positions`, with a mask of which blocks are resident for each.
 * `read(s, cols)` gives the values of columns `cols` of `s`, dim-major [rows, cols.length], as they are held:
 * multiplied by their block's weight where `weighted`. `weights` maps `${itemGroup}/${block}` to the
 * scoreWeight of the selection held. Blocks of zero weight count as absent: a weighted band cannot be
 * unweighted, and unweighted layouts follow suit so every backend folds a history the same way.
 */
export async function itemVectorsOf<S extends BlockBands>(
  model: ScorerModel,
  weights: ReadonlyMap<string, number>,
  segments: readonly S[],
  positions: readonly number[],
  read: (s: S, cols: readonly number[]) => Float32Array | Promise<Float32Array>,
  weighted: boolean,
): Promise<ItemVectors> {
  const { blockDim, fullDim, blocksPerItem } = model.dims;
  const vectors = positions.map(() => new Float32Array(fullDim));
  const known = positions.map(() => new Uint8Array(blocksPerItem));
  for (const s of segments) {
    const cols: number[] = [];
    const which: number[] = [];
    positions.forEach((p, i) => {
      if (p >= s.start && p < s.start + s.count) {
        cols.push(p - s.start);
        which.push(i);
      }
    });
    if (!cols.length) continue;
    const data = await read(s, cols);
    which.forEach((i, c) => {
      const g = groupOf(model, positions[i]!);
      s.blocks.forEach((b, k) => {
        const w = weights.get(`${g}/${b}`) ?? 0;
        if (!(w > 0)) return;
        known[i]![b] = 1;
        const f = weighted ? 1 / w : 1;
        for (let r = 0; r < blockDim; r++) vectors[i]![b * blockDim + r] = data[(k * blockDim + r) * cols.length + c]! * f;
      });
    });
  }
  return { vectors, known };
}

/** The item group holding artifact position `position`. */
function groupOf(model: ScorerModel, position: number): number {
  const groups = model.itemGroups;
  let lo = 0;
  let hi = groups.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (groups[mid]!.start <= position) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Whether two lists of indices (blocks, item groups) are equal, in order. */
export function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
