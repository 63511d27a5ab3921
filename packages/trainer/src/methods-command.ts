/**
 * `peelrec-train methods`: the method comparison of issue 20 (`--methods a,b,c`, or `--method a`), one JSON of
 * every method under the harness's split, metric and accounting. The registry of methods is the CLI's: the
 * harness imports no method.
 */
import { basename } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { addDataOptions, type DataFlags, dataSource, fractions, int, list, progressReporter, userPath } from './cli-common.js';
import { compareMethods, HARNESS_DEFAULTS } from './harness/index.js';
import type { Method } from './harness/method.js';
import { frequencySized } from './methods/frequency-sized/index.js';
import { magprune } from './methods/magprune/index.js';
import { peel } from './methods/peel/index.js';
import { randomSizes } from './methods/random-sizes/index.js';
import { uniform } from './methods/uniform/index.js';
import { uniformPrefix } from './methods/uniform-prefix/index.js';
import { checkExportDirs, EXPORTED_METHODS, exportOutcome } from './methods-export.js';
import { TRAINER_NAME, TRAINER_VERSION } from './pipeline.js';

/** Every method the comparison knows, in the order it runs them (PEEL first: the others pair against it). */
export const METHODS: readonly Method[] = [peel, uniform, uniformPrefix, magprune, randomSizes, frequencySized];

/** "a,b" → the registry's methods of those names, in the registry's order; an unknown name is an error. */
export function pickMethods(names: readonly string[]): Method[] {
  const known = METHODS.map((m) => m.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length || names.length === 0) throw new InvalidArgumentError(`unknown method(s) ${JSON.stringify(unknown)}: choose from ${known.join(', ')}`);
  return METHODS.filter((m) => names.includes(m.name));
}

interface MethodsFlags extends DataFlags {
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
}

export function addMethodsCommand(program: Command): void {
  addDataOptions(
    program
      .command('methods')
      .description('compare methods under one split, one backbone, one metric and one accounting (device bytes of the item table); writes methods-<dataset>.json')
      .option('--methods <list>', `methods to run, of ${METHODS.map((m) => m.name).join(',')} (default: all)`, list)
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
      .option('--out <dir>', `also write the artifacts of ${EXPORTED_METHODS.join(', ')} (peel-blocks, sparse, mixed), one folder each, every trained fraction of a v3 kind a variant`),
  ).action(async (f: MethodsFlags) => {
    const names = f.methods ?? (f.method ? ['peel', f.method] : METHODS.map((m) => m.name));
    const methods = pickMethods([...new Set(names)]);
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
