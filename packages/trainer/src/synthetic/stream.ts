/**
 * A seeded synthetic stream (issue 24): the static generator's taste structure (categories, styles within them,
 * users who like 1–3 categories and one style in each) over time, with a catalog that grows. Each step:
 * - new users and items arrive (the initial ones at step 0);
 * - every item's popularity is a power law (a Pareto base weight, so popularity by rank falls as rank^−exponent)
 *   whose log drifts by a random walk, and fades with the item's age (half-life in steps);
 * - users are drawn by activity (also a power law), which fades with the user's age, so recent users dominate;
 * - a drawn user picks an item of a liked category and (4:1) its favourite style, or explores by popularity;
 * - items are withdrawn: each has a seeded lifetime, after which it gets no interactions (the catalog also shrinks).
 * Time is the interaction's index: strictly increasing, so a sort by time keeps the generated order.
 */
import { Random } from '../data/random.js';
import type { Interaction } from '../data/split.js';
import type { TimedInteractions } from '../data/types.js';
import { CATEGORIES } from './catalog-words.js';
import { cdf, pick } from './generate.js';

export interface StreamOptions {
  seed?: number;
  /** Time steps; the catalog grows at every step after the first. */
  steps?: number;
  initialUsers?: number;
  initialItems?: number;
  newUsersPerStep?: number;
  newItemsPerStep?: number;
  interactionsPerStep?: number;
  /** Zipf exponent of the items' base popularity (and of the users' activity, halved). */
  popularityExponent?: number;
  /** Standard deviation of each item's log-popularity random walk per step (0: no drift). */
  drift?: number;
  /** Steps after which an item's popularity has halved (ageing; Infinity: none). */
  itemHalfLife?: number;
  /** Steps after which a user's activity has halved. */
  userHalfLife?: number;
  /** Share of picks by global popularity, outside the user's tastes. */
  exploration?: number;
  /**
   * Mean steps an item stays in the catalog (Infinity: never withdrawn). Each item's lifetime is drawn from an
   * exponential distribution, seeded: a constant hazard, since a catalog drops items for reasons of its own
   * (stock, licences), not only when they have aged. From step born + lifetime on, the item gets no interactions.
   */
  itemLifetime?: number;
}

export const STREAM_DEFAULTS: Required<StreamOptions> = {
  seed: 7,
  steps: 40,
  initialUsers: 300,
  initialItems: 200,
  newUsersPerStep: 90,
  newItemsPerStep: 60,
  interactionsPerStep: 4000,
  popularityExponent: 0.9,
  drift: 0.15,
  itemHalfLife: 12,
  userHalfLife: 8,
  exploration: 0.1,
  // Twice the popularity half-life: a typical item leaves once its pull has fallen to about a quarter, and of the
  // 40 steps' items about half are withdrawn before the end, so the default stream retires items in most segments.
  itemLifetime: 24,
};

/** The stream and what made it, for tests and reports: the log never says when an item was withdrawn. */
export interface SyntheticStream extends TimedInteractions {
  /** Step each item was created at, and the step from which it gets no interactions (Infinity: never). */
  itemBorn: Uint32Array;
  itemWithdrawn: Float64Array;
  /** Index in `rows` of each step's first interaction. */
  stepStart: Uint32Array;
}

interface User {
  likes: number[];
  shares: Float64Array;
  style: number[];
  activity: number;
  born: number;
  seen: Set<number>;
}

/** The stream, in time order (users and items numbered by creation). */
export function generateStream(options: StreamOptions = {}): SyntheticStream {
  const o = { ...STREAM_DEFAULTS, ...options };
  const rng = new Random(o.seed);
  const itemRng = rng.fork(1);
  const userRng = rng.fork(2);
  const pickRng = rng.fork(3);
  // A fork of its own: without withdrawal every other draw, and so the stream, is what it was before the knob.
  const lifeRng = rng.fork(4);
  const nCat = CATEGORIES.length;
  const nStyle = 3;
  const category: number[] = [];
  const style: number[] = [];
  const logPop: number[] = [];
  const itemBorn: number[] = [];
  const itemWithdrawn: number[] = [];
  const stepStart: number[] = [];
  const users: User[] = [];
  const rows: Interaction[] = [];
  // Pareto weights U^−s: sorted, the r-th largest falls as r^−s (a power law by rank).
  const paretoLog = (r: Random, s: number) => -s * Math.log(1 - r.next());
  const addItem = (step: number) => {
    category.push(itemRng.int(nCat));
    style.push(itemRng.int(nStyle));
    logPop.push(paretoLog(itemRng, o.popularityExponent));
    itemBorn.push(step);
    itemWithdrawn.push(step + (Number.isFinite(o.itemLifetime) ? -o.itemLifetime * Math.log(1 - lifeRng.next()) : Number.POSITIVE_INFINITY));
  };
  const addUser = (step: number) => {
    const n = 1 + userRng.int(3);
    const likes: number[] = [];
    while (likes.length < n) {
      const c = userRng.int(nCat);
      if (!likes.includes(c)) likes.push(c);
    }
    const shares = cdf(likes.map(() => Math.exp(userRng.normal())));
    users.push({ likes, shares, style: likes.map(() => userRng.int(nStyle)), activity: paretoLog(userRng, o.popularityExponent / 2), born: step, seen: new Set() });
  };
  for (let step = 0; step < o.steps; step++) {
    const [nu, ni] = step === 0 ? [o.initialUsers, o.initialItems] : [o.newUsersPerStep, o.newItemsPerStep];
    for (let k = 0; k < ni; k++) addItem(step);
    for (let k = 0; k < nu; k++) addUser(step);
    if (step > 0 && o.drift > 0) for (let i = 0; i < logPop.length; i++) logPop[i]! += o.drift * itemRng.normal();
    stepStart.push(rows.length);
    // This step's weights over the items still in the catalog: drifted popularity, faded by age.
    const open = logPop.flatMap((_, i) => (step < itemWithdrawn[i]! ? [i] : []));
    if (open.length === 0) continue;
    const weight = open.map((i) => Math.exp(logPop[i]! - (Math.LN2 * (step - itemBorn[i]!)) / o.itemHalfLife));
    const buckets = Array.from({ length: nCat * nStyle }, () => [] as number[]);
    for (let j = 0; j < open.length; j++) buckets[category[open[j]!]! * nStyle + style[open[j]!]!]!.push(j);
    const bucketCdf = buckets.map((b) => (b.length ? cdf(b.map((j) => weight[j]!)) : new Float64Array()));
    const globalCdf = cdf(weight);
    const userCdf = cdf(users.map((u) => Math.exp(u.activity - (Math.LN2 * (step - u.born)) / o.userHalfLife)));
    for (let k = 0; k < o.interactionsPerStep; k++) {
      const uIndex = pick(userCdf, pickRng.next());
      const u = users[uIndex]!;
      for (let attempt = 0; attempt < 10; attempt++) {
        let item: number;
        if (pickRng.next() < o.exploration) item = open[pick(globalCdf, pickRng.next())]!;
        else {
          const c = pick(u.shares, pickRng.next());
          const s = pickRng.next() < 0.8 ? u.style[c]! : (u.style[c]! + 1 + pickRng.int(nStyle - 1)) % nStyle;
          const b = u.likes[c]! * nStyle + s;
          if (!buckets[b]!.length) continue;
          item = open[buckets[b]![pick(bucketCdf[b]!, pickRng.next())]!]!;
        }
        if (u.seen.has(item)) continue;
        u.seen.add(item);
        rows.push({ user: uIndex, item, time: rows.length });
        break;
      }
    }
  }
  return {
    name: 'synthetic-stream',
    nUsers: users.length,
    nItems: category.length,
    rows,
    userIds: users.map((_, u) => `user-${String(u).padStart(5, '0')}`),
    itemIds: category.map((_, i) => `item-${String(i).padStart(5, '0')}`),
    itemBorn: Uint32Array.from(itemBorn),
    itemWithdrawn: Float64Array.from(itemWithdrawn),
    stepStart: Uint32Array.from(stepStart),
  };
}
