import { describe, expect, it } from 'vitest';
import { itemDelta } from '../src/stream/delta.js';

const dim = 4;
const table = (rows: number[][]) => Float32Array.from(rows.flatMap((r) => [...r, ...new Array(dim - r.length).fill(0)]));

describe('stream: the item delta between two served tables', () => {
  it('sorts rows into new, resized, revalued and unchanged, in f16 bytes', () => {
    const prev = { items: table([[1, 2], [3], [0.5, 0.25, 1]]), sizes: Uint16Array.of(2, 1, 3) };
    const next = {
      // row 0 the same; row 1 grown to 2; row 2 same size, one value moved; row 3 new
      items: table([[1, 2], [3, 4], [0.5, 0.25, 2], [7]]),
      sizes: Uint16Array.of(2, 2, 3, 1),
    };
    const d = itemDelta(prev, next, dim);
    expect(d).toEqual({
      fullBytes: (2 + 2 + 3 + 1) * 2,
      newRows: 1,
      newBytes: 2,
      resizedRows: 1,
      resizedBytes: 4,
      revaluedRows: 1,
      revaluedBytes: 6,
      unchangedRows: 1,
      unchangedBytes: 4,
      droppedRows: 0,
    });
  });

  it('matches rows by item when a table holds live items only: a retired item is dropped, a shifted row is the same row', () => {
    // items 3 and 5, then 5 (unchanged, now row 0), 9 (new); item 3 retired
    const prev = { items: table([[1, 2], [3]]), sizes: Uint16Array.of(2, 1), ids: Uint32Array.of(3, 5) };
    const next = { items: table([[3], [4, 4]]), sizes: Uint16Array.of(1, 2), ids: Uint32Array.of(5, 9) };
    expect(itemDelta(prev, next, dim)).toMatchObject({ newRows: 1, newBytes: 4, unchangedRows: 1, unchangedBytes: 2, resizedRows: 0, revaluedRows: 0, droppedRows: 1 });
  });

  it('compares values as the device stores them: a change below f16 precision is no change', () => {
    const prev = { items: table([[1, 2]]), sizes: Uint16Array.of(2) };
    const tiny = { items: table([[1 + 2 ** -13, 2]]), sizes: Uint16Array.of(2) };
    const visible = { items: table([[1 + 2 ** -9, 2]]), sizes: Uint16Array.of(2) };
    expect(itemDelta(prev, tiny, dim).unchangedRows).toBe(1);
    expect(itemDelta(prev, visible, dim).revaluedRows).toBe(1);
  });

  it('counts every row as new in the first segment', () => {
    const next = { items: table([[1], [2, 3]]), sizes: Uint16Array.of(1, 2) };
    expect(itemDelta(undefined, next, dim)).toMatchObject({ newRows: 2, newBytes: 6, fullBytes: 6, unchangedRows: 0 });
  });
});
