/**
 * A seeded per-user split of interactions into train, validation and test, as BET and CIESS make theirs
 * (Qu et al., WSDM 2024, arXiv 2310.14884; SIGIR 2023, arXiv 2304.03501): their code merges LightGCN's
 * train.txt and test.txt, splits every user's interactions 75/25 with Microsoft Recommenders'
 * `python_stratified_split` (seed 42), then splits the 75 % again 2/3 to 1/3: train 50 %, validation 25 %,
 * test 25 %. Models learn from the 50 %; the validation 25 % drives their search and early stopping; the test 25 % is reported.
 *
 * The counts follow that code exactly (two rounding stages, each Python's `round`, halves to even). The order
 * within a user is this trainer's seeded shuffle (mulberry32), not NumPy's, so the same seed picks other pairs
 * than theirs: the protocol is the same, the split is not.
 */
import { DerivationError } from './derivation-error.js';
import { itemsByUser, type PairList } from './pairs.js';
import { Random } from './random.js';

/** Shares of each user's interactions: non-negative, summing to 1, with a positive train share. */
export interface PerUserSplit {
  readonly train: number;
  readonly valid: number;
  readonly test: number;
  readonly seed: number;
}

/** BET's protocol: 50/25/25 per user, seed 42. */
export const BET_SPLIT: PerUserSplit = Object.freeze({ train: 0.5, valid: 0.25, test: 0.25, seed: 42 });

export interface SplitCounts {
  readonly train: number;
  readonly valid: number;
  readonly test: number;
}

export interface PerUserSplitResult {
  readonly train: PairList;
  readonly valid: PairList;
  readonly test: PairList;
  /**
   * Held-out pairs moved to train because their item had no training pair at all: one per such item, so that
   * every item can be learned (the LightGCN loader refuses a test item that train.txt never names).
   */
  readonly movedToTrain: number;
}

/** Python's `round`: a half goes to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  if (Math.abs(x - f - 0.5) < 1e-9) return f % 2 === 0 ? f : f + 1;
  return Math.round(x);
}

/**
 * How many of a user's `n` interactions go to each part: (train + valid) = round((train + valid) · n), then
 * train = round(train / (train + valid) · that), as BET's two stratified splits round. A user with any
 * interaction keeps at least one for training (taken from test, then from validation), so few-interaction
 * users are never lost; with BET's shares that rule never has to act (n = 1 → 1/0/0, 2 → 1/1/0, 3 → 1/1/1).
 */
export function splitCounts(n: number, s: PerUserSplit): SplitCounts {
  let kept = roundHalfEven((s.train + s.valid) * n);
  if (n > 0 && kept === 0) kept = 1;
  let train = s.valid === 0 ? kept : roundHalfEven((s.train / (s.train + s.valid)) * kept);
  if (kept > 0 && train === 0) train = 1;
  return { train, valid: kept - train, test: n - kept };
}

function checkShares(s: PerUserSplit): void {
  const shares = [s.train, s.valid, s.test];
  if (shares.some((x) => !Number.isFinite(x) || x < 0) || s.train <= 0 || Math.abs(shares.reduce((a, b) => a + b, 0) - 1) > 1e-9) {
    throw new DerivationError('per-user split', `shares ${shares.join('/')} must be non-negative, sum to 1, and give train a positive share`);
  }
  if (!Number.isInteger(s.seed)) throw new DerivationError('per-user split', `seed ${s.seed} must be an integer`);
}

/**
 * Splits `pairs` (each pair once) per user by `splitCounts`. Users are visited in ascending id and each user's
 * items are shuffled from ascending order, so the result depends on the set of pairs and the seed only, not on
 * their order. Every input pair lands in exactly one part.
 */
export function splitPerUser(pairs: PairList, s: PerUserSplit): PerUserSplitResult {
  checkShares(s);
  const byUser = itemsByUser(pairs);
  const n = pairs.users.length;
  const users = new Uint32Array(n);
  const items = new Uint32Array(n);
  /** 0 train, 1 validation, 2 test. */
  const part = new Uint8Array(n);
  const rng = new Random(s.seed);
  let k = 0;
  for (const u of [...byUser.keys()].sort((a, b) => a - b)) {
    const list = rng.shuffle(byUser.get(u)!.sort((a, b) => a - b));
    const c = splitCounts(list.length, s);
    for (let j = 0; j < list.length; j++, k++) {
      users[k] = u;
      items[k] = list[j]!;
      part[k] = j < c.train ? 0 : j < c.train + c.valid ? 1 : 2;
    }
  }
  const movedToTrain = coverItems(items, part, rng.fork(1));
  const of = (p: number): PairList => {
    const idx = [];
    for (let j = 0; j < n; j++) if (part[j] === p) idx.push(j);
    return { users: Uint32Array.from(idx, (j) => users[j]!), items: Uint32Array.from(idx, (j) => items[j]!) };
  };
  return { train: of(0), valid: of(1), test: of(2), movedToTrain };
}

/** For each item (ascending) with no training pair, moves one of its held-out pairs, picked by `rng`, to train. */
function coverItems(items: Uint32Array, part: Uint8Array, rng: Random): number {
  const heldOut = new Map<number, number[]>();
  const trained = new Set<number>();
  for (let j = 0; j < items.length; j++) {
    const i = items[j]!;
    if (part[j] === 0) trained.add(i);
    else {
      let list = heldOut.get(i);
      if (!list) heldOut.set(i, (list = []));
      list.push(j);
    }
  }
  let moved = 0;
  for (const i of [...heldOut.keys()].sort((a, b) => a - b)) {
    if (trained.has(i)) continue;
    const list = heldOut.get(i)!;
    part[list[rng.int(list.length)]!] = 0;
    moved++;
  }
  return moved;
}
