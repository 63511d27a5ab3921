import { describe, expect, it } from 'vitest';
import { foldReps, median, spreadOf } from '../src/spread.js';

describe('median', () => {
  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[7], 7],
  ])('of %j is %d', (xs, want) => {
    expect(median(xs)).toBe(want);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });
});

describe('spreadOf', () => {
  it('gives the median, the min–max and every value in run order', () => {
    expect(spreadOf([0.39, 0.145, 0.27])).toEqual({ median: 0.27, min: 0.145, max: 0.39, values: [0.39, 0.145, 0.27] });
  });

  it('drops the float noise of an even median', () => {
    expect(spreadOf([0.1, 0.2])!.median).toBe(0.15);
  });

  it('is null for no values', () => {
    expect(spreadOf([])).toBeNull();
  });
});

describe('foldReps', () => {
  interface Row {
    name: string;
    ms: number;
    ratio: number | null;
  }
  const reps: Row[] = [
    { name: 'a', ms: 3, ratio: 1.2 },
    { name: 'b', ms: 10, ratio: null },
    { name: 'a', ms: 1, ratio: null },
    { name: 'b', ms: 30, ratio: null },
    { name: 'a', ms: 2, ratio: 1.4 },
  ];

  it('folds records of one key into the median of each field, keeping the first-seen order', () => {
    const out = foldReps(reps, (r) => r.name, ['ms', 'ratio']);
    expect(out.map((r) => [r.name, r.ms, r.reps])).toEqual([
      ['a', 2, 3],
      ['b', 20, 2],
    ]);
    expect(out[0]!.spread.ms).toEqual({ median: 2, min: 1, max: 3, values: [3, 1, 2] });
  });

  it('takes the median of the repetitions that have a value, and keeps null where none has', () => {
    const [a, b] = foldReps(reps, (r) => r.name, ['ms', 'ratio']);
    expect(a!.ratio).toBe(1.3);
    expect(a!.spread.ratio!.values).toEqual([1.2, 1.4]);
    expect(b!.ratio).toBeNull();
    expect(b!.spread.ratio).toBeNull();
  });
});
