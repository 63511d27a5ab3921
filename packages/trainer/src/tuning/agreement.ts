/**
 * Does the validation carve decide as test would? For every decision the tuner made with test figures beside
 * it (report only), how often the two splits order a pair of options the same way, Kendall's τ-b, and whether
 * validation's winner is test's winner too.
 */
import type { AgreementReport, DecisionAgreement, Evaluation } from './report.js';

/** Kendall's τ-b between two scorings of the same items (ties in either count as neither concordant nor discordant). */
export function kendallTau(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length) throw new RangeError(`kendallTau: ${a.length} and ${b.length} scores`);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i]! - a[j]!);
      const db = Math.sign(b[i]! - b[j]!);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const n1 = concordant + discordant + tiesA;
  const n2 = concordant + discordant + tiesB;
  return n1 && n2 ? (concordant - discordant) / Math.sqrt(n1 * n2) : null;
}

/** Of the pairs validation orders (no tie), how many test orders the same way. */
export function pairwiseAgreement(validation: readonly number[], test: readonly number[]): { pairs: number; agree: number } {
  let pairs = 0;
  let agree = 0;
  for (let i = 0; i < validation.length; i++) {
    for (let j = i + 1; j < validation.length; j++) {
      const dv = Math.sign(validation[i]! - validation[j]!);
      if (dv === 0) continue;
      pairs++;
      if (dv === Math.sign(test[i]! - test[j]!)) agree++;
    }
  }
  return { pairs, agree };
}

/** One decision's agreement, over the options that have both scores. */
export function decisionAgreement(decision: string, options: readonly Evaluation[]): DecisionAgreement | null {
  const both = options.filter((o) => o.test);
  if (both.length < 2) return null;
  const v = both.map((o) => o.validation.score);
  const t = both.map((o) => o.test!.score);
  const { pairs, agree } = pairwiseAgreement(v, t);
  const argmax = (xs: number[]) => xs.reduce((best, x, k) => (x > xs[best]! ? k : best), 0);
  return { decision, options: both.length, pairs, agree, kendallTau: kendallTau(v, t), winnerAgrees: argmax(v) === argmax(t) };
}

/** Every decision's agreement, and the pairs pooled. */
export function agreementReport(decisions: readonly { decision: string; options: readonly Evaluation[] }[]): AgreementReport {
  const rows = decisions.map((d) => decisionAgreement(d.decision, d.options)).filter((d): d is DecisionAgreement => d !== null);
  const pairs = rows.reduce((s, d) => s + d.pairs, 0);
  const agree = rows.reduce((s, d) => s + d.agree, 0);
  return {
    decisions: rows,
    pairs,
    agree,
    share: pairs ? agree / pairs : null,
    winnersAgree: rows.filter((d) => d.winnerAgrees).length,
    decisionsCompared: rows.length,
  };
}
