/**
 * Paired differences against SCALL in the stream (issue 24): within a segment every method is ranked on the same
 * test pairs, so a method's Recall@20 minus SCALL's is paired user by user (quality/paired.ts). Over segments
 * t ≥ 1 the reported difference is the mean of the segments' differences, and its standard error
 * √(Σ se_t²) / T treats the segments as independent samples: a user tested in two segments makes them slightly
 * dependent, which this does not count.
 */
import { pairedGain } from '../quality/paired.js';
import type { Fitness } from './model.js';

/** method − SCALL on one segment's test users (Recall@20 and NDCG@20, each ± its standard error). */
export interface PairedFigure {
  recall20: number;
  se: number | null;
  ndcg20: number;
  ndcgSe: number | null;
  users: number;
}

/** The same over segments t ≥ 1, and how many segments it averages. */
export interface PairedMean extends Omit<PairedFigure, 'users'> {
  segments: number;
}

/** Every method but SCALL against SCALL on one segment; empty when SCALL did not run. */
export function pairedVsScall(tests: ReadonlyMap<string, Fitness>): Record<string, PairedFigure> {
  const scall = tests.get('scall');
  const out: Record<string, PairedFigure> = {};
  if (!scall) return out;
  for (const [name, t] of tests) {
    if (name === 'scall') continue;
    const g = pairedGain(t, scall);
    out[name] = { recall20: g.recall20.mean, se: g.recall20.se, ndcg20: g.ndcg20.mean, ndcgSe: g.ndcg20.se, users: g.users };
  }
  return out;
}

/** Per method, the mean over segments t ≥ 1 of its paired difference, with the combined standard error. */
export function pairedMeanFrom1(segments: readonly { index: number; methods: Readonly<Record<string, { pairedVsScall?: PairedFigure }>> }[]): Record<string, PairedMean> {
  const later = segments.filter((s) => s.index >= 1);
  const out: Record<string, PairedMean> = {};
  if (later.length === 0) return out;
  for (const name of Object.keys(later[0]!.methods)) {
    const rows = later.map((s) => s.methods[name]?.pairedVsScall);
    if (rows.some((r) => r === undefined)) continue;
    const figures = rows as PairedFigure[];
    const T = figures.length;
    const mean = (f: (r: PairedFigure) => number) => figures.reduce((a, r) => a + f(r), 0) / T;
    // One segment without a standard error (under two users) leaves the mean without one.
    const se = (f: (r: PairedFigure) => number | null) => (figures.every((r) => f(r) !== null) ? Math.sqrt(figures.reduce((a, r) => a + f(r)! ** 2, 0)) / T : null);
    out[name] = { recall20: mean((r) => r.recall20), se: se((r) => r.se), ndcg20: mean((r) => r.ndcg20), ndcgSe: se((r) => r.ndcgSe), segments: T };
  }
  return out;
}
