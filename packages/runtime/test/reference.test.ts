import { describe, expect, it } from 'vitest';
import { topK } from '../src/index.js';
import { foldIn, nearestCentroid } from '../src/fold-in.js';

describe('topK', () => {
  it('sorts by score descending and breaks ties by position ascending', () => {
    const scores = [1, 3, 3, 2, 3, 0.5];
    expect(topK(scores, 4)).toEqual([
      { position: 1, score: 3 },
      { position: 2, score: 3 },
      { position: 4, score: 3 },
      { position: 3, score: 2 },
    ]);
    expect(topK(scores, 2).map((r) => r.position)).toEqual([1, 2]);
  });

  it('skips excluded positions and NaN, and handles k above the catalog', () => {
    expect(topK([5, Number.NaN, 4, 6], 10, new Set([3])).map((r) => r.position)).toEqual([0, 2]);
    expect(topK([1, 2], 0)).toEqual([]);
    expect(() => topK([1], -1)).toThrow(expect.objectContaining({ name: 'OptionError', option: 'k', value: -1 }));
    // A huge k is capped at the catalog, not a heap of 2 ** 32 entries.
    expect(topK([3, 1, 2], 2 ** 32 + 5).map((r) => r.position)).toEqual([0, 2, 1]);
  });

  it('matches a full sort on random data with many ties', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const scores = Array.from({ length: 2000 }, () => Math.round(rnd() * 20));
    const exclude = new Set(Array.from({ length: 100 }, () => Math.floor(rnd() * 2000)));
    const full = scores
      .map((score, position) => ({ position, score }))
      .filter((r) => !exclude.has(r.position))
      .sort((a, b) => b.score - a.score || a.position - b.position);
    expect(topK(scores, 50, exclude)).toEqual(full.slice(0, 50));
  });
});

describe('fold-in', () => {
  it('averages each block over the items that have it, leaving unknown blocks 0', () => {
    const a = Float32Array.from([1, 1, 10, 10]);
    const b = Float32Array.from([3, 5, 99, 99]);
    const { vector, known } = foldIn([a, b], [Uint8Array.from([1, 1]), Uint8Array.from([1, 0])], 2, 2);
    expect([...vector]).toEqual([2, 3, 10, 10]);
    expect([...known]).toEqual([1, 1]);
    const none = foldIn([a], [Uint8Array.from([1, 0])], 2, 2);
    expect([...none.vector]).toEqual([1, 1, 0, 0]);
    expect([...none.known]).toEqual([1, 0]);
  });

  it('assigns the nearest centroid using only known dimensions', () => {
    const centroids = [
      [0, 0, 100, 100],
      [1, 1, 0, 0],
    ];
    expect(nearestCentroid([1, 1, 100, 100], Uint8Array.from([1, 1]), 2, centroids)).toBe(0);
    // Block 1 unknown: the user's zeros there must not pull it to centroid 1.
    expect(nearestCentroid([0.1, 0.1, 0, 0], Uint8Array.from([1, 0]), 2, centroids)).toBe(0);
    expect(nearestCentroid([0.9, 0.9, 0, 0], Uint8Array.from([1, 0]), 2, centroids)).toBe(1);
  });
});
