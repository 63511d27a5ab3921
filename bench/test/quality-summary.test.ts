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

  it('has no gain table for an old report without paired gains', () => {
    const md = qualityMarkdown({ budgets: [{ fraction: 0.2, peel: { recall20: 0.1 } }] }, 'old.json');
    expect(md).toContain('0.1000 / –');
    expect(md).not.toContain('PEEL minus each ablation');
  });
});
