/**
 * `npm run bench` lands here (through `pnpm --filter @peelrec/bench run bench`).
 * Quick mode: scoring speed, start-up and memory in headless Chromium, about
 * 5–10 minutes on 2 cores. `--quality` also reruns the trainer's Gowalla
 * quality (about 20 minutes more). Writes bench/results/*.json and README.md,
 * and prints the goals as JSON and the tables as markdown.
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
import { describeMachine } from './machine.js';
import { runMemoryCases } from './memory.js';
import { profileRuntime } from './profile.js';
import { runQuality } from './quality.js';
import { qualityMarkdown } from './quality-summary.js';
import { markdown, scoringGoals, type Goal } from './report.js';
import { gowallaBudgets, MiB, ratiosOf, runScoringPlan, type ScoringPlanEntry } from './scoring.js';
import { startServer } from './server.js';
import { runStartup } from './startup.js';
import { startupGoals, summariseStartup } from './startup-summary.js';

const SECTIONS = ['scoring', 'startup', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(benchDir, '..');

const program = new Command()
  .name('peelrec-bench')
  .description('peelrec benchmarks: scoring speed vs peers and the bandwidth bound, start-up, memory (and quality with --quality)')
  .option('--quality', 'also rerun the trainer on Gowalla (about 20 minutes)', false)
  .option('--data <dir>', 'Gowalla split for --quality', resolve(repoRoot, '../shared/data/gowalla'))
  .option('--only <sections>', `comma-separated subset of ${SECTIONS.join(',')}`, (v) => {
    const list = v.split(',').map((s) => s.trim());
    for (const s of list) if (!SECTIONS.includes(s as Section)) throw new InvalidArgumentError(`unknown section "${s}"`);
    return list as Section[];
  })
  .option('--profile', 'instead of the benchmarks: CPU-profile the runtime scoring the 1M catalog (unminified build)', false)
  .option('--series-ms <ms>', 'time per interleaved scoring series (after the minimum samples)', (v) => Number(v), 2500)
  .option('--startup-runs <n>', 'cold+warm start-up pairs', (v) => Number(v), 5)
  .option('--results <dir>', 'where to write the results', join(benchDir, 'results'));
program.parse();
const opts = program.opts<{ profile: boolean; quality: boolean; data: string; only?: Section[]; seriesMs: number; startupRuns: number; results: string }>();
const sections = new Set<Section>(opts.only ?? SECTIONS);
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

async function main() {
  const started = performance.now();
  const cacheDir = join(benchDir, '.cache', 'artifacts');
  const gowalla = await ensureCatalog(GOWALLA_SHAPE, cacheDir, log);
  await ensureCatalog(MILLION_SHAPE, cacheDir, log);
  await ensureCatalog(SMALL_SHAPE, cacheDir, log);

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
      const result = await profileRuntime(plain, server.origin, { manifestUrl: `${server.origin}/artifacts/${MILLION_SHAPE.name}/manifest.json`, budgetBytes: 16 * MiB, calls: 200, exclude: 40 });
      await mkdir(opts.results, { recursive: true });
      await writeFile(join(opts.results, 'profile-runtime.json'), `${JSON.stringify({ machine, catalog: MILLION_SHAPE.name, budgetBytes: 16 * MiB, ...result }, null, 2)}\n`);
      process.stdout.write(`runtime, ${MILLION_SHAPE.name} @ 16 MiB, wasm: ${result.msPerCall.toFixed(2)} ms per recommend (under the profiler)\n`);
      for (const l of result.top) process.stdout.write(`${String(l.selfPercent).padStart(5)} %  ${l.fn}  ${l.where}\n`);
    } finally {
      await plain.close();
      await server.close();
    }
    return;
  }
  const goals: Goal[] = [];
  const notes = [
    `Scoring catalogs are random artifacts written with @peelrec/format's ArtifactWriter: \`${GOWALLA_SHAPE.name}\` has the shape of the Gowalla artifact (${GOWALLA_SHAPE.label}); its values are random, so it says nothing about quality. Quality comes from the trainer (quality-gowalla.json).`,
    "Every implementation is built from the runtime's own selection and checked against the runtime's float64 reference (same top-20 after the same exclusions) before it is timed; the run fails on any disagreement.",
    "Implementations are timed interleaved (one call of each per round) so that noise from other processes hits them alike. Single-threaded everywhere: the runtime's default (no wasm threads), onnxruntime-web with numThreads = 1.",
    '`bound-js` sums the very same f32 arrays in plain JS; `bound-wasm-simd` streams a copy of them in wasm memory with 128-bit loads. The bound is the faster of the two. The smaller selections fit in the CPU caches, so their bound is a cache bandwidth, not DRAM.',
    "`proto-simd-rows` and `proto-simd-fused-topk` are not the product: hand-written WASM SIMD kernels (page/impl/kernels.wat) that show what the runtime could reach. `rows` writes all scores, then a JS top-k; `fused-topk` keeps scores in an L1 tile and hands only scores above the current k-th best back to JS; `fused-topk-f16` is the same over half-precision copies of the matrices (the bytes of the artifact's f16 files), widened in registers: in an f32 series it streams half the bytes of that series' bound, and it is checked against a reference over its own f16 values.",
    '`proto-simd-fused-topk-in-worker` is the same fused kernel in a dedicated Worker, timed from the main thread: what a Worker costs per call (postMessage both ways, structured clone of the request and the top-k). On an oversubscribed machine most of that is waiting to be scheduled.',
    "`diag-*` rows split the runtime's time: `diag-tfjs-matmul-readback` is its tensor part (per-group matMul, concat, `await data()`) on the same backend; `diag-runtime-topK` is the runtime's exported `topK` on that score array with the same exclusions; `diag-floor-first-topK` is a top-k that compares with the k-th score before the exclusion lookup.",
    "On wasm the runtime keeps f16 blocks resident as f16 (2 bytes per value, widened to f32 in registers by its kernel), so where `selectBlocks` picks f16 (it does when f16 selects more blocks, e.g. at 20 % and 5 %) the runtime holds and streams the f16 bytes, and so does the bound of that series; the peers hold f32 copies of the same f16 values (twice the bytes). The cpu backend keeps f32 resident: where it selects other blocks than wasm it is checked against the reference of its own selection, and where it refuses a budget that wasm serves, the goal says so. Where the runtime refuses a budget outright, the series `no runtime (f16 selection)` times the peers on the format's f16 selection at that budget.",
    '`runtime` rows call `rec.recommend({ user: { vector, group }, k: 20, exclude })` with 40 excluded item ids, storage `memory`, on the backend named.',
  ];
  if (machine.loadAverageAtStart > machine.cores) {
    notes.unshift(
      `**Noisy run**: the load average was ${machine.loadAverageAtStart} on ${machine.cores} cores when it started (other work on the machine), so absolute times are inflated and p95s are wide; the ratios within one series are the figures to read.`,
    );
  }
  const written: string[] = [];
  const save = async (name: string, value: unknown) => {
    await writeFile(join(opts.results, name), `${JSON.stringify(value, null, 2)}\n`);
    written.push(join(opts.results, name));
  };
  let scoringOut: Parameters<typeof markdown>[0]['scoring'];
  let startupOut: Parameters<typeof markdown>[0]['startup'];
  let memoryOut: Parameters<typeof markdown>[0]['memory'];
  try {
    if (sections.has('scoring')) {
      const plan: ScoringPlanEntry[] = [
        ...gowallaBudgets(gowalla.manifest).map((b) => ({ catalog: GOWALLA_SHAPE.name, budgetBytes: b.bytes, budgetLabel: b.label, backends: ['wasm', 'cpu'] as const, peers: true })),
        { catalog: MILLION_SHAPE.name, budgetBytes: 16 * MiB, budgetLabel: '16 MiB', backends: ['wasm', 'cpu'], peers: true },
        { catalog: SMALL_SHAPE.name, budgetBytes: 2 * MiB, budgetLabel: '100 % (2 MiB budget)', backends: ['webgpu'], peers: false, webgpu: true },
      ];
      const outcomes = await runScoringPlan(
        { plain, webgpu: async () => (webgpu ??= await launch({ webgpu: true })) },
        server.origin,
        plan,
        { minSamples: 15, maxSamples: 400, maxMs: opts.seriesMs },
        log,
      );
      const rows = outcomes.flatMap((o) => o.result?.rows ?? []);
      const ratios = ratiosOf(rows);
      const g = scoringGoals(ratios, outcomes, MILLION_SHAPE.name);
      goals.push(...g);
      const catalogs = { [GOWALLA_SHAPE.name]: GOWALLA_SHAPE.label, [MILLION_SHAPE.name]: MILLION_SHAPE.label, [SMALL_SHAPE.name]: SMALL_SHAPE.label };
      scoringOut = { rows, ratios, outcomes, catalogs };
      await save('scoring.json', {
        machine,
        generatedAt: new Date().toISOString(),
        catalogs,
        rows,
        ratios,
        goals: g,
        agreement: outcomes.flatMap((o) => (o.result?.agreement ?? []).map((a) => ({ catalog: o.catalog, budgetBytes: o.budgetBytes, ...a }))),
        errors: outcomes.filter((o) => o.error).map((o) => ({ catalog: o.catalog, budgetBytes: o.budgetBytes, error: o.error })),
        env: outcomes.find((o) => o.result)?.result?.env,
      });
    }
    if (sections.has('startup')) {
      const budget = 5 * MiB;
      log(`start-up: ${GOWALLA_SHAPE.name} at ${budget} B, ${opts.startupRuns} cold+warm pairs`);
      // A new user's history (issue 27); these items fold into user group 1, not the blind group (0).
      const history = ['item-17', 'item-2500', 'item-31000'];
      const runs = await runStartup(plain, server, GOWALLA_SHAPE.name, budget, opts.startupRuns, history, log);
      const sharing = await trainedGowallaSharing(join(opts.results, 'quality-gowalla.json'));
      const options = [...groupBlindOptions(gowalla.manifest, budget), ...(sharing ? groupBlindOptions(gowalla.manifest, budget, sharing) : [])];
      const summary = summariseStartup(GOWALLA_SHAPE.name, budget, runs, { items: history, options });
      const g = startupGoals(summary);
      goals.push(...g);
      startupOut = summary;
      await save('startup.json', { machine, generatedAt: new Date().toISOString(), summary, goals: g, runs });
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
      memoryOut = mem;
      await save('memory.json', { machine, generatedAt: new Date().toISOString(), rows: mem.rows, errors: mem.errors, goals: g });
    }
  } finally {
    await plain.close();
    await webgpu?.close();
    await server.close();
  }
  if (opts.quality) {
    runQuality({ repoRoot, dataDir: opts.data, outDir: join(benchDir, '.cache', 'gowalla-model'), reportFile: join(opts.results, 'quality-gowalla.json'), log });
  }
  notes.push(`Quick mode took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  const quality = await qualityMarkdown(join(opts.results, 'quality-gowalla.json'));
  const md = markdown({ machine, scoring: scoringOut, startup: startupOut, memory: memoryOut, goals, notes, quality });
  if (!opts.only) {
    await writeFile(join(opts.results, 'README.md'), `${md}\n`);
    written.push(join(opts.results, 'README.md'));
  }
  process.stdout.write(`${JSON.stringify({ machine, goals, written }, null, 2)}\n\n${md}\n`);
}

main().catch((e) => {
  log(String(e?.stack ?? e));
  process.exit(1);
});
