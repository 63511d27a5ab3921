/**
 * i8 blocks end to end on the cpu backend, which widens them to f32 tensors (the WASM kernel keeps them as int8:
 * browser-test/): the option is accepted, the budget counts f32 bytes, and the scores are the reference's over
 * the decoded values (`scale × q`); an artifact that exports only i8 is served too.
 */
import { describe, expect, it } from 'vitest';
import { assertPeelManifest, blockByteLength, selectBlocks } from '@peelrec/format';
import { i8Scores, PeelrecError } from '../src/index.js';
import { harness, reference } from './helpers.js';
import { tracking } from './fixtures/tracked.js';

const { track } = tracking();

// 60 items × 16 dims (4 blocks of 4), item groups of 10/20/30.
const FULL = 60 * 16 * 4;

describe('i8 blocks on cpu', () => {
  it.each([
    ['f32 + f16 + i8, dtype i8', ['f32', 'f16', 'i8'], 'i8'],
    ['i8 only, dtype auto', ['i8'], 'auto'],
  ] as const)('%s: downloads i8 files, holds f32 within the budget, and agrees with the reference of the decoded values', async (_name, dtypes, dtype) => {
    const h = await harness({ dtypes });
    const budget = Math.floor(FULL * 0.6);
    const rec = track(await h.open({ budget, storage: 'memory', dtype }));
    const sel = rec.info.selection;
    expect(sel.dtype).toBe('i8');
    expect(sel.blocks.length).toBeLessThan(12);
    // Files of blockDim·n int8 values after a 4-byte scale; resident as f32.
    const m = assertPeelManifest(rec.manifest);
    const { blockDim } = m.dims;
    const count = (g: number) => m.itemGroups[g]!.count;
    expect(sel.fileBytes).toBe(sel.blocks.reduce((n, b) => n + blockByteLength(blockDim, count(b.itemGroup), 'i8'), 0));
    expect(sel.bytes).toBe(sel.blocks.reduce((n, b) => n + blockDim * count(b.itemGroup) * 4, 0));
    expect(rec.info.residentBytes).toBe(sel.bytes);
    expect(rec.info.residentBytes).toBeLessThanOrEqual(budget);
    for (let u = 0; u < 4; u++) {
      const vector = h.fixture.userVectors.subarray(u * 16, (u + 1) * 16);
      const got = await rec.recommend({ user: { vector, group: rec.info.userGroup }, k: 12, exclude: ['item-3'] });
      const want = reference(rec, h.fixture.files, vector, 12, [3]);
      expect(got.map((r) => r.position)).toEqual(want.map((r) => r.position));
      got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 4));
    }
  });

  it("'auto' on cpu keeps f32 where i8 selects no more blocks (every encoding is counted at 4 bytes there)", async () => {
    const h = await harness({ dtypes: ['f32', 'f16', 'i8'] });
    const rec = track(await h.open({ budget: Math.floor(FULL * 0.6), storage: 'memory' }));
    expect(rec.info.selection.dtype).toBe('f32');
  });

  it('i8Scores refuses, with PeelrecErrors, another dtype, a vector of the wrong length and a block of the wrong size', async () => {
    const h = await harness({ dtypes: ['f32', 'i8'] });
    const m = h.fixture.manifest;
    const vector = new Float32Array(16);
    const i8 = selectBlocks(m, 0, FULL, { dtype: 'i8' });
    const block = () => new Uint8Array(4 + 4 * 10);
    const cases: [() => unknown, string][] = [
      [() => i8Scores({ manifest: m, selection: selectBlocks(m, 0, FULL, { dtype: 'f32' }), vector, block }), 'UserError'],
      [() => i8Scores({ manifest: m, selection: i8, vector: vector.subarray(1), block }), 'UserError'],
      [() => i8Scores({ manifest: m, selection: i8, vector, block: () => new Uint8Array(7) }), 'ManifestError'],
    ];
    for (const [f, name] of cases) {
      expect(f).toThrow(PeelrecError);
      expect(f).toThrow(expect.objectContaining({ name }));
    }
    expect(i8Scores({ manifest: m, selection: i8, vector, block: (g) => new Uint8Array(4 + 4 * m.itemGroups[g]!.count) })).toEqual(new Float32Array(60));
  });
});
