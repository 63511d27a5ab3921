/**
 * Medians over repetitions, with their spread: one repetition of a timing is
 * one noisy sample (issue 26), so every reported figure is the median of
 * several, and the min–max says how far apart they were.
 */

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Every repetition's value, in run order. */
  readonly values: readonly number[];
}

/** The median (the mean of the middle two for an even count); NaN for no values. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median and min–max of `xs`, or null when there is no value. */
export function spreadOf(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  return { median: tidy(median(xs)), min: tidy(Math.min(...xs)), max: tidy(Math.max(...xs)), values: xs.map(tidy) };
}

/** The field names of `T` that hold a number (or a number that may be missing). */
export type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number | null ? K : never }[keyof T];

/** One record per key: the named fields are medians over the repetitions, the others come from the first record. */
export type Folded<T, K extends NumericKeys<T>> = T & {
  /** How many repetitions had this record. */
  readonly reps: number;
  /** Per folded field: median, min–max and every repetition's value; null where no repetition had a value. */
  readonly spread: { readonly [F in K]: Spread | null };
};

/**
 * Folds records that share `key` (the same row of different repetitions) into
 * one, in first-seen order. A field that is null in some repetitions takes the
 * median of the others; null in all, it stays null.
 */
export function foldReps<T extends object, K extends NumericKeys<T>>(records: readonly T[], key: (t: T) => string, fields: readonly K[]): Folded<T, K>[] {
  const groups = new Map<string, T[]>();
  for (const r of records) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((g) => {
    const spread = {} as Record<K, Spread | null>;
    const medians: Partial<Record<K, number | null>> = {};
    for (const f of fields) {
      const values = g.map((r) => r[f] as number | null).filter((v): v is number => v !== null && Number.isFinite(v));
      const s = spreadOf(values);
      spread[f] = s;
      medians[f] = s ? s.median : null;
    }
    return { ...g[0]!, ...medians, reps: g.length, spread } as Folded<T, K>;
  });
}

/** Sums of short decimals carry float noise (0.1 + 0.2), and timings need no more than six digits. */
function tidy(x: number): number {
  return Number(x.toFixed(6));
}
