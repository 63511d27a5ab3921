/**
 * The last rung's verdict, as pure policy (issue 19: tuning must only help): the search's best challenger
 * replaces today's defaults only when it beats them on validation by more than {@link MARGIN_SE} paired standard
 * errors, per user, at the longest horizon both trained. A short rung's lead is a bias towards settings that learn
 * fast (measured on Gowalla: τ 0.18 and lr 5.6·10⁻³ led after 5 epochs and ended below the defaults), so a tie or
 * a small lead keeps the defaults.
 */
import type { PerUserScores } from './objective.js';

/** Paired standard errors a challenger's mean gain must exceed. */
export const MARGIN_SE = 2;

export interface DuelVerdict {
  kept: 'defaults' | 'challenger';
  /** Epochs both had trained (on every inner edge) when compared. */
  horizonEpochs: number;
  /** Validation users ranked by both. */
  users: number;
  defaultScore: number;
  challengerScore: number;
  /** Mean over users of (challenger − defaults), and its standard error (sample SD / √users). */
  meanGain: number;
  standardError: number;
  /** meanGain / standardError (null when the SE is 0). */
  z: number | null;
  margin: number;
  explanation: string;
}

/**
 * Compares two per-user validation scores of the same users (paired by user id; users missing on one side are
 * left out). Fewer than 2 paired users: no evidence, the defaults stay.
 */
export function duelVerdict(defaults: PerUserScores, challenger: PerUserScores, horizonEpochs: number, margin = MARGIN_SE): DuelVerdict {
  const at = new Map<number, number>();
  defaults.users.forEach((u, k) => at.set(u, defaults.score[k]!));
  let n = 0;
  let sumD = 0;
  let sumC = 0;
  let sumGain = 0;
  let sumGain2 = 0;
  challenger.users.forEach((u, k) => {
    const d = at.get(u);
    if (d === undefined) return;
    const c = challenger.score[k]!;
    n++;
    sumD += d;
    sumC += c;
    sumGain += c - d;
    sumGain2 += (c - d) ** 2;
  });
  const mean = n ? sumGain / n : 0;
  const variance = n > 1 ? Math.max(0, (sumGain2 - n * mean * mean) / (n - 1)) : 0;
  const se = n > 1 ? Math.sqrt(variance / n) : 0;
  const wins = n > 1 && mean > margin * se && mean > 0;
  const z = se > 0 ? mean / se : null;
  const figures = `${mean >= 0 ? '+' : ''}${mean.toFixed(5)} ± ${se.toFixed(5)} (z ${z === null ? '—' : z.toFixed(2)}) over ${n} users at ${horizonEpochs} epochs`;
  return {
    kept: wins ? 'challenger' : 'defaults',
    horizonEpochs,
    users: n,
    defaultScore: n ? sumD / n : 0,
    challengerScore: n ? sumC / n : 0,
    meanGain: mean,
    standardError: se,
    z,
    margin,
    explanation: wins
      ? `the challenger beat the defaults by more than ${margin} paired standard errors: ${figures}`
      : n > 1
        ? `the challenger did not beat the defaults by more than ${margin} paired standard errors (${figures}): the defaults are kept`
        : 'fewer than 2 validation users ranked by both: the defaults are kept',
  };
}
