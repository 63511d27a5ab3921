/**
 * Meeting the budget. CIESS only penalises size in its reward (arXiv 2304.03501, Eq. 7), so the assignment it
 * finds is projected onto the budget afterwards: the searched sizes, sorted, are assigned in frequency order (the
 * most frequent entity gets the largest) and scaled onto the budget by the harness's fitSizes (d = clamp(⌊c·w⌋,
 * 1, d_max) with the largest c that fits, the leftover values to the first rows of each band). The result is
 * non-increasing along the artifact positions, so a `mixed` variant needs no permutation, and it stores exactly
 * ⌊budget / bytes per value⌋ values: the budget met to within one value, never over it.
 *
 * The papers' accounting shares one budget of user + item values: it is split between the sides in proportion to
 * their searched totals (each side kept within [1, d_max] a row), and each side is fitted alone.
 */
import { totalSize } from '../../harness/accounting.js';
import { fitSizes, type FittedSizes } from '../../harness/sizes.js';
import { budgetValues, type SamplerBudget } from '../bet/sampler.js';

/** The searched sizes, largest first: the shape the projection keeps. */
function sortedDescending(sizes: ArrayLike<number>): Float64Array {
  return Float64Array.from(sizes).sort().reverse();
}

/** Device accounting: the item sizes (by artifact position) projected onto `budget`. */
export function projectSizes(sizesByPosition: ArrayLike<number>, b: Extract<SamplerBudget, { accounting: 'device' }>): FittedSizes {
  return fitSizes(sortedDescending(sizesByPosition), b.dim, b.budgetBytes, b.dtype, 'ciess');
}

/** Papers' accounting: both sides (by frequency rank) projected onto their shared budget of values. */
export function projectBoth(
  items: ArrayLike<number>,
  users: ArrayLike<number>,
  b: Extract<SamplerBudget, { accounting: 'paper' }>,
): { items: Uint16Array; users: Uint16Array; userValues: number; itemValues: number } {
  const total = budgetValues(b);
  const [si, su] = [totalSize(items), totalSize(users)];
  let userValues = Math.round((total * su) / (si + su));
  userValues = Math.min(b.nUsers * b.dim, Math.max(b.nUsers, userValues, total - b.nItems * b.dim));
  const itemValues = Math.min(b.nItems * b.dim, total - userValues);
  const u = fitSizes(sortedDescending(users), b.dim, userValues * 4, 'f32', 'ciess');
  const i = fitSizes(sortedDescending(items), b.dim, itemValues * 4, 'f32', 'ciess');
  return { items: i.sizesByPosition, users: u.sizesByPosition, userValues: u.bytes / 4, itemValues: i.bytes / 4 };
}
