/** What the scoring page times, and how: interleaved rounds, one call of each implementation per round. */
import type { TopK } from './impl/ts-loop.js';

export interface Impl {
  readonly impl: string;
  readonly backend: string;
  readonly run: () => Promise<TopK | number> | TopK | number;
  /** Bound kernels return a number and are not checked for agreement. */
  readonly scores: boolean;
  /** Float64 scores of every item to check against, when this implementation holds other values (f16). */
  readonly reference?: Float64Array;
}

export interface SeriesTiming {
  readonly minSamples: number;
  readonly maxSamples: number;
  /** Stop once every implementation has minSamples and the run took this long. */
  readonly maxMs: number;
}

/** Times `impls` in rounds (one call of each per round) so that machine noise hits them alike; returns each one's samples (ms). */
export async function timeInterleaved(impls: readonly Impl[], timing: SeriesTiming): Promise<number[][]> {
  const samples = impls.map(() => [] as number[]);
  const started = performance.now();
  for (let round = 0; round < timing.maxSamples; round++) {
    if (round >= timing.minSamples && performance.now() - started > timing.maxMs) break;
    for (let i = 0; i < impls.length; i++) {
      const t0 = performance.now();
      await impls[i]!.run();
      samples[i]!.push(performance.now() - t0);
    }
  }
  return samples;
}
