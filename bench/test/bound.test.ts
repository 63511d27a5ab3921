import { describe, expect, it } from 'vitest';
import type { Manifest } from '@peelrec/format';
import type { GroupMatrix } from '../page/impl/onnx-graph.js';
import { residentArrays } from '../page/impl/bound.js';
import { onlySeries, scoringPlan } from '../src/scoring.js';

/** Groups whose value counts are not multiples of 4, so word-sized arrays round down. */
const groups: GroupMatrix[] = [
  [8, 1001],
  [4, 64],
  [3, 37],
].map(([rows, items]) => ({ dims: new Int32Array(rows!), weights: new Float32Array(rows!), matrix: new Float32Array(rows! * items!).fill(0.5), items: items! }));
const values = groups.reduce((n, g) => n + g.matrix.length, 0);

describe('the bound streams the bytes the runtime holds', () => {
  it('f32 as the matrices, f16 at 2 bytes per value, i8 at 1 (no subnormal words)', () => {
    expect(residentArrays(groups, values * 4)).toMatchObject({ bytes: values * 4 });
    const f16 = residentArrays(groups, values * 2);
    expect(Math.abs(f16.bytes - values * 2)).toBeLessThanOrEqual(2 * groups.length);
    const i8 = residentArrays(groups, values);
    expect(i8.bytes).toBeLessThanOrEqual(values);
    expect(i8.bytes).toBeGreaterThan(values - 4 * groups.length);
    expect(i8.arrays.every((a) => a.every((w) => Math.abs(w) >= 2 ** -126))).toBe(true);
  });

  it('refuses resident bytes that are none of the three', () => {
    expect(() => residentArrays(groups, Math.round(values * 3))).toThrow(/none of/);
    expect(() => residentArrays(groups, Math.round(values * 0.6))).toThrow(/none of/);
  });
});

describe('scoring plan', () => {
  it('times i8 on wasm beside the f16 series (still named wasm) at the tight Gowalla budgets, 10 % and the 1M catalog; auto at the full budget', () => {
    const gowalla = { items: { count: 1000 }, dims: { fullDim: 128 } } as Manifest;
    const plan = scoringPlan(gowalla);
    const series = (label: string) => plan.filter((e) => e.budgetLabel === label).flatMap((e) => e.backends);
    expect(series('100 %')).toEqual(['wasm', 'cpu']);
    for (const label of ['20 %', '10 %', '5 %', '16 MiB']) {
      expect(series(label)).toContainEqual({ backend: 'wasm', dtype: 'f16', name: 'wasm' });
      expect(series(label)).toContainEqual({ backend: 'wasm', dtype: 'i8', name: 'wasm i8' });
    }
    expect(plan.find((e) => e.budgetLabel === '10 %')!.budgetBytes).toBe(Math.floor(1000 * 128 * 4 * 0.1));
  });

  it('narrows to the named series (--series): every budget that times them, only them, without peers; an unknown name throws', () => {
    const plan = scoringPlan({ items: { count: 1000 }, dims: { fullDim: 128 } } as Manifest);
    const i8 = onlySeries(plan, ['wasm i8']);
    expect(i8.map((e) => e.budgetLabel)).toEqual(['20 %', '5 %', '10 %', '16 MiB']);
    expect(i8.every((e) => e.backends.length === 1 && !e.peers)).toBe(true);
    expect(onlySeries(plan, ['cpu', 'webgpu']).map((e) => [e.budgetLabel, e.backends])).toEqual([
      ['100 %', ['cpu']],
      ['20 %', ['cpu']],
      ['5 %', ['cpu']],
      ['16 MiB', ['cpu']],
      ['100 % (2 MiB budget)', ['webgpu']],
    ]);
    expect(() => onlySeries(plan, ['wasm i4'])).toThrow(/no scoring series "wasm i4"/);
  });
});
