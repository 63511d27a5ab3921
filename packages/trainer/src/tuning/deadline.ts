/**
 * The whole pipeline's deadline (`timeBudget`, issue 19: `train` with tuning within 30 minutes), as pure policy:
 * what evaluation and export will cost after tuning, estimated from the validation checks tuning itself times,
 * and so when tuning must end. Nothing here trains or evaluates.
 */
import type { Clock } from './halving.js';

/**
 * One pass of the pipeline's test evaluation (a PEEL model, all items, one selection) costs about this many
 * user-levels of a backbone validation check: a check's levels are mostly narrow prefixes (128, 48, 24, 8 dims),
 * an evaluation gathers and weights each user group's blocks at full size. Measured on Gowalla (recorded run):
 * 435 s for 20 passes over 29,858 test users, ≈ 0.73 ms a user-pass, against ≈ 0.28 ms a user-level of a
 * validation check (10 s for 4 widths over ≈ 9,000 validation users).
 */
export const PASS_COST = 2.6;
/** Margin on the estimate: the machine's variation, and the unit of work in flight when a deadline passes. */
export const RESERVE_MARGIN = 1.15;

/**
 * Ranking passes over the test users that `train` runs after tuning: the full table in f32, f16 (when exported)
 * and i8, the backbone, then at each budget PEEL's own selection, its f32 selection, the other compared encoding
 * and the i8 selection stored unquantised (20 for the defaults). The export (3.9 s against the evaluation's 435 s
 * on Gowalla) sits in {@link RESERVE_MARGIN}.
 */
export function evaluationPasses(budgets: number, exportsF16: boolean): number {
  return (exportsF16 ? 4 : 3) + 4 * budgets;
}

/** Seconds of a user-level of validation checks, from what tuning timed: a running total. */
export class CheckPace {
  private seconds = 0;
  private userLevels = 0;

  /** A check of `users` validation users at `levels` levels (widths or budgets) that took `seconds`. */
  observe(seconds: number, users: number, levels: number): void {
    if (users > 0 && levels > 0 && seconds >= 0) {
      this.seconds += seconds;
      this.userLevels += users * levels;
    }
  }

  /** Seconds a user-level; 0 until something was observed. */
  get perUserLevel(): number {
    return this.userLevels ? this.seconds / this.userLevels : 0;
  }

  /** Expected seconds of a check of `users` users at `levels` levels. */
  check(users: number, levels: number): number {
    return this.perUserLevel * users * levels;
  }
}

export interface ReserveInput {
  /** Measured seconds a user-level of the validation checks. */
  perUserLevel: number;
  testUsers: number;
  /** From {@link evaluationPasses}. */
  passes: number;
}

/** Seconds to keep for evaluation and export after tuning, from the measured speed of validation checks. */
export function evaluationReserve(r: ReserveInput): number {
  return RESERVE_MARGIN * PASS_COST * r.perUserLevel * r.testUsers * r.passes;
}

/**
 * When tuning must end (same unit as the inputs): the pipeline's deadline less the reserve, and no later than
 * `start + capSeconds` when the caller capped the tuning itself (`tuning.seconds`).
 */
export function tuningEnd(p: { start: number; pipelineDeadline: number; reserve: number; capSeconds?: number }): number {
  const end = p.pipelineDeadline - p.reserve;
  return p.capSeconds === undefined ? end : Math.min(end, p.start + p.capSeconds);
}

/**
 * Evaluates `values` in order while each is expected to end by the clock's deadline (expected: `expect()`, e.g.
 * one check at the measured pace); the first one starts only under the same rule. What was evaluated is kept.
 */
export async function evaluateInTime<V, R>(values: readonly V[], run: (v: V) => Promise<R>, clock: Clock, expect: () => number): Promise<{ done: R[]; stoppedForTime: boolean }> {
  const done: R[] = [];
  for (const v of values) {
    if (clock.now() + expect() > clock.deadline) return { done, stoppedForTime: true };
    done.push(await run(v));
  }
  return { done, stoppedForTime: false };
}
