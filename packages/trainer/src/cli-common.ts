/**
 * What the trainer's commands share: paths as the user typed them, number parsers, the data flags and the
 * data source they describe, and the progress bars.
 */
import { isAbsolute, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import type { DataSource } from './data/load.js';
import type { DelimitedOptions } from './data/delimited.js';
import type { SplitStrategy } from './data/split.js';

/** pnpm runs scripts inside packages/trainer; paths the user typed are relative to where they ran npm. */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

export const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
  return n;
};
export const intAtLeast = (name: string, min: number) => (v: string) => {
  const n = int(name)(v);
  if (n < min) throw new InvalidArgumentError(`${name} must be ≥ ${min}`);
  return n;
};
export const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
  return n;
};
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
export const fractions = (v: string) => list(v).map((s) => num('budget')(s));

export interface DataFlags {
  synthetic?: boolean;
  data?: string;
  interactions?: string;
  delimiter?: string;
  header?: boolean;
  ratingThreshold?: number;
  split?: 'random' | 'leave-last-out';
  testFraction?: number;
  splitSeed?: number;
  testFile?: string;
  name?: string;
  syntheticUsers?: number;
  syntheticItems?: number;
  syntheticSeed?: number;
}

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--synthetic', 'the embedded synthetic dataset (default when no --data/--interactions)')
    .option('--data <dir>', 'LightGCN/NGCF folder with train.txt and test.txt')
    .option('--interactions <file>', 'delimited file: user<sep>item[<sep>rating][<sep>timestamp]')
    .option('--delimiter <sep>', 'field separator of --interactions: "," (default), "tab", "::" (MovieLens ratings.dat), …')
    .option('--header', 'the --interactions file has a header line')
    .option('--rating-threshold <r>', 'keep rows with rating ≥ r (implicit feedback)', num('rating threshold'))
    .addOption(new Option('--split <kind>', 'split of a single --interactions file').choices(['random', 'leave-last-out']))
    .option('--test-fraction <f>', 'test share per user for --split random (default 0.2)', num('test fraction'))
    .option('--split-seed <n>', 'seed of --split random (default 1)', int('split seed'))
    .option('--test-file <file>', 'separate test file (same layout) instead of splitting')
    .option('--name <name>', 'dataset name (default: folder or file name)')
    .option('--synthetic-users <n>', 'synthetic dataset size', int('users'))
    .option('--synthetic-items <n>', 'synthetic dataset size', int('items'))
    .option('--synthetic-seed <n>', 'synthetic generator seed', int('seed'));
}

export function dataSource(f: DataFlags): DataSource {
  const picked = [f.synthetic, f.data, f.interactions].filter(Boolean).length;
  if (picked > 1) throw new InvalidArgumentError('choose one of --synthetic, --data, --interactions');
  if (f.data) return { kind: 'lightgcn', dir: userPath(f.data), name: f.name };
  if (f.interactions) {
    const delimiter = f.delimiter === 'tab' || f.delimiter === '\\t' ? '\t' : f.delimiter;
    const split: SplitStrategy | undefined =
      f.split === 'leave-last-out'
        ? { kind: 'leave-last-out' }
        : f.split || f.testFraction !== undefined || f.splitSeed !== undefined
          ? { kind: 'random', testFraction: f.testFraction ?? 0.2, seed: f.splitSeed ?? 1 }
          : undefined;
    const options: DelimitedOptions = {
      delimiter,
      header: f.header,
      ratingThreshold: f.ratingThreshold,
      split,
      testFile: f.testFile ? userPath(f.testFile) : undefined,
      name: f.name,
    };
    return { kind: 'delimited', file: userPath(f.interactions), options };
  }
  const options = { users: f.syntheticUsers, items: f.syntheticItems, seed: f.syntheticSeed };
  return { kind: 'synthetic', options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
}

/** One progress bar at a time, one per stage; plain lines when stderr is not a terminal. */
export function progressReporter(): { onProgress: (stage: string, done: number, total: number) => void; stop: () => void } {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  let lastLine = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    onProgress(stage, done, total) {
      if (stage !== current) {
        stop();
        current = stage;
        if (tty) {
          bar = new cliProgress.SingleBar(
            { format: `${stage.padEnd(22)} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, 0);
        } else process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${stage} …\n`);
      }
      if (bar) {
        bar.setTotal(total);
        bar.update(Math.round(done * 100) / 100);
      } else if (Date.now() - lastLine > 30_000) {
        lastLine = Date.now();
        process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${stage} ${Math.round((100 * done) / total)}%\n`);
      }
    },
    stop,
  };
}
