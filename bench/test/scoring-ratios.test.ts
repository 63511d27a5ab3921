import { describe, expect, it } from 'vitest';
import type { ScoringResult, ScoringRow, TimedWith } from '../page/scoring.js';
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
