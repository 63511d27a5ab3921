/**
 * Dynamic sparse training's prune-and-regrow step (RigL, Evci et al. 2020; SparseRec part 2), pure: the active
 * entries of smallest magnitude are dropped (never a row's last: an item with none could not be ranked), and as many
 * inactive entries are grown, those with the largest |signal|. The signal is the caller's: the gradient accumulated
 * since the last step (SparseRec) or the last batch's (plain DST). The entry count never changes, so the table
 * stays within its budget's bytes through training.
 */
import { HarnessError } from '../../harness/errors.js';

export type Decay = 'cosine' | 'constant';

/** When and how much to move: every `interval` batches, `fraction` of the active entries (cosine-decayed to 0 at the end, or not). */
export interface Schedule {
  fraction: number;
  interval: number;
  decay: Decay;
}

/** Entries to move at the step after `batch` of `total` batches, with `active` entries in the table. */
export function moveCount(s: Schedule, active: number, batch: number, total: number): number {
  const f = s.decay === 'cosine' ? (s.fraction * (1 + Math.cos((Math.PI * Math.min(batch, total)) / total))) / 2 : s.fraction;
  return Math.floor(f * active);
}

export interface Moved {
  dropped: Uint32Array;
  grown: Uint32Array;
}

/**
 * Moves up to `count` entries of `mask` (values of dropped entries set to 0; grown ones start at 0). Candidates to
 * grow are the entries inactive before the drop with a nonzero signal, so that nothing grows on no evidence; fewer
 * candidates than `count` move fewer. Ties break by entry index.
 */
export function pruneAndRegrow(values: Float32Array, mask: Uint8Array, signal: Float32Array, dim: number, count: number): Moved {
  if (values.length !== mask.length || signal.length !== mask.length) throw new HarnessError('pruneAndRegrow: values, mask and signal must have one entry each');
  const grow = largestInactive(mask, signal, count);
  const dropped = smallestActive(values, mask, dim, grow.length);
  const grown = grow.subarray(0, dropped.length);
  for (const x of dropped) {
    mask[x] = 0;
    values[x] = 0;
  }
  for (const x of grown) {
    mask[x] = 1;
    values[x] = 0;
  }
  return { dropped, grown };
}

/** Up to `count` inactive entries of largest nonzero |signal|, largest first. */
function largestInactive(mask: Uint8Array, signal: Float32Array, count: number): Uint32Array {
  const mags: number[] = [];
  for (let x = 0; x < mask.length; x++) if (!mask[x] && signal[x] !== 0) mags.push(Math.abs(signal[x]!));
  const n = Math.min(count, mags.length);
  if (n <= 0) return new Uint32Array(0);
  const sorted = Float32Array.from(mags).sort();
  const threshold = sorted[sorted.length - n]!;
  const above: number[] = [];
  const at: number[] = [];
  for (let x = 0; x < mask.length; x++) {
    if (mask[x] || signal[x] === 0) continue;
    const m = Math.fround(Math.abs(signal[x]!));
    if (m > threshold) above.push(x);
    else if (m === threshold) at.push(x);
  }
  above.sort((a, b) => Math.abs(signal[b]!) - Math.abs(signal[a]!) || a - b);
  return Uint32Array.from([...above, ...at].slice(0, n));
}

/** Up to `count` active entries of smallest |value| (ties by index), keeping one in every row. */
function smallestActive(values: Float32Array, mask: Uint8Array, dim: number, count: number): Uint32Array {
  if (count <= 0) return new Uint32Array(0);
  const rows = mask.length / dim;
  const perRow = new Uint16Array(rows);
  const mags: number[] = [];
  for (let x = 0; x < mask.length; x++) {
    if (!mask[x]) continue;
    perRow[(x / dim) | 0]!++;
    mags.push(Math.abs(values[x]!));
  }
  // Each row blocks at most its last entry, so the count + rows smallest hold every entry the walk can take.
  const sorted = Float32Array.from(mags).sort();
  const threshold = sorted[Math.min(count + rows, sorted.length) - 1]!;
  const candidates: number[] = [];
  for (let x = 0; x < mask.length; x++) if (mask[x] && Math.fround(Math.abs(values[x]!)) <= threshold) candidates.push(x);
  candidates.sort((a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b);
  const out: number[] = [];
  for (const x of candidates) {
    if (out.length === count) break;
    const r = (x / dim) | 0;
    if (perRow[r]! <= 1) continue;
    perRow[r]!--;
    out.push(x);
  }
  return Uint32Array.from(out);
}
