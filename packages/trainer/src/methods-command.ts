/**
 * `peelrec-train methods`: the method comparison of issue 20 (`--methods a,b,c`, or `--method a`), one JSON of
 * every method under the harness's split, metric and accounting. The registry of methods is the CLI's: the
 * harness imports no method.
 */
import { basename } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { addDataOptions, type DataFlags, dataSource, fractions, int, intAtLeast, list, progressReporter, userPath } from './cli-common.js';
import { compareMethods, HARNESS_DEFAULTS } from './harness/index.js';
import type { Method } from './harness/method.js';
import { createBet } from './methods/bet/index.js';
import { createPaperBaseline } from './methods/bet/paper-baselines.js';
import type { BetSettings } from './methods/bet/search.js';
import { ACCOUNTINGS, BET_DEFAULTS } from './methods/bet/settings.js';
import { createCiess } from './methods/ciess/index.js';
import type { CiessSettings } from './methods/ciess/settings.js';
import { addCiessOptions, type CiessFlags, ciessOverrides } from './cli-ciess.js';
import { frequencySized } from './methods/frequency-sized/index.js';
import { magprune } from './methods/magprune/index.js';
import { peel } from './methods/peel/index.js';
import { randomSizes } from './methods/random-sizes/index.js';
import { uniform } from './methods/uniform/index.js';
import { uniformPrefix } from './methods/uniform-prefix/index.js';
import { createSparseRec, SPARSEREC_VARIANTS, type SparseRecName } from './methods/sparserec/index.js';
import type { SparseRecSettings } from './methods/sparserec/settings.js';
import { addSparseRecOptions, type SparseRecFlags, sparseRecOverrides } from './cli-sparserec.js';
import { checkExportDirs, EXPORTED_METHODS, exportOutcome } from './methods-export.js';
import { TRAINER_NAME, TRAINER_VERSION } from './pipeline.js';

/** Every method the comparison knows, in the order it runs them (PEEL first: the others pair against it); BET, SparseRec and CIESS with their settings. */
export function methodRegistry(bet: Partial<BetSettings> = {}, sparserec: Partial<SparseRecSettings> = {}, ciess: Partial<CiessSettings> = {}): readonly Method[] {
  return [
    peel,
    uniform,
    uniformPrefix,
    magprune,
    randomSizes,
    frequencySized,
    createBet({ ...bet, strategy: 'guided' }),
    createBet({ ...bet, strategy: 'random' }),
    createPaperBaseline('su', bet),
    createPaperBaseline('sr', bet),
    ...(Object.keys(SPARSEREC_VARIANTS) as SparseRecName[]).map((n) => createSparseRec(n, sparserec)),
    createCiess({ ...ciess, walk: true }),
    createCiess({ ...ciess, walk: false }),
  ];
}

export const METHODS: readonly Method[] = methodRegistry();

/**
 * Methods that run only when named: BET's searches take ≈ 18 minutes a budget on Gowalla (methods/bet/settings.ts),
 * which would double the hour the default comparison takes; bet-random is BET's ablation. SparseRec, its ablations
 * and plain DST train their tables for 8–14 minutes a budget (methods/sparserec/settings.ts); CIESS's search ≈ 17.5
 * minutes (methods/ciess/settings.ts), ciess-no-walk being its ablation. su-paper and sr-paper are BET's Table 1
 * baselines in the papers' accounting only.
 */
export const NAMED_ONLY: readonly string[] = ['bet', 'bet-random', 'su-paper', 'sr-paper', ...Object.keys(SPARSEREC_VARIANTS), 'ciess', 'ciess-no-walk'];

/** "a,b" → the registry's methods of those names, in the registry's order; an unknown name is an error. */
export function pickMethods(names: readonly string[], registry: readonly Method[] = METHODS): Method[] {
  const known = registry.map((m) => m.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length || names.length === 0) throw new InvalidArgumentError(`unknown method(s) ${JSON.stringify(unknown)}: choose from ${known.join(', ')}`);
  return registry.filter((m) => names.includes(m.name));
}

interface MethodsFlags extends DataFlags, SparseRecFlags, CiessFlags {
  methods?: string[];
  method?: string;
  results: string;
  budgets?: number[];
  variants?: number[];
  finetuneEpochs?: number;
  validationUsers?: number;
  epochs?: number;
  seed?: number;
  threads?: number;
  out?: string;
  backboneCache?: string;
  betIterations?: number;
  betEpochs?: number;
  betCandidates?: number;
  betPredictorSteps?: number;
  betTop?: number;
  betRetrainEpochs?: number;
  betAccounting?: BetSettings['accounting'];
}

export function addMethodsCommand(program: Command): void {
  addDataOptions(
    addCiessOptions(
      addSparseRecOptions(
        program
          .command('methods')
          .description('compare methods under one split, one backbone, one metric and one accounting (device bytes of the item table); writes methods-<dataset>.json')
          .option('--methods <list>', `methods to run, of ${METHODS.map((m) => m.name).join(',')} (default: all but ${NAMED_ONLY.join(', ')}, which run when named)`, list)
          .option('--method <name>', 'one method (with peel unless --methods says otherwise: pairedVsPeel needs it)')
          .requiredOption('--results <file>', 'the JSON to write, e.g. bench/results/methods-<dataset>.json (rewritten after every method)')
          .option('--budgets <list>', `budget fractions of the full f32 item table (default ${HARNESS_DEFAULTS.budgets.join(',')})`, fractions)
          .option('--variants <list>', `further fractions the mixed and sparse methods train, for trimming and export (default ${HARNESS_DEFAULTS.variants.join(',')}; "none")`, (v) =>
            v === 'none' ? [] : fractions(v),
          )
          .option('--finetune-epochs <h>', `fine-tuning epochs of every masked method (default ${HARNESS_DEFAULTS.fineTune.epochs})`, int('fine-tune epochs'))
          .option('--validation-users <n>', `validation users the quick metric ranks (default ${HARNESS_DEFAULTS.validationUsers})`, int('validation users'))
          .option('--epochs <n>', 'backbone epochs (default: the pipeline’s, 60; synthetic 30)', int('epochs'))
          .option('--seed <n>', 'seed of every random choice (default 1)', int('seed'))
          .option('--threads <n>', 'worker threads (default 2)', int('threads'))
          .option('--bet-iterations <T>', `BET: search iterations, one fine-tuned action each (default ${BET_DEFAULTS.iterations})`, intAtLeast('bet iterations', 1))
          .option('--bet-epochs <h>', `BET: fine-tuning epochs of each searched action (default ${BET_DEFAULTS.epochs})`, intAtLeast('bet epochs', 0))
          .option('--bet-candidates <m>', `BET: actions sampled per iteration (default ${BET_DEFAULTS.candidates})`, intAtLeast('bet candidates', 1))
          .option('--bet-predictor-steps <N>', `BET: predictor updates after each evaluation (default ${BET_DEFAULTS.predictorSteps})`, intAtLeast('bet predictor steps', 0))
          .option('--bet-top <k>', `BET: actions retrained after the search (default ${BET_DEFAULTS.top})`, intAtLeast('bet top', 1))
          .option('--bet-retrain-epochs <n>', 'BET: fine-tuning epochs of each retrained action (default: --finetune-epochs)', intAtLeast('bet retrain epochs', 0))
          .addOption(
            new Option('--bet-accounting <a>', 'BET: device (item bytes, users full) or paper (user + item parameters at sparsity 1 − budget; reported, not exported)').choices([...ACCOUNTINGS]),
          )
          .option(
            '--backbone-cache <dir>',
            'load the shared backbone from this folder when it holds the one this run would train (same edges, recipe, seed, threads and trainer code), else train and store it there',
          )
          .option('--out <dir>', `also write the artifacts of ${EXPORTED_METHODS.join(', ')} (peel-blocks, sparse, mixed), one folder each, every trained fraction of a v3 kind a variant`),
      ),
    ),
  ).action(async (f: MethodsFlags) => {
    const bet: Partial<BetSettings> = {
      ...(f.betIterations !== undefined ? { iterations: f.betIterations } : {}),
      ...(f.betEpochs !== undefined ? { epochs: f.betEpochs } : {}),
      ...(f.betCandidates !== undefined ? { candidates: f.betCandidates } : {}),
      ...(f.betPredictorSteps !== undefined ? { predictorSteps: f.betPredictorSteps } : {}),
      ...(f.betTop !== undefined ? { top: f.betTop } : {}),
      ...(f.betRetrainEpochs !== undefined ? { retrainEpochs: f.betRetrainEpochs } : {}),
      ...(f.betAccounting ? { accounting: f.betAccounting } : {}),
    };
    const registry = methodRegistry(bet, sparseRecOverrides(f), ciessOverrides(f));
    const names = f.methods ?? (f.method ? ['peel', f.method] : registry.map((m) => m.name).filter((n) => !NAMED_ONLY.includes(n)));
    const methods = pickMethods([...new Set(names)], registry);
    const bars = progressReporter();
    const results = userPath(f.results);
    const out = f.out ? userPath(f.out) : undefined;
    if (out)
      await checkExportDirs(
        out,
        methods.map((m) => m.name),
      );
    const report = await compareMethods({
      data: dataSource(f),
      methods,
      config: { seed: f.seed, threads: f.threads, backbone: { softmaxEpochs: f.epochs } },
      harness: {
        ...(f.budgets ? { budgets: f.budgets } : {}),
        ...(f.variants ? { variants: f.variants } : {}),
        ...(f.validationUsers ? { validationUsers: f.validationUsers } : {}),
        ...(f.finetuneEpochs !== undefined ? { fineTune: { ...HARNESS_DEFAULTS.fineTune, epochs: f.finetuneEpochs } } : {}),
      },
      ...(f.backboneCache ? { backboneCache: userPath(f.backboneCache) } : {}),
      resultsPath: results,
      trainer: `${TRAINER_NAME}@${TRAINER_VERSION}`,
      onProgress: bars.onProgress,
      onOutcome: async (name, outcome, h, split, trim) => {
        const dir = out && (await exportOutcome(out, name, outcome, h, split, trim));
        if (dir) process.stdout.write(`artifact: ${dir}\n`);
      },
      log: (line) => {
        bars.stop();
        process.stdout.write(`${line}\n`);
      },
    }).finally(() => bars.stop());
    process.stdout.write(`methods: ${results} (${basename(results)}: ${Object.keys(report.methods).join(', ')}; ${report.wallSeconds} s)\n`);
  });
}
