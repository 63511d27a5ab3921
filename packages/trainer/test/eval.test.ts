import { describe, expect, it } from 'vitest';
import type { CSR } from '../src/data/types.js';
import { evaluateRanking, holdoutSplit } from '../src/eval/index.js';

function csr(rows: number[][]): CSR {
  const indptr = new Uint32Array(rows.length + 1);
  rows.forEach((r, u) => (indptr[u + 1] = indptr[u]! + r.length));
  return { indptr, indices: Uint32Array.from(rows.flat()) };
}

// 10 items whose first coordinate falls from 10 to 1; the other 7 coordinates are zero.
const dim = 8;
const items = new Float32Array(10 * dim);
for (let i = 0; i < 10; i++) items[i * dim] = 10 - i;
// user 0 prefers high first coordinates, user 1 has no test items, user 2 prefers low ones.
const users = new Float32Array(3 * dim);
users[0] = 1;
users[dim] = 1;
users[2 * dim] = -1;
const train = csr([[0], [1], []]);
const test = csr([[2, 5], [], [9]]);

describe('evaluateRanking', () => {
  it('matches hand-computed Recall@3 / NDCG@3', async () => {
    const m = await evaluateRanking({ users, items, dim, train, test, k: 3 });
    // user 0: item 0 is a training item, top 3 = [1, 2, 3], one of two test items at rank 1
    const ndcg0 = 1 / Math.log2(3) / (1 + 1 / Math.log2(3));
    // user 2: top 3 = [9, 8, 7], its only test item at rank 0
    expect(m.users).toBe(2);
    expect(m.recall20).toBeCloseTo((0.5 + 1) / 2, 6);
    expect(m.ndcg20).toBeCloseTo((ndcg0 + 1) / 2, 6);
    // each evaluated user's own values (user 1 has no test items)
    expect(Array.from(m.perUser.users)).toEqual([0, 2]);
    expect(Array.from(m.perUser.recall20)).toEqual([0.5, 1]);
    expect(m.perUser.ndcg20[0]).toBeCloseTo(ndcg0, 6);
  });

  it('reports smaller cutoffs read off the same ranking, equal to ranking at that k', async () => {
    // user 0's test items sit at ranks 1 and 4 (items 2 and 5 after the training item 0 is removed)
    const m = await evaluateRanking({ users, items, dim, train, test, k: 6, cutoffs: [4, 1, 6] });
    expect(m.atCutoffs.map((c) => c.k)).toEqual([1, 4, 6]);
    for (const c of m.atCutoffs) {
      const alone = await evaluateRanking({ users, items, dim, train, test, k: c.k });
      expect(c.recall).toBeCloseTo(alone.recall20, 6);
      expect(c.ndcg).toBeCloseTo(alone.ndcg20, 6);
    }
    expect(m.atCutoffs[0]!.recall).toBeCloseTo(0.5, 6); // at 1: only user 2's hit
    expect(m.atCutoffs[2]!.recall).toBeCloseTo(1, 6); // at 6: both of user 0's
    // per user, [user][cutoff][recall, ndcg]: user 0 has no hit at 1, one of two at 4, both at 6; user 2 hits at 1
    expect(Array.from(m.perUserAtCutoffs.filter((_, j) => j % 2 === 0))).toEqual([0, 0.5, 1, 1, 1, 1]);
    await expect(evaluateRanking({ users, items, dim, train, test, k: 3, cutoffs: [4] })).rejects.toThrow(/cutoff 4/);
  });

  it('counts test items outside the catalog (never trained) as misses', async () => {
    // user 0: one of its two rankable test items hits at k = 3, plus one unrankable test item; user 1 has only an unrankable one
    const m = await evaluateRanking({ users, items, dim, train, test, k: 3, unranked: Uint32Array.of(1, 1, 0) });
    expect(Array.from(m.perUser.users)).toEqual([0, 1, 2]);
    expect(m.perUser.recall20[0]).toBeCloseTo(1 / 3, 6);
    expect(m.perUser.recall20[1]).toBe(0);
    expect(m.perUser.ndcg20[0]).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3) + 1 / Math.log2(4)), 6);
    expect(m.users).toBe(3);
  });

  it('excludes training items from the ranking', async () => {
    // user 0 with item 2 also in train: top 3 = [1, 3, 4], no hit on 2, and 5 is still out of reach
    const m = await evaluateRanking({ users, items, dim, train: csr([[0, 2], [1], []]), test, k: 3, userSubset: Uint32Array.of(0) });
    expect(m).toMatchObject({ recall20: 0, ndcg20: 0, users: 1 });
    const m4 = await evaluateRanking({ users, items, dim, train: csr([[0, 2], [1], []]), test, k: 4, userSubset: Uint32Array.of(0) });
    expect(m4.recall20).toBeCloseTo(0.5, 6);
    expect(m4.ndcg20).toBeCloseTo(1 / Math.log2(5) / (1 + 1 / Math.log2(3)), 6);
  });

  it('gives identical results with one or two threads', async () => {
    const nU = 150;
    const nI = 77;
    let s = 7;
    const r = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
    const U = Float32Array.from({ length: nU * dim }, r);
    const I = Float32Array.from({ length: nI * dim }, r);
    const rows = (n: number) => Array.from({ length: nU }, (_, u) => [...new Set(Array.from({ length: (u % 5) + n }, () => Math.floor((r() + 0.5) * nI)))].sort((a, b) => a - b));
    const tr = csr(rows(2));
    const teRows = rows(1).map((row, u) => row.filter((i) => !tr.indices.subarray(tr.indptr[u], tr.indptr[u + 1]).includes(i)));
    const te = csr(teRows);
    const a = await evaluateRanking({ users: U, items: I, dim, train: tr, test: te, threads: 1 });
    const b = await evaluateRanking({ users: U, items: I, dim, train: tr, test: te, threads: 2 });
    expect(b).toEqual(a);
    expect(a.users).toBe(teRows.filter((x) => x.length > 0).length);
    expect(a.recall20).toBeGreaterThan(0);
  });

  it('rejects inconsistent inputs with a clear error', async () => {
    await expect(evaluateRanking({ users, items, dim, train, test: csr([[12], [], []]) })).rejects.toThrow(/test refers to item 12/);
    await expect(evaluateRanking({ users, items, dim, train, test, userSubset: Uint32Array.of(3) })).rejects.toThrow(/userSubset contains 3/);
    await expect(evaluateRanking({ users, items: items.subarray(0, 9), dim, train, test })).rejects.toThrow(/multiples of dim/);
  });
});

describe('holdoutSplit', () => {
  const data = csr([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [3], [1, 4], []]);
  it('partitions each training row, sorted, without losing or inventing items', () => {
    const { fit, valid } = holdoutSplit(data, 0.2, 1);
    const row = (c: CSR, u: number) => Array.from(c.indices.subarray(c.indptr[u], c.indptr[u + 1]));
    expect(row(valid, 0)).toHaveLength(2); // floor(0.2 * 10)
    expect(row(valid, 1)).toEqual([]); // a single item stays in fit
    expect(row(valid, 2)).toHaveLength(1); // at least one once a row has two
    for (let u = 0; u < 4; u++) {
      const merged = [...row(fit, u), ...row(valid, u)].sort((a, b) => a - b);
      expect(merged).toEqual(row(data, u));
      for (const r of [row(fit, u), row(valid, u)]) expect(r).toEqual([...r].sort((a, b) => a - b));
    }
  });
  it('is seeded', () => {
    expect(holdoutSplit(data, 0.3, 4)).toEqual(holdoutSplit(data, 0.3, 4));
    const picks = new Set(Array.from({ length: 8 }, (_, s) => holdoutSplit(data, 0.3, s).valid.indices.join(',')));
    expect(picks.size).toBeGreaterThan(1);
    expect(() => holdoutSplit(data, 1, 0)).toThrow(/fraction/);
  });
});
