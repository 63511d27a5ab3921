import { describe, expect, it } from 'vitest';
import { csrFromPairs } from '../src/data/csr.js';
import { Random } from '../src/data/random.js';
import { assignGroup, clusterUsers } from '../src/groups/user-groups.js';
import { groupItems } from '../src/groups/item-groups.js';

describe('assignGroup', () => {
  it('picks the nearest centroid by Euclidean distance', () => {
    const centroids = [
      [0, 0],
      [10, 0],
      [0, 10],
    ];
    expect(assignGroup([1, 1], centroids)).toBe(0);
    expect(assignGroup([9, -2], centroids)).toBe(1);
    expect(assignGroup([4, 7], centroids)).toBe(2);
    // Euclidean, not cosine: [3, 0] is nearer [0, 0] although it points exactly at [10, 0].
    expect(assignGroup([3, 0], centroids)).toBe(0);
  });

  it('breaks exact ties toward the lower index', () => {
    expect(
      assignGroup(
        [5, 0],
        [
          [0, 0],
          [10, 0],
        ],
      ),
    ).toBe(0);
  });

  it('rejects a vector of the wrong dimension', () => {
    expect(() => assignGroup([1, 2, 3], [[0, 0]])).toThrow(RangeError);
  });
});

describe('clusterUsers', () => {
  // Three well-separated blobs in 8 dims.
  const rng = new Random(4);
  const dim = 8;
  const centers = [0, 1, 2].map((c) => Array.from({ length: dim }, (_, k) => (k % 3 === c ? 5 : 0)));
  const n = 90;
  const users = new Float32Array(n * dim);
  for (let u = 0; u < n; u++) for (let k = 0; k < dim; k++) users[u * dim + k] = centers[u % 3]![k]! + rng.normal() * 0.3;

  it('recovers separated clusters and assigns every user by the recorded centroids', () => {
    const g = clusterUsers(users, dim, 3, 7);
    expect(g.centroids).toHaveLength(3);
    expect(g.sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect([...g.sizes].sort()).toEqual([30, 30, 30]);
    for (let u = 0; u < n; u++) {
      expect(g.assignment[u]).toBe(g.assignment[u % 3]); // same blob, same group
      expect(g.assignment[u]).toBe(assignGroup(users.subarray(u * dim, (u + 1) * dim), g.centroids));
    }
  });

  it('is deterministic for a seed', () => {
    const a = clusterUsers(users, dim, 4, 11);
    const b = clusterUsers(users, dim, 4, 11);
    expect(Array.from(a.assignment)).toEqual(Array.from(b.assignment));
    expect(a.centroids).toEqual(b.centroids);
  });

  it('refuses more groups than users', () => {
    expect(() => clusterUsers(users.subarray(0, 2 * dim), dim, 3, 1)).toThrow(RangeError);
  });
});

describe('groupItems', () => {
  // item popularity: item 3 ×4, item 0 ×3, items 1 and 4 ×2 (tie), item 2 ×0, item 5 ×1
  const rows = [0, 1, 2, 3, 0, 1, 2, 0, 1, 4, 5, 5];
  const cols = [3, 3, 3, 3, 0, 0, 0, 1, 1, 4, 4, 5];
  const { csr } = csrFromPairs(6, Uint32Array.from(rows), Uint32Array.from(cols));

  it('orders by train popularity, ties by id, and cuts contiguous near-equal groups', () => {
    // pairs (4,4) and (5,4) are distinct users, so item 4 has 2 interactions.
    const g = groupItems(csr, 6, 4);
    expect(Array.from(g.order)).toEqual([3, 0, 1, 4, 5, 2]);
    expect(Array.from(g.popularity)).toEqual([4, 3, 2, 2, 1, 0]);
    expect(g.groups).toEqual([
      { start: 0, count: 2 },
      { start: 2, count: 2 },
      { start: 4, count: 1 },
      { start: 5, count: 1 },
    ]);
    expect(Array.from(g.groupOfPosition)).toEqual([0, 0, 1, 1, 2, 3]);
    for (let p = 0; p < 6; p++) expect(g.position[g.order[p]!]).toBe(p);
  });

  it('rejects more groups than items', () => {
    expect(() => groupItems(csr, 6, 7)).toThrow(RangeError);
    expect(() => groupItems(csr, 6, 0)).toThrow(RangeError);
  });
});
