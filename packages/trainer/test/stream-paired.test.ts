import { describe, expect, it } from 'vitest';
import type { Fitness } from '../src/stream/model.js';
import { type PairedFigure, pairedMeanFrom1, pairedVsScall } from '../src/stream/paired.js';

const fitness = (recall: number[]): Fitness => ({
  recall20: recall.reduce((a, b) => a + b, 0) / recall.length,
  ndcg20: 0,
  users: recall.length,
  perUser: { recall20: Float32Array.from(recall), ndcg20: new Float32Array(recall.length) },
});

const figure = (recall20: number, se: number | null): PairedFigure => ({ recall20, se, ndcg20: 0, ndcgSe: 0, users: 10 });

describe('stream: paired differences against SCALL', () => {
  it('pairs each method with SCALL user by user within a segment, and skips SCALL itself', () => {
    const tests = new Map([
      ['scall', fitness([0.5, 0.25, 0.75])],
      ['uniform', fitness([0.75, 0.5, 1])],
    ]);
    const out = pairedVsScall(tests);
    expect(Object.keys(out)).toEqual(['uniform']);
    // a constant shift of 0.25: no noise in the difference, whatever the users' spread
    expect(out.uniform!.recall20).toBeCloseTo(0.25, 6);
    expect(out.uniform!.se).toBeLessThan(1e-7);
    expect(out.uniform!.users).toBe(3);
    expect(pairedVsScall(new Map([['uniform', fitness([1, 0])]]))).toEqual({});
  });

  it('averages the segments t ≥ 1 and combines their standard errors as √(Σ se²) / T', () => {
    const segments = [
      { index: 0, methods: { scall: {}, uniform: { pairedVsScall: figure(0.9, 0.5) } } },
      { index: 1, methods: { scall: {}, uniform: { pairedVsScall: figure(0.1, 0.03) } } },
      { index: 2, methods: { scall: {}, uniform: { pairedVsScall: figure(-0.05, 0.04) } } },
    ];
    const out = pairedMeanFrom1(segments);
    expect(Object.keys(out)).toEqual(['uniform']);
    expect(out.uniform!.recall20).toBeCloseTo(0.025, 12);
    expect(out.uniform!.se).toBeCloseTo(0.025, 12); // √(0.03² + 0.04²) / 2
    expect(out.uniform!.segments).toBe(2);
    // one segment without a standard error leaves the mean without one
    segments[2]!.methods.uniform.pairedVsScall = figure(-0.05, null);
    expect(pairedMeanFrom1(segments).uniform!.se).toBeNull();
  });
});
