/**
 * `--quality`: the evaluation suite, so that no decision rests on one split (issue 19). Every dataset goes
 * through the same trainer command with its default flags (`train --data <dir>`) and leaves
 * bench/results/quality-<dataset>.json. Derived datasets are generated on first use by the trainer's
 * derive-dataset command into bench/.cache/datasets/<dataset>/ (git-ignored; the data never enters the
 * repository), and regenerated when their source or the generator version changes (its stamp.json says).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveWithTrainer, trainQuality } from './quality.js';

export interface SuiteDataset {
  readonly name: string;
  /** One line for the report: what the dataset is and why it is in the suite. */
  readonly about: string;
  /** derive-dataset arguments (before `--out`), given the Gowalla folder; absent: train on the Gowalla folder itself. */
  readonly derive?: (gowallaDir: string) => readonly string[];
  /** Reads the Gowalla folder. */
  readonly needsGowalla: boolean;
}

/** The ≥ 50-core of Gowalla is empty; the 30-core is the densest with about a thousand users (1,011 users, 899 items). */
export const GOWALLA_CORE_K = 30;

export const QUALITY_SUITE: readonly SuiteDataset[] = [
  { name: 'gowalla', about: "Gowalla as LightGCN's authors split it (train.txt/test.txt as published).", needsGowalla: true },
  {
    name: 'gowalla-resplit-42',
    about:
      "Gowalla train+test merged and split per user 50/25/25 with seed 42, BET's and CIESS's protocol (the anchor issue 19 cites: BET's LightGCN SU at 80 % sparsity, Recall@20 0.1674 / NDCG@20 0.1400). The trainer learns from the 50 % and is tested on the 25 %; the validation 25 % (valid.txt) is held out and not read: the trainer carves its own validation from the 50 %.",
    derive: (g) => ['resplit', '--source', g],
    needsGowalla: true,
  },
  {
    name: `gowalla-core${GOWALLA_CORE_K}`,
    about: `The ${GOWALLA_CORE_K}-core of Gowalla (every user and item with ≥ ${GOWALLA_CORE_K} interactions in train+test), split per user like gowalla-resplit-42: a small, dense catalog.`,
    derive: (g) => ['core', '--source', g, '--k', String(GOWALLA_CORE_K)],
    needsGowalla: true,
  },
  {
    name: 'synthetic-sparse',
    about: 'The synthetic generator (users with known clusters of taste) at about 10 interactions per user over 8,000 items, split per user 80/20 with seed 1: sparse, the closest to Gowalla.',
    derive: () => ['synthetic', '--users', '3000', '--items', '8000', '--mean-interactions', '10', '--seed', '7'],
    needsGowalla: false,
  },
  {
    name: 'synthetic-dense',
    about: 'The synthetic generator at about 64 interactions per user over 2,000 items, split per user 80/20 with seed 1: dense.',
    derive: () => ['synthetic', '--users', '3000', '--items', '2000', '--mean-interactions', '64', '--seed', '7'],
    needsGowalla: false,
  },
];

export const QUALITY_DATASETS: readonly string[] = QUALITY_SUITE.map((d) => d.name);

/** The file each dataset's report goes to; Gowalla's keeps its old name, quality-gowalla.json, which other code reads. */
export const qualityFile = (dataset: string) => `quality-${dataset}.json`;

/** "a,b" → the suite's datasets of that name, in the suite's order; an unknown name is an error. */
export function pickDatasets(list: string): SuiteDataset[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !QUALITY_DATASETS.includes(n));
  if (unknown.length || names.length === 0) throw new Error(`unknown quality dataset(s) ${JSON.stringify(unknown)}: choose from ${QUALITY_DATASETS.join(', ')}`);
  return QUALITY_SUITE.filter((d) => names.includes(d.name));
}

/** What the suite adds to the trainer's quality JSON, under `suite`. */
export interface SuiteNote {
  readonly dataset: string;
  readonly about: string;
  /** The derived folder's stamp (data/derive.ts in the trainer): recipe, source hash, sizes. */
  readonly derived?: unknown;
  /** Flags added to the trainer's defaults (empty for a real suite run). */
  readonly trainerArgs: readonly string[];
  readonly wallSeconds: number;
}

export interface SuiteOptions {
  readonly repoRoot: string;
  readonly gowallaDir: string;
  /** Derived datasets go to `<cacheDir>/datasets/<name>`, trained models to `<cacheDir>/quality-models/<name>`. */
  readonly cacheDir: string;
  readonly resultsDir: string;
  readonly datasets: readonly SuiteDataset[];
  readonly trainerArgs?: readonly string[];
  readonly log: (s: string) => void;
}

/**
 * Checks the Gowalla split is there when a dataset needs it, creates the results folder and derives every
 * derived dataset into the cache (seconds each), before any training. @returns each derived dataset's folder and stamp
 */
export async function prepareDatasets(
  o: Pick<SuiteOptions, 'datasets' | 'gowallaDir' | 'resultsDir' | 'cacheDir' | 'repoRoot' | 'log'>,
  what: string,
): Promise<Map<string, { dir: string; stamp: unknown }>> {
  if (o.datasets.some((d) => d.needsGowalla) && !['train.txt', 'test.txt'].every((f) => existsSync(join(o.gowallaDir, f)))) {
    throw new Error(`${what} needs the Gowalla split at ${o.gowallaDir} (train.txt, test.txt): pass --data <dir> or set PEELREC_GOWALLA`);
  }
  await mkdir(o.resultsDir, { recursive: true });
  const derived = new Map<string, { dir: string; stamp: unknown }>();
  for (const d of o.datasets) {
    if (!d.derive) continue;
    const dir = join(o.cacheDir, 'datasets', d.name);
    derived.set(d.name, { dir, stamp: deriveWithTrainer(o.repoRoot, [...d.derive(o.gowallaDir), '--out', dir], o.log) });
  }
  return derived;
}

/**
 * Derives every dataset first (seconds each; a missing source fails before any training), then trains on each
 * in turn. A failed training does not stop the others; the run fails at the end, naming them.
 */
export async function runQualitySuite(o: SuiteOptions): Promise<{ written: string[] }> {
  const derived = await prepareDatasets(o, 'the quality suite');
  const written: string[] = [];
  const failed: string[] = [];
  for (const d of o.datasets) {
    const report = join(o.resultsDir, qualityFile(d.name));
    const started = performance.now();
    o.log(`quality: ${d.name}`);
    try {
      trainQuality({
        repoRoot: o.repoRoot,
        dataDir: derived.get(d.name)?.dir ?? o.gowallaDir,
        outDir: join(o.cacheDir, 'quality-models', d.name),
        reportFile: report,
        trainerArgs: o.trainerArgs,
        log: o.log,
      });
    } catch (e) {
      o.log(`quality: ${d.name} failed: ${(e as Error).message}`);
      failed.push(d.name);
      continue;
    }
    const suite: SuiteNote = {
      dataset: d.name,
      about: d.about,
      ...(derived.has(d.name) ? { derived: derived.get(d.name)!.stamp } : {}),
      trainerArgs: o.trainerArgs ?? [],
      wallSeconds: Math.round((performance.now() - started) / 1000),
    };
    const q = JSON.parse(await readFile(report, 'utf8')) as Record<string, unknown>;
    await writeFile(report, `${JSON.stringify({ ...q, suite }, null, 2)}\n`);
    written.push(report);
  }
  if (failed.length) throw new Error(`quality suite: training failed on ${failed.join(', ')} (the others' reports are written)`);
  return { written };
}
