import { describe, expect, it } from 'vitest';
import { denseCore } from '../src/data/dense-core.js';
import { DerivationError } from '../src/data/derivation-error.js';
import type { PairList } from '../src/data/pairs.js';
import { Random } from '../src/data/random.js';

const list = (pairs: readonly (readonly [number, number])[]): PairList => ({ users: Uint32Array.from(pairs, (p) => p[0]), items: Uint32Array.from(pairs, (p) => p[1]) });
const keys = (p: PairList) => Array.from(p.users, (u, k) => `${u}:${p.items[k]}`).sort();
const degrees = (ids: Uint32Array) => {
  const out = new Map<number, number>();
  for (const x of ids) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
};

/** The k-core by the textbook: drop one user or item below k at a time until there is none. */
function peelOneByOne(pairs: [number, number][], k: number): string[] {
  let left = pairs.slice();
  for (;;) {
    const du = degrees(Uint32Array.from(left, (p) => p[0]));
    const di = degrees(Uint32Array.from(left, (p) => p[1]));
    const u = [...du].find(([, d]) => d < k)?.[0];
    const i = u === undefined ? [...di].find(([, d]) => d < k)?.[0] : undefined;
    if (u === undefined && i === undefined) return keys(list(left));
    left = left.filter(([pu, pi]) => pu !== u && pi !== i);
  }
}

describe('denseCore', () => {
  it('cascades: removing one user lowers an item below k, which lowers another user below k', () => {
    const block: [number, number][] = [];
    for (const u of [0, 1, 2]) for (const i of [0, 1, 2]) block.push([u, i]);
    const pairs: [number, number][] = [
      ...block,
      [3, 5], // user 3 has 2 interactions: gone in round 1
      [3, 7],
      [4, 5], // item 5 (users 3, 4, 0) falls to 2 once user 3 is gone
      [0, 5],
      [4, 0], // user 4 (items 5, 0, 1) falls to 2 once item 5 is gone
      [4, 1],
    ];
    const r = denseCore(list(pairs), 3);
    expect(keys(r.pairs)).toEqual(keys(list(block)));
    expect(r.rounds).toBe(4); // three rounds that remove, one that finds nothing left to remove
  });

  it('returns a k-core (every kept user and item has ≥ k), the largest one: the same as peeling one node at a time', () => {
    const rng = new Random(5);
    for (const k of [2, 3, 4]) {
      const seen = new Set<string>();
      const pairs: [number, number][] = [];
      for (let n = 0; n < 400; n++) {
        const p: [number, number] = [rng.int(60), Math.floor(rng.next() ** 2 * 50)];
        if (!seen.has(`${p[0]}:${p[1]}`)) seen.add(`${p[0]}:${p[1]}`), pairs.push(p);
      }
      const r = denseCore(list(pairs), k);
      expect(r.pairs.users.length, `k = ${k}`).toBeGreaterThan(0);
      expect(r.pairs.users.length, `k = ${k}`).toBeLessThan(pairs.length);
      for (const d of [...degrees(r.pairs.users).values(), ...degrees(r.pairs.items).values()]) expect(d).toBeGreaterThanOrEqual(k);
      expect(keys(r.pairs)).toEqual(peelOneByOne(pairs, k));
    }
  });

  it('keeps everything at k = 1, can come out empty, and refuses k < 1', () => {
    const pairs = list([
      [0, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(keys(denseCore(pairs, 1).pairs)).toEqual(keys(pairs));
    expect(denseCore(pairs, 1).rounds).toBe(1);
    expect(denseCore(pairs, 3).pairs.users.length).toBe(0);
    expect(() => denseCore(pairs, 0)).toThrow(DerivationError);
  });
});
