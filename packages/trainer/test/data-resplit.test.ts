import { describe, expect, it } from 'vitest';
import { DerivationError } from '../src/data/derivation-error.js';
import type { PairList } from '../src/data/pairs.js';
import { BET_SPLIT, splitCounts, splitPerUser } from '../src/data/resplit.js';

const list = (pairs: readonly (readonly [number, number])[]): PairList => ({ users: Uint32Array.from(pairs, (p) => p[0]), items: Uint32Array.from(pairs, (p) => p[1]) });
const keys = (p: PairList) => Array.from(p.users, (u, k) => `${u}:${p.items[k]}`);
const perUser = (p: PairList) => {
  const out = new Map<number, number>();
  for (const u of p.users) out.set(u, (out.get(u) ?? 0) + 1);
  return out;
};

/** 24 users (ids with gaps), two each with 1..12 interactions, over 12 items: every item has about 13 users. */
function toy(): PairList {
  const pairs: [number, number][] = [];
  for (let u = 0; u < 24; u++) for (let j = 0; j <= u % 12; j++) pairs.push([u * 7 + 3, (u * 5 + j) % 12]);
  return list(pairs);
}

describe('splitCounts', () => {
  it("gives BET's two-stage counts, halves rounded to even, at least one training interaction per user", () => {
    // n → [train, valid, test]: round(0.75 n) kept (1.5 → 2, 4.5 → 4, 7.5 → 8), then round(2/3 of it) train.
    const table: Record<number, [number, number, number]> = {
      0: [0, 0, 0],
      1: [1, 0, 0],
      2: [1, 1, 0],
      3: [1, 1, 1],
      4: [2, 1, 1],
      5: [3, 1, 1],
      6: [3, 1, 2],
      7: [3, 2, 2],
      8: [4, 2, 2],
      10: [5, 3, 2],
      100: [50, 25, 25],
    };
    for (const [n, want] of Object.entries(table)) {
      const c = splitCounts(Number(n), BET_SPLIT);
      expect([c.train, c.valid, c.test], `n = ${n}`).toEqual(want);
    }
    // A lopsided split where rounding alone would leave nothing to train on.
    expect(splitCounts(1, { train: 0.1, valid: 0, test: 0.9, seed: 1 })).toEqual({ train: 1, valid: 0, test: 0 });
    expect(splitCounts(5, { train: 0.8, valid: 0, test: 0.2, seed: 1 })).toEqual({ train: 4, valid: 0, test: 1 });
  });
});

describe('splitPerUser', () => {
  it('puts every pair in exactly one part, with each user’s counts as splitCounts says', () => {
    const input = toy();
    const r = splitPerUser(input, BET_SPLIT);
    const all = [...keys(r.train), ...keys(r.valid), ...keys(r.test)];
    expect(all.length).toBe(input.users.length);
    expect(new Set(all)).toEqual(new Set(keys(input)));
    // Every item has many users here, so no pair had to move to train.
    expect(r.movedToTrain).toBe(0);
    const [tr, va, te] = [perUser(r.train), perUser(r.valid), perUser(r.test)];
    for (const [u, n] of perUser(input)) {
      const c = splitCounts(n, BET_SPLIT);
      expect([tr.get(u) ?? 0, va.get(u) ?? 0, te.get(u) ?? 0], `user ${u} with ${n}`).toEqual([c.train, c.valid, c.test]);
    }
  });

  it('depends on the seed and the set of pairs only, not on their order', () => {
    const input = toy();
    const a = splitPerUser(input, BET_SPLIT);
    const order = Array.from(input.users, (_, k) => k).reverse();
    const reversed: PairList = { users: Uint32Array.from(order, (k) => input.users[k]!), items: Uint32Array.from(order, (k) => input.items[k]!) };
    const b = splitPerUser(reversed, BET_SPLIT);
    for (const part of ['train', 'valid', 'test'] as const) expect(keys(b[part])).toEqual(keys(a[part]));
    const other = splitPerUser(input, { ...BET_SPLIT, seed: 43 });
    expect(keys(other.test)).not.toEqual(keys(a.test));
    expect(keys(other.test).length).toBe(keys(a.test).length);
  });

  it('moves one held-out pair to train for each item that no training pair names', () => {
    // Every item belongs to one user only: whatever is held out names an item train lacks, so all of it moves.
    const pairs: [number, number][] = [];
    for (let u = 0; u < 5; u++) for (let j = 0; j < 4; j++) pairs.push([u, u * 4 + j]);
    const r = splitPerUser(list(pairs), BET_SPLIT);
    expect(r.movedToTrain).toBe(5 * 2); // 4 interactions → 2/1/1: the 2 held out per user move
    expect(r.train.users.length).toBe(20);
    expect(r.valid.users.length + r.test.users.length).toBe(0);
  });

  it('refuses shares that do not sum to 1, a negative share, no train share, or a fractional seed', () => {
    const input = toy();
    for (const s of [
      { train: 0.5, valid: 0.25, test: 0.2, seed: 1 },
      { train: 1.25, valid: -0.25, test: 0, seed: 1 },
      { train: 0, valid: 0.5, test: 0.5, seed: 1 },
      { train: 0.8, valid: 0, test: 0.2, seed: 1.5 },
    ]) {
      expect(() => splitPerUser(input, s)).toThrow(DerivationError);
    }
  });
});
