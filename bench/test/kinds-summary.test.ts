import { describe, expect, it } from 'vitest';
import type { KindResult, KindRow, KindTable } from '../page/kinds.js';
import { costFits, crossovers, fitLine, fittedSide, kindRatiosOf, sameValuesCrossover, summariseKinds } from '../src/kinds-summary.js';
import { kindsSection } from '../src/kinds-section.js';

const MB = 1_000_000;

function row(table: KindTable | 'bound', p50ms: number, residentBytes: number, storedValues: number, budgetBytes = 4 * MB, impl = table === 'bound' ? 'bound-wasm-simd' : `runtime ${table}`): KindRow {
  return {
    shape: 's',
    items: 40_000,
    fullDim: 128,
    budgetBytes,
    table,
    catalog: table === 'bound' ? '' : `s-${table}`,
    impl,
    backend: 'wasm',
    dtype: 'f16',
    variant: 'v',
    residentBytes,
    storedValues,
    p50ms,
    p95ms: p50ms * 2,
    minms: p50ms / 2,
    samples: 20,
  };
}

/** One budget's run: the bound streams 4 MB in 0.2 ms (20 GB/s); each table holds its bytes. */
function run(budget: number, peel: number, mixed: number, sparse: number, scale = budget / (4 * MB)): KindRow[] {
  const b = (x: number) => Math.round(x * scale);
  return [
    row('peel-blocks', peel, b(3.9 * MB), b(1.95 * MB), budget),
    row('mixed', mixed, b(4 * MB), b(2 * MB), budget),
    row('sparse', sparse, b(4 * MB), b(1.32 * MB), budget),
    row('bound', 0.2 * scale, b(4 * MB), 0, budget),
    row('bound', 0.5 * scale, b(4 * MB), 0, budget, 'bound-js'),
  ];
}

describe('kindRatiosOf', () => {
  it("prices each table's own bytes at the faster bound kernel's bandwidth, and sets it beside PEEL of the same run", () => {
    const ratios = kindRatiosOf(run(4 * MB, 0.39, 0.6, 0.8), new Map([['s|4000000', '20 %']]));
    expect(ratios.map((r) => r.table)).toEqual(['peel-blocks', 'mixed', 'sparse']);
    const [peel, mixed, sparse] = ratios;
    // PEEL holds 3.9 MB: its bound is 0.195 ms at 20 GB/s.
    expect(peel!.boundMs).toBe(0.195);
    expect(peel!.boundGBps).toBe(20);
    expect(peel!.xBound).toBe(2);
    expect(mixed!.xBound).toBe(3);
    expect(sparse!.xBound).toBe(4);
    expect(sparse!.xBoundMin).toBe(4);
    expect(sparse!.nsPerValue).toBeCloseTo((0.8 * 1e6) / 1_320_000, 4);
    expect(sparse!.vsPeel).toBe(2.05);
    expect(peel!.vsPeel).toBe(1);
    expect(sparse!.budgetLabel).toBe('20 %');
  });

  it('gives no ratios for a run without bound rows, and null vs PEEL where PEEL was refused', () => {
    expect(kindRatiosOf(run(4 * MB, 1, 1, 1).filter((r) => r.table !== 'bound'))).toEqual([]);
    const noPeel = kindRatiosOf(run(4 * MB, 1, 1, 1).filter((r) => r.table !== 'peel-blocks'));
    expect(noPeel.map((r) => r.vsPeel)).toEqual([null, null]);
  });
});

describe('cost fits and the crossover', () => {
  it('fitLine recovers a line exactly, and needs two distinct x', () => {
    expect(fitLine([1, 2, 3].map((x) => ({ x, ms: 0.5 + 2 * x })))).toEqual({ fixedMs: expect.closeTo(0.5, 10), perUnitMs: expect.closeTo(2, 10) });
    expect(fitLine([{ x: 1, ms: 1 }])).toBeUndefined();
    expect(
      fitLine([
        { x: 1, ms: 1 },
        { x: 1, ms: 2 },
      ]),
    ).toBeUndefined();
  });

  it('fittedSide says on which side of the crossing sparse is faster', () => {
    // Sparse costs more up front and less per byte: faster above 1 MB.
    expect(fittedSide({ fixedMsAtZeroBytes: 0.2, nsPerByte: 0.1 }, { fixedMsAtZeroBytes: 0.1, nsPerByte: 0.2 })).toEqual({ bytes: 1 * MB, side: 'above' });
    expect(fittedSide({ fixedMsAtZeroBytes: 0.1, nsPerByte: 0.2 }, { fixedMsAtZeroBytes: 0.2, nsPerByte: 0.1 })).toEqual({ bytes: 1 * MB, side: 'below' });
    expect(fittedSide({ fixedMsAtZeroBytes: 0.3, nsPerByte: 0.2 }, { fixedMsAtZeroBytes: 0.1, nsPerByte: 0.1 })).toEqual({ bytes: null, side: 'never' });
    expect(fittedSide({ fixedMsAtZeroBytes: 0.1, nsPerByte: 0.1 }, { fixedMsAtZeroBytes: 0.3, nsPerByte: 0.2 })).toEqual({ bytes: null, side: 'always' });
    expect(fittedSide({ fixedMsAtZeroBytes: 0.1, nsPerByte: 0.1 }, { fixedMsAtZeroBytes: 0.3, nsPerByte: 0.1 })).toEqual({ bytes: null, side: 'always' });
  });

  it('sameValuesCrossover: the density below which the sparse form of a table beats its dense form at full width', () => {
    // 1000 × 100 values; dense full width: 0.1 ms + 1 ns × 100k = 0.2 ms; sparse 0.05 ms + 3 ns per nonzero → 50k nonzeros.
    const v = sameValuesCrossover({ items: 1000, fullDim: 100, fixedMs: 0.05, nsPerValue: 3 }, { fixedMs: 0.1, nsPerValue: 1 });
    expect(v).toEqual({ fullWidthMs: 0.2, density: 0.5, sparseBytes: 1000 + 50_000 + 2 * 50_000 });
    expect(sameValuesCrossover({ items: 1000, fullDim: 100, fixedMs: 0.5, nsPerValue: 3 }, { fixedMs: 0.1, nsPerValue: 1 })!.density).toBe(0);
    expect(sameValuesCrossover({ items: 1000, fullDim: 100, fixedMs: 0, nsPerValue: 0.5 }, { fixedMs: 0.1, nsPerValue: 1 })!.density).toBe(1);
    expect(sameValuesCrossover({ items: 1000, fullDim: 100, fixedMs: 0, nsPerValue: 0 }, { fixedMs: 0.1, nsPerValue: 1 })).toBeNull();
  });

  it('fits the p50s across budgets, and finds the budgets where sparse was faster than each dense table', () => {
    // Sparse: 0.3 ms + 0.1 ns/B; PEEL: 0.1 ms + 0.2 ns/B (per held byte); mixed always cheaper than sparse.
    const budgets = [1, 2, 4, 8].map((m) => m * MB);
    const rows = budgets.flatMap((b) => run(b, 0.1 + (0.2 * 3.9 * b) / 4 / MB, 0.05 + (0.1 * b) / MB, 0.3 + (0.1 * b) / MB));
    const ratios = kindRatiosOf(rows);
    const fits = costFits(ratios);
    const sparse = fits.find((f) => f.table === 'sparse')!;
    expect(sparse.nsPerByte).toBeCloseTo(0.1, 5);
    expect(sparse.fixedMsAtZeroBytes).toBeCloseTo(0.3, 4);
    // 1.32 values per 4 bytes held: the slope per nonzero is 0.1 ns/B × 4 / 1.32.
    expect(sparse.nsPerValue).toBeCloseTo(0.4 / 1.32, 3);
    const [vsPeel, vsMixed] = crossovers(ratios, fits);
    expect(vsPeel).toMatchObject({ dense: 'peel-blocks', measuredAt: budgets, sparseFasterAt: [4 * MB, 8 * MB], fittedBytes: 2 * MB, fittedSparseFaster: 'above' });
    expect(vsMixed).toMatchObject({ dense: 'mixed', sparseFasterAt: [], fittedBytes: null, fittedSparseFaster: 'never' });
  });
});

describe('summariseKinds and its section', () => {
  const result = (rows: KindRow[]): KindResult => ({ rows, refusals: [], agreement: [{ table: 'sparse', ok: true, maxScoreError: 1e-7 }], env: {} });

  it('takes medians over repetitions of ratios taken within each, and renders them with the crossover', () => {
    const outcomes = [
      { shape: 's', budgetLabel: '5 %', budgetBytes: 1 * MB, results: [result(run(1 * MB, 0.1, 0.1, 0.3)), result(run(1 * MB, 0.1, 0.1, 0.5)), result(run(1 * MB, 0.1, 0.1, 0.4))] },
      { shape: 's', budgetLabel: '20 %', budgetBytes: 4 * MB, results: [result(run(4 * MB, 0.8, 0.8, 0.6))], error: undefined },
      { shape: 's', budgetLabel: '40 %', budgetBytes: 8 * MB, results: [], error: 'page crashed' },
    ];
    const k = summariseKinds(outcomes);
    const sparseAt1 = k.ratios.find((r) => r.table === 'sparse' && r.budgetBytes === 1 * MB)!;
    expect(sparseAt1.reps).toBe(3);
    expect(sparseAt1.vsPeel).toBe(4);
    expect(sparseAt1.spread.vsPeel).toMatchObject({ min: 3, max: 5 });
    expect(k.crossovers.find((c) => c.dense === 'peel-blocks')!.sparseFasterAt).toEqual([4 * MB]);
    expect(k.errors).toEqual([{ shape: 's', budgetBytes: 8 * MB, error: 'page crashed' }]);
    expect(k.agreement).toHaveLength(4);

    const md = kindsSection({ about: 'About.', catalogs: { 's-sparse': 'a sparse table' }, ...k });
    expect(md).toContain('| s       | 20 % (4,000,000 B) | sparse');
    expect(md).toContain('- s, sparse vs PEEL blocks: faster at 20 % of 5 %, 20 %; the fitted lines cross at');
    expect(md).toContain('could not run: page crashed');
    expect(md).toMatch(/Same values instead of same bytes: .* (below [\d.]+ % nonzeros|at no density|at every density)/);
  });
});
