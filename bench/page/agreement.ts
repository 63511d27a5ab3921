/** The check every timed scorer passes first: its top-k is the reference's, after the same exclusions. */
import { topK } from '@peelrec/runtime';
import type { TopK } from './impl/ts-loop.js';

/**
 * Fails loudly unless `got` is a valid top-k for the reference scores: no
 * excluded item, each score within float tolerance of the reference, and the
 * same items except where the reference itself ties within tolerance.
 */
export function checkAgreement(impl: string, got: TopK, ref: Float64Array, exclude: ReadonlySet<number>, k: number): number {
  const want = topK(ref, k, exclude);
  const scale = Math.max(Math.abs(want[0]!.score), 1e-12);
  const tol = 2e-5 * scale;
  const fail = (why: string): never => {
    throw new Error(`DISAGREEMENT: ${impl}: ${why}\n  got ${Array.from(got.positions).join(',')}\n  want ${want.map((w) => w.position).join(',')}`);
  };
  if (got.positions.length !== k) fail(`returned ${got.positions.length} items, expected ${k}`);
  const kth = want[k - 1]!.score;
  const seen = new Set<number>();
  let maxErr = 0;
  got.positions.forEach((p, i) => {
    if (seen.has(p)) fail(`position ${p} returned twice`);
    seen.add(p);
    if (exclude.has(p)) fail(`returned excluded position ${p}`);
    const err = Math.abs(got.scores[i]! - ref[p]!);
    maxErr = Math.max(maxErr, err);
    if (err > tol) fail(`score of position ${p} is ${got.scores[i]}, reference ${ref[p]} (tolerance ${tol})`);
    if (ref[p]! < kth - tol) fail(`position ${p} (reference score ${ref[p]}) is not in the reference top-${k} (k-th score ${kth})`);
    if (i > 0 && got.scores[i]! > got.scores[i - 1]! + tol) fail('scores are not in descending order');
  });
  for (const w of want) if (w.score > kth + tol && !seen.has(w.position)) fail(`missed position ${w.position} (reference score ${w.score})`);
  return maxErr / scale;
}
