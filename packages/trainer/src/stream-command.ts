/**
 * `peelrec-train stream`: the streaming protocol of issue 24 on the synthetic stream (default) or a timestamped
 * delimited file, comparing SCALL with its ablation and the baselines under one fixed budget; one JSON.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { int, intAtLeast, list, num, progressReporter, userPath } from './cli-common.js';
import { readTimedInteractions } from './data/delimited.js';
import type { TimedInteractions } from './data/types.js';
import { TRAINER_NAME, TRAINER_VERSION } from './pipeline.js';
import { SCALL_SERVE, type ScallSettings, STREAM_METHOD_NAMES, type StreamMethodName } from './stream/methods.js';
import { runStream, STREAM_SETTINGS } from './stream/run.js';
import { generateStream, STREAM_DEFAULTS, type StreamOptions } from './synthetic/stream.js';

interface StreamFlags {
  synthetic?: boolean;
  interactions?: string;
  delimiter?: string;
  header?: boolean;
  ratingThreshold?: number;
  name?: string;
  streamSteps?: number;
  streamPerStep?: number;
  streamNewUsers?: number;
  streamNewItems?: number;
  streamSeed?: number;
  streamItemLifetime?: number;
  segmentNew?: number;
  liveWindow?: number;
  segments?: number;
  budget?: number;
  dMax?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  referenceEpochs?: number;
  rlSteps?: number;
  sacUpdates?: number;
  scallServe?: ScallSettings['serve'];
  methods?: string[];
  results: string;
  out?: string;
  seed?: number;
  threads?: number;
}

const isMethod = (n: string): n is StreamMethodName => (STREAM_METHOD_NAMES as readonly string[]).includes(n);

/** `never` (or `all`) → Infinity, else a number ≥ min: for the knobs whose off position is "forever". */
const orInfinity = (name: string, word: string, min: number, integer: boolean) => (v: string) => {
  if (v === word) return Number.POSITIVE_INFINITY;
  const n = Number(v);
  if (!(Number.isFinite(n) && n >= min && (!integer || Number.isInteger(n)))) throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min} or ${word}`);
  return n;
};

async function streamLog(f: StreamFlags): Promise<TimedInteractions> {
  if (f.synthetic && f.interactions) throw new InvalidArgumentError('choose one of --synthetic, --interactions');
  if (f.interactions) {
    const delimiter = f.delimiter === 'tab' || f.delimiter === '\\t' ? '\t' : f.delimiter;
    return readTimedInteractions(userPath(f.interactions), { delimiter, header: f.header, ratingThreshold: f.ratingThreshold, name: f.name });
  }
  const o: StreamOptions = {
    steps: f.streamSteps,
    interactionsPerStep: f.streamPerStep,
    newUsersPerStep: f.streamNewUsers,
    newItemsPerStep: f.streamNewItems,
    seed: f.streamSeed,
    itemLifetime: f.streamItemLifetime,
  };
  return generateStream(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
}

export function addStreamCommand(program: Command): void {
  program
    .command('stream')
    .description('streaming protocol (issue 24): segments by new users + items, replay, warm-started retraining under one fixed budget; SCALL vs baselines')
    .requiredOption('--results <file>', 'JSON of every segment, rewritten after each')
    .option('--out <dir>', "also write SCALL's served table of every segment as an artifact version, <dir>/segment-<t> (format v3 mixed)")
    .option('--synthetic', 'the seeded synthetic stream (default)')
    .option('--interactions <file>', 'delimited user<sep>item[<sep>rating]<sep>timestamp file, e.g. MovieLens ratings.dat with --delimiter ::')
    .option('--delimiter <sep>', 'field separator of --interactions: "," (default), "tab", "::"')
    .option('--header', 'the --interactions file has a header line')
    .option('--rating-threshold <r>', 'keep rows with rating ≥ r', num('rating threshold'))
    .option('--name <name>', 'dataset name (default: file name)')
    .option('--stream-steps <n>', 'synthetic: time steps (default 40)', intAtLeast('stream steps', 1))
    .option('--stream-per-step <n>', 'synthetic: interactions per step (default 4000)', intAtLeast('interactions per step', 1))
    .option('--stream-new-users <n>', 'synthetic: new users per step (default 90)', intAtLeast('new users', 0))
    .option('--stream-new-items <n>', 'synthetic: new items per step (default 60)', intAtLeast('new items', 0))
    .option('--stream-seed <n>', 'synthetic: generator seed (default 7)', int('stream seed'))
    .option(
      '--stream-item-lifetime <steps>',
      `synthetic: mean steps an item stays in the catalog before it is withdrawn, or never (default ${STREAM_DEFAULTS.itemLifetime})`,
      orInfinity('stream item lifetime', 'never', 0.01, false),
    )
    .option('--segment-new <n>', 'new users + items that close a segment (default: all entities / --segments)', intAtLeast('segment new', 1))
    .option(
      '--live-window <n>',
      `segments before a segment whose interactions keep an item in its catalog; silent for n + 1 segments, an item is retired (not trained, ranked or served); all: never (default ${STREAM_SETTINGS.segment.liveWindow})`,
      orInfinity('live window', 'all', 0, true),
    )
    .option('--segments <n>', `target segments when --segment-new is not given (default ${STREAM_SETTINGS.targetSegments})`, intAtLeast('segments', 2))
    .option('--budget <fraction>', `fixed budget: fraction of segment 0's full user + item table at d_max (default ${STREAM_SETTINGS.budget})`, num('budget'))
    .option('--d-max <d>', `largest size, the full width (default ${STREAM_SETTINGS.dMax}; a multiple of 8)`, intAtLeast('d max', 8))
    .option('--epochs <n>', `training epochs of each method a segment (default ${STREAM_SETTINGS.recipe.epochs})`, intAtLeast('epochs', 1))
    .option('--batch <n>', `training batch (default ${STREAM_SETTINGS.recipe.batch})`, intAtLeast('batch', 1))
    .option('--lr <rate>', `Adam learning rate (default ${STREAM_SETTINGS.recipe.lr})`, num('lr'))
    .option('--reference-epochs <n>', `epochs of the converged full-size reference a segment (default ${STREAM_SETTINGS.referenceEpochs})`, intAtLeast('reference epochs', 1))
    .option('--rl-steps <n>', `SCALL: exploratory actions a segment before the served one (default ${STREAM_SETTINGS.scall.rlSteps})`, intAtLeast('rl steps', 0))
    .option('--sac-updates <n>', `SCALL: SAC gradient steps after each transition (default ${STREAM_SETTINGS.scall.sacUpdates})`, intAtLeast('sac updates', 0))
    .addOption(
      new Option(
        '--scall-serve <what>',
        `SCALL: serve the policy's mean action ('policy', the paper's loop) or the best of it and the exploratory actions on validation ('best'; default ${STREAM_SETTINGS.scall.serve})`,
      ).choices([...SCALL_SERVE]),
    )
    .option('--methods <list>', `of ${STREAM_METHOD_NAMES.join(', ')} (default all)`, list)
    .option('--seed <n>', 'seed of every random choice (default 1)', int('seed'))
    .option('--threads <n>', 'worker threads (default 2)', intAtLeast('threads', 1))
    .action(async (f: StreamFlags) => {
      const names = f.methods ?? [...STREAM_SETTINGS.methods];
      const unknown = names.filter((n) => !isMethod(n));
      if (unknown.length || names.length === 0) throw new InvalidArgumentError(`unknown stream method(s) ${JSON.stringify(unknown)}: choose from ${STREAM_METHOD_NAMES.join(', ')}`);
      if (f.budget !== undefined && !(f.budget > 0 && f.budget <= 1)) throw new InvalidArgumentError('--budget must be in (0, 1]');
      if (f.dMax !== undefined && f.dMax % 8 !== 0) throw new InvalidArgumentError('--d-max must be a multiple of 8');
      const log = await streamLog(f);
      const bars = progressReporter();
      const d = STREAM_SETTINGS;
      const report = await runStream({
        log,
        settings: {
          ...d,
          segmentNew: f.segmentNew,
          targetSegments: f.segments ?? d.targetSegments,
          segment: { ...d.segment, liveWindow: f.liveWindow ?? d.segment.liveWindow },
          budget: f.budget ?? d.budget,
          dMax: f.dMax ?? d.dMax,
          recipe: { ...d.recipe, epochs: f.epochs ?? d.recipe.epochs, batch: f.batch ?? d.recipe.batch, lr: f.lr ?? d.recipe.lr },
          referenceEpochs: f.referenceEpochs ?? d.referenceEpochs,
          methods: names.filter(isMethod),
          scall: { rlSteps: f.rlSteps ?? d.scall.rlSteps, sacUpdates: f.sacUpdates ?? d.scall.sacUpdates, serve: f.scallServe ?? d.scall.serve },
          seed: f.seed ?? 1,
          threads: f.threads ?? 2,
        },
        trainer: `${TRAINER_NAME}@${TRAINER_VERSION}`,
        resultsPath: userPath(f.results),
        ...(f.out ? { out: userPath(f.out) } : {}),
        say: (line) => {
          bars.stop();
          process.stdout.write(`${line}\n`);
        },
        onProgress: bars.onProgress,
      }).finally(() => bars.stop());
      process.stdout.write('mean over segments t ≥ 1:\n');
      for (const [name, m] of Object.entries(report.meanFromSegment1)) {
        const p = report.pairedVsScallFrom1[name];
        const vs = p ? `  − scall ${p.recall20 >= 0 ? '+' : ''}${p.recall20.toFixed(4)}${p.se === null ? '' : ` ± ${p.se.toFixed(4)}`}` : '';
        process.stdout.write(`  ${name.padEnd(16)} recall@20 ${m.recall20.toFixed(4)}  ndcg@20 ${m.ndcg20.toFixed(4)}${vs}\n`);
      }
      process.stdout.write(`results: ${userPath(f.results)} (${report.wallSeconds} s wall, ${report.cpuSeconds} s CPU)\n`);
    });
}
