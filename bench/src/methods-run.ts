/**
 * `--methods`: the method comparison of issue 20, one trainer command per dataset (`peelrec-train methods`, every
 * method under one split, backbone, metric and accounting), leaving bench/results/methods-<dataset>.json. Datasets
 * are the quality suite's (quality-suite.ts), derived on first use the same way. Never part of `npm test`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainerPackage } from './quality.js';
import { prepareDatasets, type SuiteDataset } from './quality-suite.js';

export const methodsFile = (dataset: string) => `methods-${dataset}.json`;

export interface MethodsRunOptions {
  readonly repoRoot: string;
  readonly gowallaDir: string;
  /** Derived datasets go to `<cacheDir>/datasets/<name>` (shared with the quality suite). */
  readonly cacheDir: string;
  readonly resultsDir: string;
  readonly datasets: readonly SuiteDataset[];
  /** Flags added to every `methods` command (e.g. "--methods peel,magprune --finetune-epochs 2"). */
  readonly trainerArgs?: readonly string[];
  readonly log: (s: string) => void;
}

/** Derives every dataset first, then runs the comparison on each in turn; returns the files written. */
export async function runMethodComparisons(o: MethodsRunOptions): Promise<string[]> {
  const derived = await prepareDatasets(o, 'the method comparison');
  const written: string[] = [];
  for (const d of o.datasets) {
    const results = join(o.resultsDir, methodsFile(d.name));
    o.log(`methods: ${d.name}`);
    trainerPackage(o.repoRoot, ['run', 'cli', 'methods', '--data', derived.get(d.name)?.dir ?? o.gowallaDir, '--name', d.name, '--results', results, ...(o.trainerArgs ?? [])], o.log, false);
    // As the quality suite does: what the dataset is (its derivation's stamp), since the split line cannot say it.
    const report = JSON.parse(await readFile(results, 'utf8')) as Record<string, unknown>;
    const suite = { dataset: d.name, about: d.about, ...(derived.has(d.name) ? { derived: derived.get(d.name)!.stamp } : {}), trainerArgs: o.trainerArgs ?? [] };
    await writeFile(results, `${JSON.stringify({ ...report, suite }, null, 2)}\n`);
    written.push(results);
  }
  return written;
}
