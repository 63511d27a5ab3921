import { beforeAll, describe, expect, it } from 'vitest';
import { BudgetTooSmallError, type MixedManifest, type SparseManifest, selectTable, type TableSelectOptions, type TableSelection } from '../src/index.js';
import { writeMixedFixture, writeSparseFixture } from './kinds-fixture.js';

// The fixtures' variants, in bytes as stored:
//   mixed  0 "100%"    f32 1280: 8 columns of 40 rows (160 B each)
//          1 "freq"    f16  320: rows per column 40 28 28 16 16 16 8 8 (80 56 56 32 32 32 16 16 B)
//          2 "learned" f32  628: permutation 80 B, then rows 40 35 26 20 8 8 (160 140 104 80 32 32 B)
//   sparse 0 "100%"    f32 1640: nnz 320, index bytes align4(40 + 320) = 360
//          1 "half"    f16  520: nnz 160, index bytes 200
//          2 "fifth"   f32  388: nnz  69, index bytes 112
let mixed: MixedManifest;
let sparse: SparseManifest;
beforeAll(async () => {
  mixed = (await writeMixedFixture()).manifest;
  sparse = (await writeSparseFixture()).manifest;
});

type Row = [budget: number, options: TableSelectOptions, want: Partial<TableSelection>];

describe('selectTable: mixed', () => {
  const rows: Row[] = [
    // Trim is the default: the smallest candidate is one column of "freq" (80 B), not "freq" whole.
    [1e9, {}, { variant: 0, name: '100%', dtype: 'f32', bytes: 1280, fileBytes: 1280, columns: 8, trimmed: false, minimumBytes: 80 }],
    [1280, {}, { variant: 0, bytes: 1280, columns: 8, trimmed: false }],
    // The longest column prefix of a variant that does not fit, permutation counted, beats a smaller whole variant.
    [1279, {}, { variant: 0, bytes: 1120, fileBytes: 1120, columns: 7, trimmed: true, minimumBytes: 80 }],
    [1279, { trim: true }, { variant: 0, bytes: 1120, columns: 7, trimmed: true }],
    [300, {}, { variant: 1, bytes: 288, columns: 6, trimmed: true }],
    [159, {}, { variant: 1, bytes: 136, columns: 2, trimmed: true }],
    [600, {}, { variant: 2, bytes: 596, fileBytes: 596, columns: 5, trimmed: true }],
    // Widened to f32 in memory, "freq" counts 640 (its 80 B-per-row f16 values twice over) but still downloads 320;
    // its 7-column prefix (608 B) loses to "learned" whole (628 B).
    [639, { residentDtype: 'f32' }, { variant: 2, bytes: 628, trimmed: false }],
    [640, { residentDtype: 'f32' }, { variant: 1, bytes: 640, fileBytes: 320, minimumBytes: 160 }],
    // `trim: false`: whole variants only, falling back to the next smaller one that fits.
    [1e9, { trim: false }, { variant: 0, bytes: 1280, minimumBytes: 320 }],
    [1279, { trim: false }, { variant: 2, name: 'learned', bytes: 628, fileBytes: 628, columns: 6, trimmed: false }],
    [627, { trim: false }, { variant: 1, name: 'freq', dtype: 'f16', bytes: 320, columns: 8, trimmed: false }],
    [639, { residentDtype: 'f32', trim: false }, { variant: 2, bytes: 628 }],
    [640, { residentDtype: 'f32', trim: false }, { variant: 1, bytes: 640, fileBytes: 320, minimumBytes: 628 }],
  ];
  for (const [budget, options, want] of rows) {
    it(`${budget} B ${JSON.stringify(options)} → ${want.name ?? `variant ${want.variant}`}${want.trimmed ? ` trimmed to ${want.columns} columns` : ''}`, () => {
      const s = selectTable(mixed, budget, options);
      expect(s).toMatchObject({ kind: 'mixed', budgetBytes: budget, ...want });
      expect(s.bytes).toBeLessThanOrEqual(budget);
    });
  }

  it('throws BudgetTooSmallError with the smallest candidate when nothing fits (by default: one column of the smallest)', () => {
    expect(() => selectTable(mixed, 319, { trim: false })).toThrow(expect.objectContaining({ name: 'BudgetTooSmallError', minimumBytes: 320, budgetBytes: 319, dtype: 'f16' }));
    expect(() => selectTable(mixed, 319)).not.toThrow();
    expect(() => selectTable(mixed, 627, { residentDtype: 'f32', trim: false })).toThrow(expect.objectContaining({ minimumBytes: 628, dtype: 'f32' }));
    expect(() => selectTable(mixed, 159, { residentDtype: 'f32' })).toThrow(expect.objectContaining({ minimumBytes: 160, dtype: 'f32' }));
    const err = (() => {
      try {
        selectTable(mixed, 79);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BudgetTooSmallError);
    expect(err).toMatchObject({ minimumBytes: 80 });
    expect((err as Error).message).toMatch(/the first column of variant "freq", the smallest mixed table/);
  });
});

describe("selectTable: the manifest's trim choice (`selection.trim`)", () => {
  const choosing = (trim: boolean): MixedManifest => ({ ...mixed, selection: { trim } });

  it('trim false in the manifest falls back to a whole smaller variant where the default trims a larger one', () => {
    expect(selectTable(mixed, 1279)).toMatchObject({ variant: 0, trimmed: true, columns: 7 });
    expect(selectTable(choosing(false), 1279)).toMatchObject({ variant: 2, name: 'learned', bytes: 628, trimmed: false });
    // The smallest candidate follows the choice too: "freq" whole, not its first column.
    expect(() => selectTable(choosing(false), 319)).toThrow(expect.objectContaining({ name: 'BudgetTooSmallError', minimumBytes: 320 }));
  });

  it('trim true in the manifest trims, as an artifact without the member does', () => {
    expect(selectTable(choosing(true), 1279)).toEqual(selectTable(mixed, 1279));
    expect(selectTable(choosing(true), 1279)).toMatchObject({ variant: 0, trimmed: true, columns: 7 });
  });

  it('an explicit option overrides the manifest either way', () => {
    expect(selectTable(choosing(false), 1279, { trim: true })).toMatchObject({ variant: 0, trimmed: true, columns: 7 });
    expect(selectTable(choosing(true), 1279, { trim: false })).toMatchObject({ variant: 2, trimmed: false });
  });
});

describe('selectTable: sparse', () => {
  const rows: Row[] = [
    [1e9, {}, { variant: 0, name: '100%', bytes: 1640, fileBytes: 1640, trimmed: false, minimumBytes: 388 }],
    [1639, {}, { variant: 1, name: 'half', dtype: 'f16', bytes: 520 }],
    [519, {}, { variant: 2, name: 'fifth', bytes: 388 }],
    // Trim is for mixed columns; a sparse variant is all or nothing.
    [519, { trim: true }, { variant: 2, bytes: 388, trimmed: false }],
    // Index bytes are charged as stored; values at the resident dtype: "half" counts 200 + 160 × 4.
    [839, { residentDtype: 'f32' }, { variant: 2, bytes: 388 }],
    [840, { residentDtype: 'f32' }, { variant: 1, bytes: 840, fileBytes: 520 }],
  ];
  for (const [budget, options, want] of rows) {
    it(`${budget} B ${JSON.stringify(options)} → ${want.name ?? `variant ${want.variant}`}`, () => {
      const s = selectTable(sparse, budget, options);
      expect(s).toMatchObject({ kind: 'sparse', ...want });
      expect(s.columns).toBeUndefined();
    });
  }

  it('throws BudgetTooSmallError below the smallest variant', () => {
    expect(() => selectTable(sparse, 387)).toThrow(expect.objectContaining({ name: 'BudgetTooSmallError', minimumBytes: 388 }));
  });
});

describe('selectTable: rules', () => {
  const ref = (byteLength: number) => ({ url: 't.bin', byteLength, sha256: '0'.repeat(64) });
  const variant = (name: string, dtype: 'f32' | 'f16', counts: number[]) => {
    const columns = counts.map((count) => ({ count, file: ref(count * (dtype === 'f32' ? 4 : 2)) }));
    return { name, dtype, bytes: columns.reduce((n, c) => n + c.file.byteLength, 0), columns };
  };
  const manifest = (...variants: ReturnType<typeof variant>[]) => ({ kind: 'mixed' as const, items: { count: 40, ids: ref(1) }, variants });

  it('ties on bytes go to the more precise dtype, then to the lower index', () => {
    expect(selectTable(manifest(variant('a', 'f16', [40, 40]), variant('b', 'f32', [40])), 1000).name).toBe('b');
    expect(selectTable(manifest(variant('a', 'f32', [40]), variant('b', 'f32', [40])), 1000).name).toBe('a');
  });

  it('a whole variant beats a trimmed one of equal bytes', () => {
    const m = manifest(variant('long', 'f32', [40, 40, 40]), variant('two', 'f32', [40, 40]));
    expect(selectTable(m, 320)).toMatchObject({ name: 'two', trimmed: false, columns: 2 });
  });

  it('is pure: the same answer twice, the manifest untouched', () => {
    const m = manifest(variant('a', 'f32', [40, 30]), variant('b', 'f16', [40, 40, 10]));
    const before = structuredClone(m);
    expect(selectTable(m, 250, { trim: true })).toEqual(selectTable(m, 250, { trim: true }));
    expect(m).toEqual(before);
  });

  it('refuses a budget that is not a finite number ≥ 0, and an i8 resident dtype', () => {
    const m = manifest(variant('a', 'f32', [40]));
    for (const b of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => selectTable(m, b)).toThrow(RangeError);
    expect(() => selectTable(m, 1000, { residentDtype: 'i8' })).toThrow(RangeError);
  });
});
