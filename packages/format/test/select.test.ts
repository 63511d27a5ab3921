import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetTooSmallError, blockByteLength, selectBlocks, type Dtype, type Manifest, type Selection } from '../src/index.js';
import { groupSizes } from './fixture.js';

/** A manifest with given weights and sizes; hashes are placeholders since selection never reads payloads. */
function manifestOf(opts: {
  sizes: number[];
  weights: number[][][]; // [userGroup][itemGroup][block]
  blockDim?: number;
  dtypes?: Dtype[];
}): Manifest {
  const blockDim = opts.blockDim ?? 2;
  const B = opts.weights[0]![0]!.length;
  let start = 0;
  const itemGroups = opts.sizes.map((count) => ({ start: (start += count) - count, count }));
  const blocks = opts.weights.flatMap((perItemGroup, c) =>
    perItemGroup.flatMap((ws, g) =>
      ws.map((weight, b) => ({
        userGroup: c,
        itemGroup: g,
        block: b,
        weight,
        files: (opts.dtypes ?? ['f32', 'f16']).map((dtype) => ({
          dtype,
          url: `b/${c}/${g}/${b}.${dtype}`,
          byteLength: blockByteLength(blockDim, opts.sizes[g]!, dtype),
          sha256: '0'.repeat(64),
        })),
      })),
    ),
  );
  return {
    format: 'peelrec',
    formatVersion: 2,
    kind: 'peel-blocks',
    model: { id: 't', contentHash: '0'.repeat(64) },
    dims: { fullDim: blockDim * B, blockDim, blocksPerItem: B },
    layout: 'dim-major',
    items: { count: start, ids: { url: 'ids.json', byteLength: 0, sha256: '0'.repeat(64) } },
    itemGroups,
    userGroups: { count: opts.weights.length, centroids: opts.weights.map(() => new Array(blockDim * B).fill(0)) },
    users: { count: 0, shards: [] },
    blockTables: opts.weights.map((_, c) => ({ url: `b/${c}.json`, byteLength: 0, sha256: '0'.repeat(64) })),
    blocks,
    provenance: { dataset: 't', trainer: 't', seed: 0, createdAt: '' },
  };
}

// Two item groups of 10 and 5 items, 3 blocks, blockDim 2: f32 block = 80 B (group 0) / 40 B (group 1).
const m = manifestOf({
  sizes: [10, 5],
  weights: [
    [
      [0.5, 0.3, 0.2],
      [0.1, 0.7, 0.2],
    ],
    [
      [0.2, 0.2, 0.6],
      [0.34, 0.33, 0.33],
    ],
  ],
});

describe('selectBlocks (table)', () => {
  const cases: { budget: number; dtype: Dtype; want: number[][]; bytes: number }[] = [
    { budget: 120, dtype: 'f32', want: [[0], [1]], bytes: 120 }, // the minimum: each group's best block
    { budget: 199, dtype: 'f32', want: [[0], [1, 2]], bytes: 160 }, // 0.3 and 0.2 of group 0 (80 B) do not fit; 0.2 of group 1 (40 B) does; 0.1 then does not
    { budget: 160, dtype: 'f32', want: [[0], [1, 2]], bytes: 160 }, // next best that fits is group 1 block 2 (w 0.2, 40 B)
    { budget: 200, dtype: 'f32', want: [[0, 1], [1]], bytes: 200 }, // 0.3 of group 0 fits exactly
    {
      budget: 360,
      dtype: 'f32',
      want: [
        [0, 1, 2],
        [0, 1, 2],
      ],
      bytes: 360,
    }, // everything
    {
      budget: 1e9,
      dtype: 'f32',
      want: [
        [0, 1, 2],
        [0, 1, 2],
      ],
      bytes: 360,
    },
    { budget: 60, dtype: 'f16', want: [[0], [1]], bytes: 60 },
  ];
  for (const c of cases) {
    it(`budget ${c.budget} B in ${c.dtype} keeps ${JSON.stringify(c.want)}`, () => {
      const s = selectBlocks(m, 0, c.budget, { dtype: c.dtype });
      expect(s.byItemGroup).toEqual(c.want);
      expect(s.bytes).toBe(c.bytes);
      expect(s.fileBytes).toBe(c.bytes);
    });
  }

  it('scoreWeight is each weight over its item group’s kept weight', () => {
    // budget 200 keeps group 0 blocks 0, 1 (0.5, 0.3) and group 1 block 1 (0.7)
    const s = selectBlocks(m, 0, 200, { dtype: 'f32' });
    expect(s.blocks.map((b) => [b.itemGroup, b.block, b.scoreWeight])).toEqual([
      [0, 0, 0.5 / 0.8],
      [0, 1, 0.3 / 0.8],
      [1, 1, 1],
    ]);
    // everything kept: weights that sum to 1 per group are unchanged
    for (const b of selectBlocks(m, 0, 1e9, { dtype: 'f32' }).blocks) expect(b.scoreWeight).toBeCloseTo(b.weight, 12);
  });

  it('with truncated scoring, scoreWeight is each weight over all of its item group’s weights', () => {
    const truncated = { ...m, userGroups: { ...m.userGroups, scoring: ['truncated', 'mean'] as ('mean' | 'truncated')[] } };
    const s = selectBlocks(truncated, 0, 200, { dtype: 'f32' });
    expect(s.scoring).toBe('truncated');
    // the same blocks as with mean scoring; group 1 keeps one block yet scores with its full-table weight
    expect(s.blocks.map((b) => [b.itemGroup, b.block, b.scoreWeight])).toEqual([
      [0, 0, 0.5 / 1],
      [0, 1, 0.3 / 1],
      [1, 1, 0.7 / (0.1 + 0.7 + 0.2)],
    ]);
    // the other user group keeps its own (mean) rule; absent means mean
    expect(selectBlocks(truncated, 1, 200, { dtype: 'f32' }).scoring).toBe('mean');
    expect(selectBlocks(m, 0, 200, { dtype: 'f32' }).scoring).toBe('mean');
  });

  it('uses the weights of the requested user group', () => {
    expect(selectBlocks(m, 1, 120, { dtype: 'f32' }).byItemGroup).toEqual([[2], [0]]);
  });

  it('throws BudgetTooSmallError naming the minimum', () => {
    const err = (() => {
      try {
        selectBlocks(m, 0, 119, { dtype: 'f32' });
      } catch (e) {
        return e as BudgetTooSmallError;
      }
    })()!;
    expect(err).toBeInstanceOf(BudgetTooSmallError);
    expect(err.minimumBytes).toBe(120);
    expect(err.message).toContain('120 bytes');
  });

  it('auto picks the encoding that keeps the most blocks, f32 on ties', () => {
    expect(selectBlocks(m, 0, 360).dtype).toBe('f32'); // all fit in both: tie -> f32
    const tight = selectBlocks(m, 0, 180);
    expect(tight.dtype).toBe('f16');
    expect(tight.blocks.length).toBe(6);
    expect(selectBlocks(m, 0, 100).dtype).toBe('f16'); // f32 minimum is 120: only f16 fits
    expect(() => selectBlocks(m, 0, 59)).toThrow(BudgetTooSmallError);
    expect(
      (() => {
        try {
          selectBlocks(m, 0, 59);
        } catch (e) {
          return (e as BudgetTooSmallError).minimumBytes;
        }
      })(),
    ).toBe(60);
  });

  it('counts resident bytes when the runtime widens f16 to f32', () => {
    const s = selectBlocks(m, 0, 180, { dtype: 'f16', residentDtype: 'f32' });
    expect(s.bytes).toBeLessThanOrEqual(180);
    expect(s.fileBytes).toBe(s.bytes / 2);
    expect(selectBlocks(m, 0, 180, { residentDtype: 'f32' }).dtype).toBe('f32'); // no gain from f16 in memory: tie -> f32
  });

  it('counts an i8 block as its elements plus its 4-byte scale, and prefers i8 where it fits more blocks', () => {
    const q = manifestOf({
      sizes: [10, 5],
      weights: [
        [
          [0.5, 0.3, 0.2],
          [0.1, 0.7, 0.2],
        ],
      ],
      dtypes: ['f32', 'f16', 'i8'],
    });
    // i8 blocks: 2·10 + 4 = 24 B (group 0), 2·5 + 4 = 14 B (group 1); the two top blocks cost 38 B.
    const s = selectBlocks(q, 0, 38);
    expect(s.dtype).toBe('i8');
    expect(s.bytes).toBe(38);
    expect(s.minimumBytes).toBe(38);
    expect(() => selectBlocks(q, 0, 37, { dtype: 'i8' })).toThrow(BudgetTooSmallError);
    // Every block in i8 is 3·24 + 3·14 = 114 B: f16 (60 + 60 = 120 B) selects fewer there, so auto keeps i8.
    expect(selectBlocks(q, 0, 114).blocks).toHaveLength(6);
    expect(selectBlocks(q, 0, 114).dtype).toBe('i8');
    // The whole table in f32 (360 B): a tie in blocks goes to the more precise encoding.
    expect(selectBlocks(q, 0, 360).dtype).toBe('f32');
  });

  it('counts an i8 block widened in memory at its decoded size, not at four times its file', () => {
    const q = manifestOf({
      sizes: [10, 5],
      weights: [
        [
          [0.5, 0.3, 0.2],
          [0.1, 0.7, 0.2],
        ],
      ],
      dtypes: ['i8'],
    });
    const s = selectBlocks(q, 0, 120, { residentDtype: 'f32' });
    expect(s.minimumBytes).toBe(120); // 80 + 40: the scale is not resident once decoded
    expect(s.fileBytes).toBe(38);
  });

  it('rejects nonsense budgets and user groups', () => {
    expect(() => selectBlocks(m, 0, Number.NaN)).toThrow(RangeError);
    expect(() => selectBlocks(m, 0, -1)).toThrow(RangeError);
    expect(() => selectBlocks(m, 2, 1000)).toThrow(/userGroup 2 out of range/);
  });
});

describe('selectBlocks (properties over random manifests and budgets)', () => {
  const arbManifest = fc
    .record({
      items: fc.integer({ min: 1, max: 200 }),
      groups: fc.integer({ min: 1, max: 8 }),
      blocks: fc.integer({ min: 1, max: 6 }),
      userGroups: fc.integer({ min: 1, max: 3 }),
      blockDim: fc.integer({ min: 1, max: 8 }),
      seedWeights: fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 144, maxLength: 144 }),
    })
    .filter((s) => s.items >= s.groups)
    .map((s) => {
      let k = 0;
      const w = () => s.seedWeights[k++ % s.seedWeights.length]!;
      return manifestOf({
        sizes: groupSizes(s.items, s.groups),
        blockDim: s.blockDim,
        weights: Array.from({ length: s.userGroups }, () => Array.from({ length: s.groups }, () => Array.from({ length: s.blocks }, w))),
      });
    });

  it('never exceeds the budget, keeps ≥ 1 block per item group, is deterministic and monotone', () => {
    fc.assert(
      fc.property(arbManifest, fc.double({ min: 0, max: 1.2, noNaN: true }), fc.double({ min: 0, max: 0.3, noNaN: true }), (man, frac, more) => {
        const full = man.items.count * man.dims.fullDim * 4;
        const budget = Math.floor(full * frac);
        const dtype = 'f32';
        let s: Selection;
        try {
          s = selectBlocks(man, 0, budget, { dtype });
        } catch (e) {
          expect(e).toBeInstanceOf(BudgetTooSmallError);
          expect((e as BudgetTooSmallError).minimumBytes).toBeGreaterThan(budget);
          return;
        }
        expect(s.bytes).toBeLessThanOrEqual(budget);
        expect(s.bytes).toBeGreaterThanOrEqual(s.minimumBytes);
        expect(s.byItemGroup.every((bs) => bs.length >= 1)).toBe(true);
        expect(s.bytes).toBe(s.blocks.reduce((n, b) => n + b.file.byteLength, 0));
        expect(selectBlocks(man, 0, budget, { dtype })).toEqual(s);
        // a larger budget keeps at least as many bytes (monotone in the budget)
        const bigger = selectBlocks(man, 0, budget + Math.floor(full * more), { dtype });
        expect(bigger.bytes).toBeGreaterThanOrEqual(s.bytes);
        // no unselected block would still fit: greedy leaves no slack it could use
        const free = budget - s.bytes;
        const chosen = new Set(s.blocks.map((b) => `${b.itemGroup}/${b.block}`));
        for (const e of man.blocks.filter((e) => e.userGroup === 0 && !chosen.has(`${e.itemGroup}/${e.block}`))) {
          expect(e.files[0]!.byteLength).toBeGreaterThan(free);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('prefers higher weights: within an item group, a selected block outweighs every skipped one of equal size', () => {
    fc.assert(
      fc.property(arbManifest, fc.double({ min: 0, max: 1, noNaN: true }), (man, frac) => {
        const budget = Math.floor(man.items.count * man.dims.fullDim * 4 * frac);
        let s: Selection;
        try {
          s = selectBlocks(man, 0, budget, { dtype: 'f32' });
        } catch {
          return;
        }
        man.itemGroups.forEach((_, g) => {
          const ws = man.blocks.filter((e) => e.userGroup === 0 && e.itemGroup === g);
          const sel = ws.filter((e) => s.byItemGroup[g]!.includes(e.block));
          const skipped = ws.filter((e) => !s.byItemGroup[g]!.includes(e.block));
          for (const a of sel) for (const b of skipped) expect(a.weight).toBeGreaterThanOrEqual(b.weight);
        });
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
