/**
 * `npm run bench` lands here (through `pnpm --filter @peelrec/bench run bench`).
 * Quick mode: scoring speed, start-up and memory in headless Chromium, about
 * 5–10 minutes on 2 cores. `--quality` also runs the quality suite
 * (quality-suite.ts: the trainer on each of its datasets, up to about 40
 * minutes each); `--quality-only` runs only that; `--methods [datasets]` runs only the method comparison
 * (methods-run.ts, issue 20). Writes bench/results/*.json,
 * rewrites the generated tables of bench/results.md from them (results-doc.ts),
 * and prints the goals as JSON and those tables.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { build } from 'vite';
import type { Browser } from 'playwright-core';
import { launch } from './browser.js';
import { ensureCatalog, GOWALLA_SHAPE, MILLION_SHAPE, SMALL_SHAPE } from './catalog.js';
import { groupBlindOptions, trainedGowallaSharing } from './group-blind-cost.js';
import { ensureKindCatalog, KIND_CATALOGS } from './kind-catalog.js';
import { kindPlan, kindsFile, runKindPlan } from './kinds-scoring.js';
import { describeMachine } from './machine.js';
import { longTaskGoal, runLongTaskCases } from './longtasks.js';
import { runThreadsCases, THREADS_CASES } from './threads.js';
import { runMemoryCases } from './memory.js';
import { profileRuntime } from './profile.js';
import { runMethodComparisons } from './methods-run.js';
import { pickDatasets, QUALITY_DATASETS, QUALITY_SUITE, runQualitySuite, type SuiteDataset } from './quality-suite.js';
import { scoringGoals, type Goal } from './report.js';
import { RESULTS_DIR, RESULTS_DOC, readResults, renderSections, updateResultsDoc } from './results-doc.js';
import { memoryJson, scoringJson, startupJson } from './results-json.js';
import { gowallaBudgets, MiB, onlySeries, runScoringPlan, scoringPlan, summariseScoring } from './scoring.js';
import { startServer } from './server.js';
import { runStartup } from './startup.js';
import { startupGoals, summariseStartup } from './startup-summary.js';

const SECTIONS = ['scoring', 'startup', 'memory', 'longtasks', 'threads'] as const;
type Section = (typeof SECTIONS)[number];

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}" is not a positive integer`);
  return n;
}

const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(benchDir, '..');

const program = new Command()
  .name('peelrec-bench')
  .description('peelrec benchmarks: scoring speed vs peers and the bandwidth bound, start-up, memory (and quality with --quality)')
  .option('--quality', 'also run the quality suite: the trainer on each of its datasets (hours on 2 cores)', false)
  .option('--quality-only', 'run the quality suite and nothing else (no browser)', false)
  .option('--quality-datasets <list>', `the suite's datasets to run (implies --quality), of ${QUALITY_DATASETS.join(',')}`, pickDatasets)
  .option('--methods [datasets]', `run only the method comparison (issue 20) on these suite datasets (default gowalla), of ${QUALITY_DATASETS.join(',')}`)
  .option('--methods-trainer-args <flags>', 'flags added to every `peelrec-train methods` command (e.g. "--methods peel,magprune")', (v) => v.split(/\s+/).filter(Boolean))
  .option('--quality-trainer-args <flags>', 'flags added to every suite training, for a quick check (e.g. "--epochs 2 --quick"); each report says so', (v) => v.split(/\s+/).filter(Boolean))
  .option(
    '--data <dir>',
    'Gowalla split for the quality suite (default $PEELREC_GOWALLA, else ../shared/data/gowalla beside the repository)',
    process.env.PEELREC_GOWALLA || resolve(repoRoot, '../shared/data/gowalla'),
  )
  .option('--only <sections>', `comma-separated subset of ${SECTIONS.join(',')}`, (v) => {
    const list = v.split(',').map((s) => s.trim());
    for (const s of list) if (!SECTIONS.includes(s as Section)) throw new InvalidArgumentError(`unknown section "${s}"`);
    return list as Section[];
  })
  .option('--profile', 'instead of the benchmarks: CPU-profile the runtime scoring the 1M catalog (unminified build)', false)
  .option(
    '--profile-dtype <dtype>',
    'with --profile: the resident dtype asked for, of auto,f32,f16,i8',
    (v) => {
      if (!['auto', 'f32', 'f16', 'i8'].includes(v)) throw new InvalidArgumentError(`--profile-dtype: expected auto, f32, f16 or i8, got ${v}`);
      return v as 'auto' | 'f32' | 'f16' | 'i8';
    },
    'auto',
  )
  .option('--series <names>', 'scoring: time only these comma-separated runtime series (e.g. "wasm i8"), without peers or the table kinds; needs --results elsewhere than results/', (v) =>
    v.split(',').map((s) => s.trim()),
  )
  .option('--series-ms <ms>', 'time per interleaved scoring run (after the minimum samples)', (v) => Number(v), 2500)
  .option('--reps <n>', 'repetitions of every scoring and threads case (fresh page each); figures are their medians', positiveInt, 3)
  .option('--startup-runs <n>', 'cold+warm start-up pairs; figures are their medians', positiveInt, 5)
  .option('--results <dir>', 'where to write the results', join(benchDir, 'results'));
program.parse();
const opts = program.opts<{
  profile: boolean;
  profileDtype: 'auto' | 'f32' | 'f16' | 'i8';
  quality: boolean;
  qualityOnly: boolean;
  qualityDatasets?: SuiteDataset[];
  qualityTrainerArgs?: string[];
  methods?: string | true;
  methodsTrainerArgs?: string[];
  data: string;
  only?: Section[];
  series?: string[];
  seriesMs: number;
  reps: number;
  startupRuns: number;
  results: string;
}>();
const sections = new Set<Section>(opts.only ?? SECTIONS);
// A run of some series is a partial scoring.json: it must not replace the full one.
if (opts.series && resolve(opts.results) === RESULTS_DIR) program.error('--series writes a partial scoring.json: give --results another folder');
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

/** The quality suite into --results; returns the files written. */
async function qualitySuite(): Promise<string[]> {
  const datasets = opts.qualityDatasets ?? QUALITY_SUITE;
  const { written } = await runQualitySuite({ repoRoot, gowallaDir: opts.data, cacheDir: join(benchDir, '.cache'), resultsDir: opts.results, datasets, trainerArgs: opts.qualityTrainerArgs, log });
  return written;
}

async function main() {
  const started = performance.now();
  if (opts.methods) {
    const datasets = pickDatasets(opts.methods === true ? 'gowalla' : opts.methods);
    const written = await runMethodComparisons({ repoRoot, gowallaDir: opts.data, cacheDir: join(benchDir, '.cache'), resultsDir: opts.results, datasets, trainerArgs: opts.methodsTrainerArgs, log });
    log(`took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (resolve(opts.results) === RESULTS_DIR && (await updateResultsDoc())) written.push(RESULTS_DOC);
    process.stdout.write(`${JSON.stringify({ written }, null, 2)}\n\n${renderSections(await readResults(opts.results)).methods ?? ''}\n`);
    return;
  }
  if (opts.qualityOnly) {
    const written = await qualitySuite();
    log(`took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (resolve(opts.results) === RESULTS_DIR && (await updateResultsDoc())) written.push(RESULTS_DOC);
    process.stdout.write(`${JSON.stringify({ written }, null, 2)}\n\n${renderSections(await readResults(opts.results)).quality ?? ''}\n`);
    return;
  }
  const cacheDir = join(benchDir, '.cache', 'artifacts');
  const gowalla = await ensureCatalog(GOWALLA_SHAPE, cacheDir, log);
  await ensureCatalog(MILLION_SHAPE, cacheDir, log);
  await ensureCatalog(SMALL_SHAPE, cacheDir, log);
  // The table kinds (issue 20) in the same shapes, for the scoring series' kinds rows.
  if (sections.has('scoring')) for (const c of KIND_CATALOGS) await ensureKindCatalog(c, cacheDir, log);

  log('building the benchmark pages (vite)');
  await build({ configFile: join(benchDir, 'vite.config.ts'), logLevel: 'warn', ...(opts.profile ? { build: { minify: false } } : {}) });
  const server = await startServer({ distDir: join(benchDir, 'dist'), artifactsDir: cacheDir });
  const plain = await launch();
  let webgpu: Browser | undefined;
  const machine = describeMachine(plain.version());
  log(`machine: ${JSON.stringify(machine)}`);
  await mkdir(opts.results, { recursive: true });
  if (opts.profile) {
    try {
      const result = await profileRuntime(plain, server.origin, {
        manifestUrl: `${server.origin}/artifacts/${MILLION_SHAPE.name}/manifest.json`,
        budgetBytes: 16 * MiB,
        calls: 200,
        exclude: 40,
        dtype: opts.profileDtype,
      });
      await mkdir(opts.results, { recursive: true });
      await writeFile(join(opts.results, 'profile-runtime.json'), `${JSON.stringify({ machine, catalog: MILLION_SHAPE.name, budgetBytes: 16 * MiB, dtype: opts.profileDtype, ...result }, null, 2)}\n`);
      process.stdout.write(`runtime, ${MILLION_SHAPE.name} @ 16 MiB, wasm ${opts.profileDtype}: ${result.msPerCall.toFixed(2)} ms per recommend (under the profiler)\n`);
      for (const l of result.top) process.stdout.write(`${String(l.selfPercent).padStart(5)} % self ${String(l.totalPercent).padStart(5)} % total  ${l.fn}  ${l.where}\n`);
    } finally {
      await plain.close();
      await server.close();
    }
    return;
  }
  const goals: Goal[] = [];
  const written: string[] = [];
  const save = async (name: string, value: unknown) => {
    await writeFile(join(opts.results, name), `${JSON.stringify(value, null, 2)}\n`);
    written.push(join(opts.results, name));
  };
  try {
    if (sections.has('scoring')) {
      const outcomes = await runScoringPlan(
        { plain, webgpu: async () => (webgpu ??= await launch({ webgpu: true })) },
        server.origin,
        opts.series ? onlySeries(scoringPlan(gowalla.manifest), opts.series) : scoringPlan(gowalla.manifest),
        { minSamples: 15, maxSamples: 400, maxMs: opts.seriesMs },
        opts.reps,
        log,
      );
      const { rows, ratios } = summariseScoring(outcomes);
      const g = scoringGoals(ratios, outcomes, MILLION_SHAPE.name);
      goals.push(...g);
      const catalogs = { [GOWALLA_SHAPE.name]: GOWALLA_SHAPE.label, [MILLION_SHAPE.name]: MILLION_SHAPE.label, [SMALL_SHAPE.name]: SMALL_SHAPE.label };
      // PEEL blocks, mixed and sparse at the same bytes, interleaved on one page per budget (kinds-scoring.ts).
      const kindOutcomes = opts.series ? [] : await runKindPlan(plain, server.origin, kindPlan(), { minSamples: 15, maxSamples: 400, maxMs: opts.seriesMs }, opts.reps, log);
      const kinds = kindsFile(kindOutcomes, opts.reps, opts.seriesMs);
      await save('scoring.json', scoringJson(machine, { reps: opts.reps, seriesMs: opts.seriesMs, catalogs, rows, ratios, goals: g, outcomes, kinds }));
    }
    if (sections.has('startup')) {
      // The bench's 20 % Gowalla-shaped setting, as in the scoring plan.
      const budget = gowallaBudgets(gowalla.manifest).find((b) => b.label === '20 %')!.bytes;
      log(`start-up: ${GOWALLA_SHAPE.name} at ${budget} B, ${opts.startupRuns} cold+warm pairs`);
      // A new user's history (issue 27); these items fold into user group 1, not the blind group (0).
      const history = ['item-17', 'item-2500', 'item-31000'];
      const runs = await runStartup(plain, server, GOWALLA_SHAPE.name, budget, opts.startupRuns, history, log);
      const sharing = await trainedGowallaSharing(join(opts.results, 'quality-gowalla.json'));
      const options = [...groupBlindOptions(gowalla.manifest, budget), ...(sharing ? groupBlindOptions(gowalla.manifest, budget, sharing) : [])];
      const summary = summariseStartup(GOWALLA_SHAPE.name, budget, runs, { items: history, options });
      const g = startupGoals(summary);
      goals.push(...g);
      await save('startup.json', startupJson(machine, summary, g, runs));
    }
    if (sections.has('memory')) {
      log('memory');
      const cases = [
        ...gowallaBudgets(gowalla.manifest).flatMap((b) =>
          (['wasm', 'cpu'] as const).map((backend) => ({ catalog: GOWALLA_SHAPE.name, manifestUrl: `${server.origin}/artifacts/${GOWALLA_SHAPE.name}/manifest.json`, budgetBytes: b.bytes, backend })),
        ),
        ...(['wasm', 'cpu'] as const).map((backend) => ({
          catalog: MILLION_SHAPE.name,
          manifestUrl: `${server.origin}/artifacts/${MILLION_SHAPE.name}/manifest.json`,
          budgetBytes: 16 * MiB,
          backend,
        })),
      ];
      const mem = await runMemoryCases(plain, server.origin, cases, log);
      const g: Goal[] = [
        {
          goal: 'embedding bytes ≤ budget at every budget (tf.memory() and rec.info.residentBytes)',
          met: mem.rows.length > 0 && mem.rows.every((r) => r.embeddingWithinBudget),
          figure: `${mem.rows.map((r) => `${(r.tensorBytes / r.budgetBytes).toFixed(3)}`).join(', ')} of budget${mem.errors.length ? `; ${mem.errors.length} budgets not servable` : ''}`,
        },
      ];
      goals.push(...g);
      await save('memory.json', memoryJson(machine, mem, g));
    }
    if (sections.has('longtasks')) {
      log('long tasks on the main thread');
      const url = (name: string) => `${server.origin}/artifacts/${name}/manifest.json`;
      const budget20 = gowallaBudgets(gowalla.manifest).find((b) => b.label === '20 %')!.bytes;
      const rows = await runLongTaskCases(
        plain,
        server.origin,
        // The runtime's default (its scoring worker) and the in-thread path side by side.
        [undefined, false].flatMap((worker) => [
          { catalog: MILLION_SHAPE.name, manifestUrl: url(MILLION_SHAPE.name), budgetBytes: 16 * MiB, calls: 100, exclude: 40, ...(worker === false && { worker }) },
          { catalog: GOWALLA_SHAPE.name, manifestUrl: url(GOWALLA_SHAPE.name), budgetBytes: budget20, calls: 100, exclude: 40, switchTo: 1, ...(worker === false && { worker }) },
        ]),
        log,
      );
      const g = longTaskGoal(rows.filter((r) => r.worker === 'default'));
      goals.push(g);
      await save('longtasks.json', { generatedAt: new Date().toISOString(), machine, rows, goals: [g] });
    }
    if (sections.has('threads')) {
      log('one scan thread against two');
      const rows = await runThreadsCases(plain, server.origin, THREADS_CASES, opts.reps, log);
      await save('threads.json', { generatedAt: new Date().toISOString(), machine, rows });
    }
  } finally {
    await plain.close();
    await webgpu?.close();
    await server.close();
  }
  if (opts.quality || opts.qualityDatasets) written.push(...(await qualitySuite()));
  log(`took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  // The one results document: its generated tables follow the JSON in bench/results/, whichever parts just ran.
  if (resolve(opts.results) === RESULTS_DIR && (await updateResultsDoc())) written.push(RESULTS_DOC);
  const tables = Object.values(renderSections(await readResults(opts.results))).join('\n\n');
  process.stdout.write(`${JSON.stringify({ machine, goals, written }, null, 2)}\n\n${tables}\n`);
}

main().catch((e) => {
  log(String(e?.stack ?? e));
  process.exit(1);
});
