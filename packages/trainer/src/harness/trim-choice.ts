/**
 * The trim-or-fall-back choice an exported `mixed` artifact carries (format README, "Selection"): trimming the next
 * larger variant beat falling back to the next smaller one on Gowalla's validation and lost on synthetic-sparse's
 * (bench/results.md, "Trim or fall back"), so no fixed default serves every dataset. The trainer decides per artifact
 * from the rows `trimVsFallback` measured, and `selectTable` follows the manifest.
 */
import type { MixedSelection } from '@peelrec/format';
import type { TrimRow } from './trim.js';

/**
 * Trim iff the mean validation Recall@20 of trim − fallback over the budgets where both were measured is > 0.
 * The standard error treats the budgets as independent (they share validation users, so it is a rough figure);
 * it is left out when a budget has none. Undefined when no budget measured both: the artifact then says nothing.
 */
export function trimChoice(rows: readonly TrimRow[]): MixedSelection | undefined {
  const gains = rows.flatMap((r) => (r.trimMinusFallback ? [r.trimMinusFallback] : []));
  if (gains.length === 0) return undefined;
  const n = gains.length;
  const mean = gains.reduce((s, g) => s + g.recall20, 0) / n;
  const ses = gains.map((g) => g.se);
  const se = ses.every((s): s is number => s !== null) ? Math.sqrt(ses.reduce((s, x) => s + x * x, 0)) / n : undefined;
  return { trim: mean > 0, trimMinusFallback: { recall20: mean, ...(se !== undefined && { se }), budgets: n } };
}
