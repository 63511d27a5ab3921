import { Random } from '../data/random.js';
import { splitInteractions, type Interaction } from '../data/split.js';
import type { Dataset, ItemMeta } from '../data/types.js';
import { CATEGORIES } from './catalog-words.js';

export interface SyntheticOptions {
  users?: number;
  items?: number;
  seed?: number;
  /** Mean interactions per user (log-normal around it). */
  meanInteractions?: number;
  /** Zipf exponent of item popularity. */
  popularityExponent?: number;
  /** Share of interactions outside the user's tastes (popularity-driven exploration). */
  exploration?: number;
  testFraction?: number;
}

export const SYNTHETIC_DEFAULTS: Required<SyntheticOptions> = {
  users: 3000,
  items: 4000,
  seed: 7,
  meanInteractions: 32,
  popularityExponent: 0.9,
  exploration: 0.1,
  testFraction: 0.2,
};

/**
 * A seeded catalog and interaction log with known structure:
 * - item popularity is Zipf-like over a random permutation of items;
 * - every item has a category and a hidden style within it;
 * - a user likes 1–3 categories (unequal shares) and, in each, prefers one
 *   style 4:1, plus some popularity-driven exploration.
 * So users who share tastes form clusters, and a good recommender shows
 * same-category, same-style items. Split per user, seeded 80/20.
 */
export function generateSynthetic(options: SyntheticOptions = {}): Dataset {
  const o = { ...SYNTHETIC_DEFAULTS, ...options };
  const rng = new Random(o.seed);
  const catRng = rng.fork(1);
  const nCat = CATEGORIES.length;
  const nStyle = 3;

  // Catalog: category and style uniformly, popularity by a random rank.
  const category = new Uint16Array(o.items);
  const style = new Uint8Array(o.items);
  for (let i = 0; i < o.items; i++) {
    category[i] = i % nCat;
    style[i] = catRng.int(nStyle);
  }
  const rank = catRng.shuffle(Uint32Array.from({ length: o.items }, (_, i) => i));
  const pop = new Float64Array(o.items);
  for (let r = 0; r < o.items; r++) pop[rank[r]!] = 1 / (r + 1) ** o.popularityExponent;

  const meta = nameItems(category, style, catRng.fork(2));

  // Cumulative popularity per (category, style) and over everything, for sampling.
  const buckets = Array.from({ length: nCat * nStyle }, () => [] as number[]);
  for (let i = 0; i < o.items; i++) buckets[category[i]! * nStyle + style[i]!]!.push(i);
  const bucketCdf = buckets.map((b) => cdf(b.map((i) => pop[i]!)));
  const globalCdf = cdf(Array.from(pop));

  const userRng = rng.fork(3);
  const rows: Interaction[] = [];
  for (let u = 0; u < o.users; u++) {
    const nLikes = 1 + userRng.int(3);
    const likes: number[] = [];
    while (likes.length < nLikes) {
      const c = userRng.int(nCat);
      if (!likes.includes(c)) likes.push(c);
    }
    const shares = cdf(likes.map(() => Math.exp(userRng.normal())));
    const favStyle = likes.map(() => userRng.int(nStyle));
    const n = Math.max(5, Math.min(10 * o.meanInteractions, Math.round(o.meanInteractions * Math.exp(0.6 * userRng.normal() - 0.18))));
    const seen = new Set<number>();
    for (let attempts = 0; seen.size < n && attempts < n * 20; attempts++) {
      let item: number;
      if (userRng.next() < o.exploration) {
        item = pick(globalCdf, userRng.next());
      } else {
        const k = pick(shares, userRng.next());
        const s = userRng.next() < 0.8 ? favStyle[k]! : (favStyle[k]! + 1 + userRng.int(nStyle - 1)) % nStyle;
        const bucket = likes[k]! * nStyle + s;
        if (buckets[bucket]!.length === 0) continue;
        item = buckets[bucket]![pick(bucketCdf[bucket]!, userRng.next())]!;
      }
      if (!seen.has(item)) {
        seen.add(item);
        rows.push({ user: u, item, time: rows.length });
      }
    }
  }

  // Items nobody picked stay in the generated catalog: cold items are realistic. loadData leaves them, and any
  // item that only test picked, out of the catalog that is trained and exported (data/catalog.ts).
  const { train, test } = splitInteractions(o.users, rows, { kind: 'random', testFraction: o.testFraction, seed: o.seed + 1 });
  return {
    name: 'synthetic',
    nUsers: o.users,
    nItems: o.items,
    train,
    test,
    userIds: Array.from({ length: o.users }, (_, u) => `user-${String(u).padStart(5, '0')}`),
    itemIds: Array.from({ length: o.items }, (_, i) => `item-${String(i).padStart(5, '0')}`),
    itemMeta: meta,
  };
}

function nameItems(category: Uint16Array, style: Uint8Array, rng: Random): ItemMeta[] {
  const used = new Map<string, number>();
  const out: ItemMeta[] = [];
  const numerals = ['', ' II', ' III', ' IV', ' V', ' VI', ' VII', ' VIII', ' IX', ' X'];
  for (let i = 0; i < category.length; i++) {
    const c = CATEGORIES[category[i]!]!;
    const base = `${c.adjectives[rng.int(c.adjectives.length)]} ${c.nouns[rng.int(c.nouns.length)]}`;
    const seenCount = used.get(base) ?? 0;
    used.set(base, seenCount + 1);
    const suffix = seenCount < numerals.length ? numerals[seenCount]! : ` Vol. ${seenCount + 1}`;
    out.push({ name: `${base}${suffix}`, category: `${c.name} · ${c.styles[style[i]!]}` });
  }
  return out;
}

export function cdf(weights: number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let s = 0;
  for (let i = 0; i < weights.length; i++) out[i] = s += weights[i]!;
  for (let i = 0; i < out.length; i++) out[i]! /= s;
  return out;
}

/** Index of the first cdf entry ≥ x (binary search). */
export function pick(c: Float64Array, x: number): number {
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
