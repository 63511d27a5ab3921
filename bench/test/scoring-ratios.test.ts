import { describe, expect, it } from 'vitest';
import type { ScoringResult, ScoringRow, TimedWith } from '../page/scoring.js';
import { scoringGoals } from '../src/report.js';
import { type CaseOutcome, ratiosOf, summariseScoring } from '../src/scoring.js';

function row(impl: string, timedWith: TimedWith, p50ms: number, minms = p50ms): ScoringRow {
  return {
    catalog: 'c',
    items: 1000,
    budgetBytes: 4_000_000,
    dtype: 'f16',
    backend: impl.startsWith('bound-js') ? 'js' : 'wasm',
    impl,
    p50ms,
    p95ms: p50ms * 2,
    minms,
    samples: 20,
    series: 'wasm',
    timedWith,
    residentBytes: 4_000_000,
    boundBytes: 4_000_000,
    selectedBlocks: 10,
  };
}

/** One repetition: a clean bound run (bound 0.145 ms) and a peers run in which the runtime is slower. */
function repetition(runtimeWithBound: number, bound: number): ScoringRow[] {
  return [
    row('runtime', 'bound', runtimeWithBound),
    row('bound-js', 'bound', bound * 3),
    row('bound-wasm-simd', 'bound', bound),
    row('runtime', 'peers', 0.5),
    row('onnxruntime-web', 'peers', 1),
    row('ts-loop', 'peers', 2),
  ];
}

describe('ratiosOf', () => {
  it("takes the runtime's ×bound from the bound run and vs onnxruntime-web from the peers run", () => {
    const ratios = ratiosOf(repetition(0.2, 0.1));
    const runtime = ratios.find((r) => r.impl === 'runtime')!;
    expect(runtime).toMatchObject({ p50ms: 0.2, boundMs: 0.1, xBound: 2, sameRunAsBound: true, vsOnnxruntimeWeb: 0.5, boundGBps: 40 });
  });

  it('gives a peer its peers-run time over the bound run, and no bound kernel a ratio', () => {
    const ratios = ratiosOf(repetition(0.2, 0.1));
    expect(ratios.map((r) => r.impl)).toEqual(['runtime', 'onnxruntime-web', 'ts-loop']);
    expect(ratios.find((r) => r.impl === 'ts-loop')).toMatchObject({ p50ms: 2, xBound: 20, sameRunAsBound: false, vsOnnxruntimeWeb: 2 });
  });
});

describe('summariseScoring', () => {
  const result = (rows: ScoringRow[]): ScoringResult => ({ rows, refusals: [], agreement: [], env: {} });
  const outcome: CaseOutcome = {
    catalog: 'c',
    budgetLabel: '20 %',
    budgetBytes: 4_000_000,
    results: [result(repetition(0.29, 0.145)), result(repetition(0.78, 0.39)), result(repetition(0.3, 0.27))],
  };

  it('takes ×bound within each repetition, then the median with its spread', () => {
    const runtime = summariseScoring([outcome]).ratios.find((r) => r.impl === 'runtime')!;
    // Per repetition 2, 2 and 1.11: the median of the ratios, not 0.3 / 0.27 from the medians.
    expect(runtime.xBound).toBe(2);
    expect(runtime.spread.xBound).toEqual({ median: 2, min: 1.11, max: 2, values: [2, 2, 1.11] });
    expect(runtime.boundMs).toBe(0.27);
    expect(runtime.reps).toBe(3);
  });

  it('keeps the runtime of the bound run and of the peers run as separate rows, each a median over the repetitions', () => {
    const { rows } = summariseScoring([outcome]);
    const runtime = rows.filter((r) => r.impl === 'runtime');
    expect(runtime.map((r) => [r.timedWith, r.p50ms, r.reps])).toEqual([
      ['bound', 0.3, 3],
      ['peers', 0.5, 3],
    ]);
    expect(runtime[0]!.spread.p50ms).toMatchObject({ min: 0.29, max: 0.78 });
  });
});

describe('scoringGoals', () => {
  /** Three repetitions of one case, every row in `series` at `dtype`: the runtime at `x` times a 0.4 ms bound. */
  const million = (series: string, dtype: 'f16' | 'i8', xs: number[]): CaseOutcome => ({
    catalog: 'm',
    budgetLabel: '16 MiB',
    budgetBytes: 16 * 2 ** 20,
    results: xs.map((x) => ({
      rows: repetition(0.4 * x, 0.4).map((r) => ({ ...r, catalog: 'm', budgetBytes: 16 * 2 ** 20, series, dtype })),
      refusals: [],
      agreement: [],
      env: {},
    })),
  });
  const i8Goal = (xs: number[]) => {
    const { ratios } = summariseScoring([million('wasm', 'f16', [1.7, 1.7, 1.7]), million('wasm i8', 'i8', xs)]);
    return scoringGoals(ratios, [], 'm').find((g) => g.goal.startsWith('runtime (wasm, i8 blocks) within 1.5×'));
  };

  it("judges i8 at 1M items against its own bound (issue 26), by the repetitions' median", () => {
    expect(i8Goal([1.3, 1.4, 1.6])).toMatchObject({ met: true, goal: 'runtime (wasm, i8 blocks) within 1.5× of the bound: m @ 16.00 MiB (issue 26)' });
    expect(i8Goal([1.3, 1.4, 1.6])!.figure).toMatch(/^1\.4× \[1\.3–1\.6\] at p50, median of 3 repetitions/);
    expect(i8Goal([1.6, 1.4, 1.7])!.met).toBe(false);
  });

  it('states no i8 goal where no i8 series ran', () => {
    const { ratios } = summariseScoring([million('wasm', 'f16', [1.2, 1.2, 1.2])]);
    expect(scoringGoals(ratios, [], 'm').some((g) => g.goal.includes('i8'))).toBe(false);
  });
});
