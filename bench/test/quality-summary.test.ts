import { describe, expect, it } from 'vitest';
import { qualityMarkdown } from '../src/quality-summary.js';

describe('qualityMarkdown', () => {
  it('renders the budgets and PEEL’s paired gain over each ablation, signed, with its standard error', () => {
    const gain = (mean: number, se: number) => ({ recall20: { mean, se }, ndcg20: { mean, se }, users: 100 });
    const md = qualityMarkdown(
      {
        dataset: 'toy',
        full: { recall20: 0.2, ndcg20: 0.1 },
        fullGain: gain(0.00061, 0.0002),
        budgets: [
          {
            fraction: 0.1,
            bytes: 4096,
            dtype: 'f16',
            peel: { recall20: 0.15, ndcg20: 0.12 },
            uniform: { recall20: 0.16, ndcg20: 0.13, dim: 24 },
            unweighted: { recall20: 0.1503, ndcg20: 0.12 },
            peelGain: { unweighted: gain(-0.0003, 0.0001), noGroups: { recall20: { mean: 0.0012, se: null } } },
          },
        ],
        refine: [{ userGroup: 6, users: 738, bestEpoch: 1, learnedWeights: true, temperature: 4, ruleRecall: { mean: 0.2128, truncated: 0.2248 }, scoring: 'truncated' }],
      },
      'q.json',
    );
    expect(md).toContain('From [`results/q.json`](results/q.json), date unknown');
    expect(md).toMatch(/\| 10 % +\| 4,096 +\| f16 +\| 0\.1500 \/ 0\.1200 +\| – +\| 0\.1600 \/ 0\.1300 \(24\) +\| 0\.1503 \/ 0\.1200 +\| – +\| – +\|/);
    expect(md).toMatch(/\| 10 % +\| – +\| −0\.0003 ± 0\.0001 \(−0\.0003 ± 0\.0001\) +\| \+0\.0012 +\| – +\|/);
    expect(md).toContain('(`fullGain`: the block weights, user groups and refinement together): +0.0006 ± 0.0002 (+0.0006 ± 0.0002).');
    expect(md).toMatch(/\| 6 +\| 738 +\| \? +\| 1 +\| \? → \? +\| yes \(T = 4\) +\| 0\.2128 \/ 0\.2248 +\| truncated +\|/);
  });

  it('renders f16 against i8 at each budget that has both selections, and no such table for a report without them', () => {
    const gain = (mean: number, se: number) => ({ recall20: { mean, se }, ndcg20: { mean, se }, users: 100 });
    const budget = {
      fraction: 0.2,
      peelF16: { recall20: 0.171, ndcg20: 0.1441, blocks: 127 },
      peelI8: { recall20: 0.1777, ndcg20: 0.1475, blocks: 255 },
      uniformF16: { recall20: 0.1774, ndcg20: 0.1481, dim: 48 },
      uniformI8: { recall20: 0.1831, ndcg20: 0.1524, dim: 96 },
      encodingGain: { i8VsF16: gain(0.0067, 0.0007), quantisation: gain(0, 0.0001), peelVsUniformI8: gain(-0.0054, 0.0006) },
    };
    const md = qualityMarkdown({ fullI8: { recall20: 0.1821, ndcg20: 0.1504 }, budgets: [budget, { fraction: 0.5 }] }, 'q.json');
    expect(md).toMatch(/\| full table +\| +\| i8 +\| 0\.1821 \/ 0\.1504 /);
    expect(md).toMatch(
      /\| 20 % +\| 0\.1710 \/ 0\.1441 \(127\) +\| 0\.1777 \/ 0\.1475 \(255\) +\| \+0\.0067 ± 0\.0007 \(\+0\.0067 ± 0\.0007\) +\| \+0\.0000 ± 0\.0001 \(\+0\.0000 ± 0\.0001\) +\| 0\.1774 \/ 0\.1481 \(48\) +\| 0\.1831 \/ 0\.1524 \(96\) +\| −0\.0054 ± 0\.0006/,
    );
    expect(md.match(/^\| 50 % /gm)).toHaveLength(1); // the budget without both selections is in the main table only
    expect(qualityMarkdown({ budgets: [{ fraction: 0.2, peel: { recall20: 0.1 } }] }, 'old.json')).not.toContain('f16 against i8');
  });

  it('has no gain table for an old report without paired gains', () => {
    const md = qualityMarkdown({ budgets: [{ fraction: 0.2, peel: { recall20: 0.1 } }] }, 'old.json');
    expect(md).toContain('0.1000 / –');
    expect(md).not.toContain('PEEL minus each ablation');
  });
});
