/**
 * The plain-TypeScript reference of the scoring math, in float64. The tensor
 * scorer must agree with it; end-to-end tests and benchmarks compare against
 * it, so it is exported and depends on nothing but the manifest types.
 *
 *   score(u, i) = Σ_{b ∈ selected(g)} (weight[c][g][b] / W_g) · ⟨u_b, v⁽ᶜ⁾_{i,b}⟩,  W_g = Σ_{b ∈ selected(g)} weight[c][g][b]
 *
 * for item i in item group g, user u of group c, u_b = u[b·blockDim, (b+1)·blockDim); the renormalised
 * weight is the selection's `scoreWeight` (see @peelrec/format's README, "Scoring"). For an i8 selection the
 * WASM kernel rounds the user's coefficients to 8 bits to sum in integers: its scores are `i8Scores`'s (i8-scores.ts),
 * which differ from these by that rounding only.
 */
import type { ManifestFile, Selection } from '@peelrec/format';
import { ManifestError } from '@peelrec/format';
import { OptionError, UserError } from './errors.js';
import { TopKHeap } from './top-k.js';

export interface ReferenceInput {
  /** `manifest.json` (or a manifest with block entries): only the dims and the item groups are read. */
  readonly manifest: ManifestFile;
  /** The selection being scored (its `userGroup` gives the weights' group). */
  readonly selection: Selection;
  /** Decoded (f32, dim-major `[blockDim][itemsInGroup]`) payload of a selected block, as `decodeBlock` returns it (i8: `scale × q`). */
  readonly block: (itemGroup: number, block: number) => ArrayLike<number>;
  /** User vector of length `dims.fullDim`. */
  readonly vector: ArrayLike<number>;
}

export interface ScoredPosition {
  readonly position: number;
  readonly score: number;
}

/** Scores of every item, indexed by artifact position. */
export function referenceScores(input: ReferenceInput): Float64Array {
  const { manifest, selection, vector } = input;
  const { blockDim, fullDim } = manifest.dims;
  if (vector.length !== fullDim) throw new UserError(`user vector has ${vector.length} dims, expected ${fullDim}`);
  const scores = new Float64Array(manifest.items.count);
  for (const sel of selection.blocks) {
    const group = manifest.itemGroups[sel.itemGroup]!;
    const n = group.count;
    const data = input.block(sel.itemGroup, sel.block);
    if (data.length !== blockDim * n) throw new ManifestError(`block (${sel.itemGroup}, ${sel.block}) has ${data.length} values, expected ${blockDim * n}`);
    for (let r = 0; r < blockDim; r++) {
      const u = sel.scoreWeight * vector[sel.block * blockDim + r]!;
      if (u === 0) continue;
      const row = r * n;
      for (let i = 0; i < n; i++) scores[group.start + i]! += u * data[row + i]!;
    }
  }
  return scores;
}

/**
 * Top-k by score descending, ties by position ascending; excluded positions and
 * NaN scores are skipped. Deterministic for any input.
 */
export function topK(scores: ArrayLike<number>, k: number, exclude: ReadonlySet<number> = new Set()): ScoredPosition[] {
  // Cap k at the catalog: the heap is sized by it. (0 is allowed here: a reference of nothing is empty.)
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) throw new OptionError('k', k, 'an integer ≥ 0');
  k = Math.min(k, scores.length);
  if (k === 0) return [];
  // A size-k min-heap: O(n log k), no full sort of the catalog. Exclusions are
  // looked up only for the few items that beat the current k-th best.
  const heap = new TopKHeap(k);
  let threshold = heap.threshold;
  for (let p = 0; p < scores.length; p++) {
    const s = scores[p]!;
    if (!(s >= threshold) || exclude.has(p)) continue;
    heap.offer(s, p);
    threshold = heap.threshold;
  }
  return heap.result();
}

/** The reference top-k: {@link referenceScores} then {@link topK}. `exclude` holds artifact positions. */
export function scoreReference(input: ReferenceInput & { readonly k: number; readonly exclude?: Iterable<number> }): ScoredPosition[] {
  return topK(referenceScores(input), input.k, new Set(input.exclude ?? []));
}
