import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qualityMarkdown } from '../src/quality-summary.js';
import { pickDatasets, QUALITY_DATASETS, qualityFile, runQualitySuite } from '../src/quality-suite.js';
import { RESULTS_DIR, readResults, renderSections } from '../src/results-doc.js';
import type { SuiteQualityFile } from '../src/results-sections.js';

// Every folder a test makes, deleted when the file is done, passed or failed.
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

const report = (dataset: string, suite?: object) => ({ dataset, split: 'LightGCN train.txt/test.txt', full: { recall20: 0.25, ndcg20: 0.2 }, budgets: [], ...(suite ? { suite } : {}) });

describe('the quality suite', () => {
  it("has Gowalla's report under its old name, and the datasets the issue asks for", () => {
    expect(qualityFile('gowalla')).toBe('quality-gowalla.json');
    expect(QUALITY_DATASETS).toEqual(['gowalla', 'gowalla-resplit-42', 'gowalla-core30', 'synthetic-sparse', 'synthetic-dense']);
  });

  it('picks a subset in the suite’s order, and refuses an unknown or empty list', () => {
    expect(pickDatasets('synthetic-dense, gowalla').map((d) => d.name)).toEqual(['gowalla', 'synthetic-dense']);
    expect(() => pickDatasets('gowalla,movielens')).toThrow(/unknown quality dataset\(s\) \["movielens"\]/);
    expect(() => pickDatasets(' , ')).toThrow(/unknown quality dataset/);
  });

  it('fails before any derivation or training when a Gowalla dataset is asked for and the folder is missing', async () => {
    const nowhere = join(await tempDir('peelrec-suite-'), 'gowalla');
    const logged: string[] = [];
    const run = runQualitySuite({ repoRoot: '/nonexistent', gowallaDir: nowhere, cacheDir: nowhere, resultsDir: nowhere, datasets: pickDatasets('gowalla-core30'), log: (s) => logged.push(s) });
    await expect(run).rejects.toThrow(`needs the Gowalla split at ${nowhere}`);
    expect(logged).toEqual([]);
  });
});

describe('the quality section of bench/results.md', () => {
  it("renders Gowalla's report first, as alone, then one table per other dataset: the suite's order, then by name", async () => {
    const dir = await tempDir('peelrec-quality-section-');
    await copyFile(join(RESULTS_DIR, 'quality-gowalla.json'), join(dir, 'quality-gowalla.json'));
    const alone = renderSections(await readResults(dir)).quality!;
    const gowalla = (await readResults(RESULTS_DIR)).quality! as SuiteQualityFile;
    // The suite's note on Gowalla (the published report came from the suite) comes first, then the flags it ran with
    // beyond today's defaults, then its table, nothing else.
    const note = gowalla.suite?.about ? `${gowalla.suite.about}\n\n` : '';
    const args = gowalla.suite?.trainerArgs?.length ? `**Not the default settings**: trainer flags \`${gowalla.suite.trainerArgs.join(' ')}\`.\n\n` : '';
    expect(alone).toBe(`${note}${args}${qualityMarkdown(gowalla, 'quality-gowalla.json')}`);

    const derived = {
      description: 'train.txt + test.txt merged and split per user 50/25/25',
      stats: { users: 1011, items: 899, train: 30000, valid: 15000, test: 16429, density: 0.0676, movedToTrain: 3 },
    };
    const files: Record<string, object> = {
      'quality-synthetic-dense.json': report('synthetic-dense', { dataset: 'synthetic-dense', about: 'Dense synthetic data.', trainerArgs: ['--epochs', '2'] }),
      'quality-zzz-extra.json': report('zzz-extra'),
      'quality-gowalla-core30.json': report('gowalla-core30', { dataset: 'gowalla-core30', about: 'The 30-core.', derived, trainerArgs: [] }),
      'quality-aaa-extra.json': report('aaa-extra'),
    };
    for (const [f, q] of Object.entries(files)) await writeFile(join(dir, f), JSON.stringify(q));
    const md = renderSections(await readResults(dir)).quality!;
    expect(md.startsWith(`${alone}\n\n### Quality on gowalla-core30\n\nThe 30-core.\n\nDerived: train.txt + test.txt merged`)).toBe(true);
    const headings = [...md.matchAll(/^### Quality on (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['gowalla-core30', 'synthetic-dense', 'aaa-extra', 'zzz-extra']);
    expect(md).toContain('1,011 users, 899 items; 30,000 / 15,000 / 16,429 train / validation / test interactions (density 6.8 %); 3 held-out interactions moved to train');
    expect(md).toContain('**Not the default settings**: trainer flags `--epochs 2`.');
    expect(md).toContain('From [`results/quality-synthetic-dense.json`](results/quality-synthetic-dense.json)');
  });
});
