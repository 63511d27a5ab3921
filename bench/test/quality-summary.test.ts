import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qualityMarkdown } from '../src/quality-summary.js';

describe('qualityMarkdown', () => {
  it('renders the budgets and PEEL’s paired gain over each ablation, signed, with its standard error', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'peelrec-q-')), 'q.json');
    const gain = (mean: number, se: number) => ({ recall20: { mean, se }, ndcg20: { mean, se }, users: 100 });
    await writeFile(
      file,
      JSON.stringify({
        dataset: 'toy',
        full: { recall20: 0.2, ndcg20: 0.1 },
        fullGain: gain(0.00061, 0.0002),
        budgets: [
          {
            fraction: 0.1,
            dtype: 'f16',
            peel: { recall20: 0.15, ndcg20: 0.12 },
            unweighted: { recall20: 0.1503, ndcg20: 0.12 },
            peelGain: { unweighted: gain(-0.0003, 0.0001), noGroups: { recall20: { mean: 0.0012, se: null } } },
          },
        ],
      }),
    );
    const md = (await qualityMarkdown(file))!;
    expect(md).toMatch(/\| PEEL +\| 10 % +\| f16 +\| 0\.1500 +\| 0\.1200 +\| – +\| 0\.1503 /);
    expect(md).toMatch(/\| 10 % +\| – +\| −0\.0003 ± 0\.0001 +\| \+0\.0012 +\| – +\|/);
    expect(md).toContain('Full table minus the plain backbone (the block weights, user groups and refinement together), Recall@20: +0.0006 ± 0.0002.');
  });

  it('is absent without the file, and has no gain table for an old file without paired gains', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-q-'));
    expect(await qualityMarkdown(join(dir, 'missing.json'))).toBeUndefined();
    await writeFile(join(dir, 'old.json'), JSON.stringify({ budgets: [{ fraction: 0.2, peel: { recall20: 0.1 } }] }));
    const md = (await qualityMarkdown(join(dir, 'old.json')))!;
    expect(md).toContain('0.1000');
    expect(md).not.toContain('PEEL minus each ablation');
  });
});
