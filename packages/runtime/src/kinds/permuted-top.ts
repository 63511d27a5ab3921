/**
 * The top-k by artifact position of a table scored in another row order (a `mixed` variant's rows run largest
 * size first), from a scan that breaks ties by row: the WASM kernel's heap keeps the k best by (score
 * descending, row ascending), and it skips excluded items by row, which would need the inverse permutation (4
 * bytes an item more than the selection counts). So it is asked for the k best rows plus one per excluded item,
 * without exclusions; the excluded are dropped and the rest mapped to positions and re-ranked with ties by
 * position. Every row scoring above the last one returned is among them; rows tied with the last may have been
 * cut at a row that a lower position should have displaced, so when the k-th result ties with the last, the
 * scan is asked again for twice as many (exact ties are rare, a catalog of equal scores the worst case).
 */
import type { ScoredPosition } from '../reference.js';

/** The `want` best rows, score descending, ties by row ascending (scores that are NaN never returned). */
export type BestRows = (want: number) => ScoredPosition[];

const byScoreThenPosition = (a: ScoredPosition, b: ScoredPosition) => b.score - a.score || a.position - b.position;

/** The top `k` (≤ rows) artifact positions, score descending, ties by position, skipping `exclude` positions. */
export function topThroughPermutation(best: BestRows, permutation: Uint16Array | Uint32Array, k: number, exclude: ReadonlySet<number>): ScoredPosition[] {
  const rows = permutation.length;
  k = Math.min(k, rows);
  if (!(k > 0)) return [];
  let excluded = 0;
  for (const p of exclude) if (Number.isInteger(p) && p >= 0 && p < rows) excluded++;
  // One row more than could be needed: when the k-th result scores above it, no row left out ties with it.
  for (let want = Math.min(rows, k + excluded + 1); ; want = Math.min(rows, want * 2)) {
    const found = best(want);
    const kept: ScoredPosition[] = [];
    for (const r of found) {
      const position = permutation[r.position]!;
      if (!exclude.has(position)) kept.push({ position, score: r.score });
    }
    kept.sort(byScoreThenPosition);
    const last = found[found.length - 1]?.score;
    // Complete: every row was returned (or the rest are NaN), or the k-th kept scores above every row not returned.
    if (want >= rows || found.length < want || (kept.length >= k && kept[k - 1]!.score > last!)) return kept.slice(0, k);
  }
}
