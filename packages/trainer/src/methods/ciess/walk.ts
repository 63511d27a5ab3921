/**
 * CIESS's exploration (arXiv 2304.03501, §3.4): the actor's size plus Gaussian noise (σ = 6) starts a random walk
 * on the graph of sizes whose neighbours are the sizes within a threshold t. The walk takes `steps` steps, each to a
 * neighbour of the node it stands on drawn uniformly; the critic scores every node visited, the start included,
 * and the best is the action. Without the walk (the ablation, `ciess-no-walk`), the noisy start is the action.
 * Pure apart from the critic it is given, so that its choice can be tested against any scoring function.
 */
import type { Random } from '../../data/random.js';
import { HarnessError } from '../../harness/errors.js';
import { STATE_WIDTH } from './td3.js';

export interface WalkOptions {
  dim: number;
  /** Gaussian exploration noise on the actor's size (size units). */
  sigma: number;
  /** Steps of the walk (0: no walk, the noisy start is the action). */
  steps: number;
  /** Neighbours of a size: the integer sizes within ± threshold of it (itself excluded), inside [1, d_max]. */
  threshold: number;
}

/** Q(s, a) for each row: states [n][3], actions (sizes) [n]. */
export type Critic = (states: Float32Array, actions: Float32Array) => Float32Array;

const clampSize = (d: number, dim: number) => Math.min(dim, Math.max(1, Math.round(d)));

/** A uniformly drawn neighbour of `d`: an integer within ± threshold, not d, inside [1, dim]. */
export function neighbour(d: number, threshold: number, dim: number, rng: Random): number {
  const lo = Math.max(1, d - threshold);
  const hi = Math.min(dim, d + threshold);
  if (hi === lo) return d;
  const pick = lo + rng.int(hi - lo);
  return pick >= d ? pick + 1 : pick;
}

/** The noisy starts: round(actor + N(0, σ²)), clamped to [1, d_max]. */
export function noisyStarts(actor: Float32Array, o: WalkOptions, rng: Random): Uint16Array {
  return Uint16Array.from(actor, (a) => clampSize(a + o.sigma * rng.normal(), o.dim));
}

export interface WalkResult {
  /** The chosen size of each entity. */
  sizes: Uint16Array;
  /** Every node visited, row-major [entity][steps + 1] (the start first). */
  visited: Uint16Array;
}

/**
 * From each entity's start, `steps` random steps; all nodes scored by `critic` in one call, the best per entity
 * taken (ties: the earliest visited).
 */
export function randomWalk(states: Float32Array, starts: Uint16Array, o: WalkOptions, critic: Critic, rng: Random): WalkResult {
  const n = starts.length;
  if (states.length !== n * STATE_WIDTH) throw new HarnessError(`ciess walk: ${n} starts for ${states.length / STATE_WIDTH} states`);
  if (!(Number.isInteger(o.steps) && o.steps >= 0 && Number.isInteger(o.threshold) && o.threshold >= 1)) throw new HarnessError('ciess walk: steps must be ≥ 0 and the threshold ≥ 1, integers');
  const width = o.steps + 1;
  if (o.steps === 0) return { sizes: starts.slice(), visited: starts.slice() };
  const visited = new Uint16Array(n * width);
  for (let i = 0; i < n; i++) {
    let d = starts[i]!;
    visited[i * width] = d;
    for (let k = 1; k < width; k++) visited[i * width + k] = d = neighbour(d, o.threshold, o.dim, rng);
  }
  // Each entity's state repeated for its candidates: one critic pass over them all.
  const repeated = new Float32Array(n * width * STATE_WIDTH);
  for (let i = 0; i < n; i++) for (let k = 0; k < width; k++) repeated.set(states.subarray(i * STATE_WIDTH, (i + 1) * STATE_WIDTH), (i * width + k) * STATE_WIDTH);
  const q = critic(repeated, Float32Array.from(visited));
  const sizes = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < width; k++) if (q[i * width + k]! > q[i * width + best]!) best = k;
    sizes[i] = visited[i * width + best]!;
  }
  return { sizes, visited };
}
