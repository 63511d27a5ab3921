#!/usr/bin/env node
/**
 * peelrec-train: command line of the trainer. `train` runs the whole
 * pipeline, `evaluate` measures an existing artifact, `export` re-exports one,
 * `methods` compares methods under one harness (methods-command.ts), `stream` runs the streaming protocol
 * (stream-command.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DTYPE_PRECISION_ORDER, PeelrecError, type Dtype } from '@peelrec/format';
import { addDataOptions, type DataFlags, dataSource, fractions, int, list, num, progressReporter, userPath } from './cli-common.js';
import { addMethodsCommand } from './methods-command.js';
import { addStreamCommand } from './stream-command.js';
import { evaluate } from './evaluate-artifact.js';
import { parseConfig } from './config-schema.js';
import { train, TRAINER_VERSION, type DeepPartial, type TrainConfig } from './pipeline.js';
import { exportArtifact } from './reexport.js';

const isDtype = (d: string): d is Dtype => (DTYPE_PRECISION_ORDER as readonly string[]).includes(d);
const dtypes = (v: string): Dtype[] => {
  const out = list(v);
  for (const d of out) if (!isDtype(d)) throw new InvalidArgumentError(`unknown dtype ${d} (${DTYPE_PRECISION_ORDER.join(', ')})`);
  return out.filter(isDtype);
};
/** "8,16,32,64" → widths; "none" → [] (plain training of the full width only). */
const widths = (v: string): number[] => (v.trim() === 'none' ? [] : list(v).map((s) => int('nested width')(s)));

interface TrainFlags extends DataFlags {
  out: string;
  config?: string;
  qualityOut?: string;
  quality?: boolean;
  userGroups?: number;
  itemGroups?: number;
  fullDim?: number;
  blockDim?: number;
  epochs?: number;
  refineEpochs?: number;
  diversity?: number;
  nested?: number[];
  seed?: number;
  threads?: number;
  dtypes?: Dtype[];
  budgets?: number[];
  usersPerShard?: number;
  ablations?: boolean;
  quick?: boolean;
  /** --tune / --no-tune; undefined: the default for the data source. */
  tune?: boolean;
  tuneSeconds?: number;
  timeBudget?: number;
  tuneTestAgreement?: boolean;
}

function readConfig(path: string): DeepPartial<TrainConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RangeError(`${path}: ${e instanceof SyntaxError ? 'not valid JSON: ' : ''}${(e as Error).message}`);
  }
  try {
    return parseConfig(parsed);
  } catch (e) {
    throw new RangeError(`${path}: ${(e as Error).message}`);
  }
}

function configFrom(f: TrainFlags): DeepPartial<TrainConfig> {
  const fromFile = f.config ? readConfig(userPath(f.config)) : {};
  const flags: DeepPartial<TrainConfig> = {
    userGroups: f.userGroups,
    itemGroups: f.itemGroups,
    fullDim: f.fullDim,
    blockDim: f.blockDim,
    seed: f.seed,
    threads: f.threads,
    dtypes: f.dtypes,
    budgets: f.budgets,
    usersPerShard: f.usersPerShard,
    ablations: f.quick ? false : f.ablations,
    backbone: { softmaxEpochs: f.epochs, diversity: f.diversity, nested: f.nested },
    refine: { epochs: f.refineEpochs },
    tuning: { enabled: f.tune, seconds: f.tuneSeconds, testAgreement: f.tuneTestAgreement },
    timeBudget: f.timeBudget,
  };
  // Flags override the file.
  return deepMerge(fromFile, flags);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): DeepPartial<TrainConfig> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = typeof v === 'object' && !Array.isArray(v) && v && typeof prev === 'object' && prev && !Array.isArray(prev) ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out as DeepPartial<TrainConfig>;
}

function printSeconds(s: Record<string, number>): void {
  const rows = Object.entries(s).map(([k, v]) => `  ${k.padEnd(10)} ${v.toFixed(1).padStart(8)} s`);
  process.stdout.write(`time breakdown:\n${rows.join('\n')}\n`);
}

const program = new Command().name('peelrec-train').description('PEEL trainer: interactions → personalized elastic embeddings → peelrec format-v2 artifact').version(TRAINER_VERSION);

addDataOptions(
  program
    .command('train')
    .description('whole pipeline: pretrain, user/item groups, per-group refinement with the controller, evaluation at budgets, export')
    .requiredOption('--out <dir>', 'artifact folder: new, empty, or an artifact peelrec-train wrote (only its own files are replaced)')
    .option('--config <file>', 'JSON config (any TrainConfig fields, e.g. {"userGroups": 8, "backbone": {"softmaxEpochs": 60}}); flags override it')
    .option('--quality-out <file>', 'quality JSON path (default: quality.json in the --out folder)')
    .option('--no-quality', 'do not write the quality JSON (nor measure the rows only it shows)')
    .option('--user-groups <C>', 'k-means user groups (default 8)', int('user groups'))
    .option('--item-groups <G>', 'popularity item groups (default 20)', int('item groups'))
    .option('--full-dim <d>', 'embedding dimension (default 128)', int('full dim'))
    .option('--block-dim <d>', 'dimensions per block (default 8)', int('block dim'))
    .option('--epochs <n>', 'backbone sampled-softmax epochs (default 60; synthetic 30)', int('epochs'))
    .option('--refine-epochs <n>', 'maximum refinement epochs per user group (default 8)', int('refine epochs'))
    .option('--diversity <lambda>', 'weight of the block diversity regularizer (0 disables)', num('diversity'))
    .option('--nested <widths>', 'prefix widths trained alongside the full width, e.g. 8,16,32,64 (default), or "none"', widths)
    .option('--seed <n>', 'seed of every random choice (default 1)', int('seed'))
    .option('--threads <n>', 'worker threads (default 2)', int('threads'))
    .option('--dtypes <list>', 'block encodings to export, of f32, f16, i8 (default f32,f16,i8)', dtypes)
    .option('--budgets <list>', 'budget fractions to evaluate (default 0.5,0.2,0.1,0.05)', fractions)
    .option('--users-per-shard <n>', 'users per user shard file (default 64)', int('users per shard'))
    .option('--ablations', 'run the ablations (b)–(e) (default, except for the synthetic demo data)')
    .option('--quick', 'quick path: PEEL and the full table only, no ablation retraining')
    .option('--tune', 'choose the knobs, epochs, smoothing and user groups on validation (default for --data and --interactions)')
    .option('--no-tune', 'keep the fixed defaults: no tuning (default for --synthetic)')
    .option('--time-budget <s>', 'seconds the whole pipeline targets, ablations aside: tuning ends in time for evaluation and export (default 1800)', num('time budget'))
    .option('--tune-seconds <s>', 'optional cap on the tuning itself, the final backbone included (default: none, --time-budget decides)', num('tune seconds'))
    .option('--tune-test-agreement', 'report only: also score every tuning candidate on test, to measure how often validation and test agree'),
).action(async (f: TrainFlags) => {
  const bars = progressReporter();
  const result = await train({
    data: dataSource(f),
    out: userPath(f.out),
    qualityOut: f.quality === false ? null : f.qualityOut ? userPath(f.qualityOut) : undefined,
    config: configFrom(f),
    onProgress: bars.onProgress,
    log: (line) => {
      bars.stop();
      process.stdout.write(`${line}\n`);
    },
  }).finally(() => bars.stop());
  const q = result.quality;
  process.stdout.write(`artifact: ${result.outDir} (model ${result.manifest.model.id}, content ${result.manifest.model.contentHash.slice(0, 16)}…)\n`);
  if (result.qualityPath) process.stdout.write(`quality: ${result.qualityPath}\n`);
  for (const n of q.notes) process.stdout.write(`note: ${n}\n`);
  printSeconds(q.seconds);
});

addDataOptions(
  program
    .command('evaluate')
    .description("metrics of an existing artifact on its dataset's test split, selecting blocks with selectBlocks as a device does")
    .requiredOption('--artifact <dir>', 'artifact folder')
    .option('--budgets <list>', 'budget fractions (default: those in the manifest)', fractions)
    .option('--threads <n>', 'worker threads (default 2)', int('threads'))
    .option('--json', 'print the result as JSON'),
).action(async (f: DataFlags & { artifact: string; budgets?: number[]; threads?: number; json?: boolean }) => {
  const r = await evaluate({ artifact: userPath(f.artifact), data: dataSource(f), budgets: f.budgets, threads: f.threads });
  if (f.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  process.stdout.write(`model ${r.modelId}\nfull: recall@20 ${r.full.recall20.toFixed(4)}, ndcg@20 ${r.full.ndcg20.toFixed(4)}\n`);
  for (const b of r.budgets) {
    process.stdout.write(`${(b.fraction * 100).toFixed(0).padStart(3)}% (${b.bytes} B, ${b.dtype}): recall@20 ${b.recall20.toFixed(4)}, ndcg@20 ${b.ndcg20.toFixed(4)}\n`);
  }
  for (const s of r.skipped) process.stdout.write(`${s.fraction}: skipped (${s.reason})\n`);
});

addMethodsCommand(program);
addStreamCommand(program);

program
  .command('export')
  .description('re-export an artifact without retraining: other block encodings or shard size (the f32 blocks are the checkpoint)')
  .requiredOption('--from <dir>', 'existing artifact folder (verified before use)')
  .requiredOption('--out <dir>', 'new artifact folder: new, empty, or an artifact peelrec-train wrote')
  .option('--dtypes <list>', 'block encodings, of f32, f16, i8, e.g. f16 or f32,f16,i8 (default: as the source)', dtypes)
  .option('--users-per-shard <n>', 'users per user shard file', int('users per shard'))
  .action(async (f: { from: string; out: string; dtypes?: Dtype[]; usersPerShard?: number }) => {
    const from = userPath(f.from);
    const out = userPath(f.out);
    if (resolve(from) === resolve(out)) throw new InvalidArgumentError('--out must differ from --from');
    const m = await exportArtifact({ from, out, dtypes: f.dtypes, usersPerShard: f.usersPerShard });
    process.stdout.write(`artifact: ${out} (model ${m.model.id}, content ${m.model.contentHash.slice(0, 16)}…, ${m.blocks.length} blocks × ${m.blocks[0]!.files.map((x) => x.dtype).join('+')})\n`);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error;
  // Typed errors carry a complete message; anything else gets its stack.
  process.stderr.write(`peelrec-train: ${err instanceof PeelrecError || err instanceof InvalidArgumentError || err instanceof RangeError ? err.message : (err.stack ?? String(err))}\n`);
  process.exit(1);
});
