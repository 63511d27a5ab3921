import { describe, expect, it } from 'vitest';
import { type MethodsFile, methodsSection } from '../src/methods-section.js';

const row = (fraction: number, recall20: number, paired: number | null) => ({
  fraction,
  bytes: Math.round(fraction * 1000),
  dtype: 'f16',
  recall20,
  ndcg20: recall20 / 2,
  paperSparsity: 0.3,
  pairedVsPeel: paired === null ? null : { recall20: paired, se: 0.001 },
});

const report: MethodsFile = {
  dataset: 'tiny',
  split: 'given',
  generatedAt: '2026-12-06T17:00:00.000Z',
  trainer: 't@1',
  seed: 1,
  users: 10,
  items: 20,
  budgets: [
    { fraction: 0.2, bytes: 200 },
    { fraction: 0.1, bytes: 100 },
  ],
  backbone: { recipe: 'nested', seconds: 12, test: { recall20: 0.5, ndcg20: 0.4 } },
  fineTune: { recipe: { epochs: 4 } },
  validation: { edges: 5, users: 4, sampledUsers: 4 },
  primitives: { fineTune: { calls: 3, secondsPerCall: 2.5, secondsPerEpoch: 0.625 } },
  methods: {
    peel: { seconds: 3, kind: 'peel-blocks', about: '', budgets: [row(0.2, 0.3, null), row(0.1, 0.25, null)] },
    magprune: {
      seconds: 7,
      kind: 'sparse',
      about: '',
      budgets: [row(0.2, 0.31, 0.01), row(0.1, 0.2, -0.05)],
    },
    'frequency-sized': {
      seconds: 9,
      kind: 'mixed',
      about: '',
      budgets: [row(0.2, 0.32, 0.02)],
      trimVsFallback: [
        { fraction: 0.1, trim: { from: 0.2, columns: 5, of: 16, recall20: 0.2 }, fallback: { from: 0.05, recall20: 0.18 }, exact: { recall20: 0.21 }, trimMinusFallback: { recall20: 0.02, se: 0.01 } },
      ],
    },
  },
  wallSeconds: 40,
};

describe('methodsSection', () => {
  const md = methodsSection([{ file: 'methods-tiny.json', report }]);
  it('has one row per method, the budgets as columns, the paired difference from PEEL and the seconds', () => {
    expect(md).toContain('### Methods on tiny');
    expect(md).toMatch(/\| magprune +\| sparse +\| 0\.3100 \/ 0\.1550 \| 0\.2000 \/ 0\.1000 \| \+0\.0100 ± 0\.0010 \| −0\.0500 ± 0\.0010 \| 7 +\|/);
    // a budget a method did not reach is a dash, and PEEL has no difference from itself
    expect(md).toMatch(/\| frequency-sized \| mixed +\| 0\.3200 \/ 0\.1600 \| – +\| \+0\.0200 ± 0\.0010 \| – +\| 9 +\|/);
    expect(md).toMatch(/\| peel +\| peel-blocks \| 0\.3000 \/ 0\.1500 \| 0\.2500 \/ 0\.1250 \| +\| +\| 3 +\|/);
  });
  it('heads each file by its name, so two runs on one dataset stay apart', () => {
    const two = methodsSection([
      { file: 'methods-tiny.json', report },
      { file: 'methods-tiny-bet.json', report },
    ]);
    expect(two.match(/^### Methods on .+$/gm)).toEqual(['### Methods on tiny', '### Methods on tiny-bet']);
  });
  it("renders the papers' accounting, the primitives' cost and trim or fall back", () => {
    expect(md).toContain('30 % → 0.3100 / 0.1550');
    expect(md).toMatch(/\| fineTune +\| 3 +\| 2\.50 +\| 0\.63 +\|/);
    expect(md).toMatch(/\| frequency-sized \| 10 % +\| 0\.2000 \(20 %, 5 of 16\) +\| 0\.1800 \(5 %\) +\| 0\.2100 +\| \+0\.0200 ± 0\.0100 \|/);
  });
});
