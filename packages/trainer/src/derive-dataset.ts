#!/usr/bin/env node
/**
 * peelrec-derive-dataset: writes one derived dataset of the quality suite (data/derive.ts) as a LightGCN folder,
 * or reuses the folder when its stamp still matches; `debian-uploads` writes a timestamped stream from a Debian
 * mirror (data/debian/). Prints the stamp as JSON on stdout. The bench's quality
 * suite runs it through `pnpm --filter @peelrec/trainer exec tsx --conditions=@peelrec/source src/derive-dataset.ts`.
 */
import { isAbsolute, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PeelrecError } from '@peelrec/format';
import { type DerivationRecipe, deriveDataset } from './data/derive.js';
import { intAtLeast } from './cli-common.js';
import { BET_SPLIT, type PerUserSplit } from './data/resplit.js';
import { DEBIAN_UPLOADS_DEFAULTS, type DebianUploadsOptions, deriveDebianUploads } from './data/debian/uploads.js';

const userPath = (p: string) => (isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p));
const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${v}" is not an integer`);
  return n;
};
/** "0.5,0.25,0.25" → train/valid/test shares. */
const shares = (v: string): [number, number, number] => {
  const xs = v.split(',').map(Number);
  if (xs.length !== 3 || xs.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError(`"${v}" is not three shares train,valid,test`);
  return xs as [number, number, number];
};

interface SplitFlags {
  out: string;
  shares?: [number, number, number];
  splitSeed?: number;
}

function splitOf(f: SplitFlags, fallback: PerUserSplit): PerUserSplit {
  const [train, valid, test] = f.shares ?? [fallback.train, fallback.valid, fallback.test];
  return { train, valid, test, seed: f.splitSeed ?? fallback.seed };
}

async function run(recipe: DerivationRecipe, out: string): Promise<void> {
  const { stamp, reused } = await deriveDataset(recipe, userPath(out));
  const s = stamp.stats;
  process.stderr.write(
    `${userPath(out)}: ${reused ? 'up to date' : `written in ${stamp.seconds} s`}; ${s.users} users, ${s.items} items, ${s.train}/${s.valid}/${s.test} train/valid/test interactions\n`,
  );
  process.stdout.write(`${JSON.stringify(stamp)}\n`);
}

const withSplit = (cmd: Command, fallback: PerUserSplit) =>
  cmd
    .requiredOption('--out <dir>', 'folder to write (outside the repository; reused when its stamp matches)')
    .option('--shares <train,valid,test>', `per-user shares (default ${fallback.train},${fallback.valid},${fallback.test})`, shares)
    .option('--split-seed <n>', `seed of the per-user split (default ${fallback.seed})`, int);

const program = new Command().name('peelrec-derive-dataset').description('derived datasets of the quality suite, as LightGCN folders that `train --data` reads');

withSplit(program.command('resplit').description("a LightGCN folder's train+test merged and split again per user (BET's 50/25/25, seed 42)"), BET_SPLIT)
  .requiredOption('--source <dir>', 'LightGCN folder (train.txt, test.txt)')
  .action((f: SplitFlags & { source: string }) => run({ kind: 'resplit', source: userPath(f.source), split: splitOf(f, BET_SPLIT) }, f.out));

withSplit(program.command('core').description("the k-core of a LightGCN folder's train+test, split per user like resplit"), BET_SPLIT)
  .requiredOption('--source <dir>', 'LightGCN folder (train.txt, test.txt)')
  .requiredOption('--k <k>', 'every kept user and item has at least k interactions', int)
  .action((f: SplitFlags & { source: string; k: number }) => run({ kind: 'core', source: userPath(f.source), k: f.k, split: splitOf(f, BET_SPLIT) }, f.out));

const SYNTHETIC_SPLIT: PerUserSplit = { train: 0.8, valid: 0, test: 0.2, seed: 1 };
withSplit(program.command('synthetic').description("the synthetic generator's interactions, split per user (default 80/20)"), SYNTHETIC_SPLIT)
  .option('--users <n>', 'users', int)
  .option('--items <n>', 'items', int)
  .option('--mean-interactions <n>', 'mean interactions per user: the density knob', int)
  .option('--seed <n>', 'generator seed', int)
  .action((f: SplitFlags & { users?: number; items?: number; meanInteractions?: number; seed?: number }) => {
    const options = Object.fromEntries(Object.entries({ users: f.users, items: f.items, meanInteractions: f.meanInteractions, seed: f.seed }).filter(([, v]) => v !== undefined));
    return run({ kind: 'synthetic', options, split: splitOf(f, SYNTHETIC_SPLIT) }, f.out);
  });

const D = DEBIAN_UPLOADS_DEFAULTS;
program
  .command('debian-uploads')
  .description(
    "a real timestamped stream (issue 24) from a Debian mirror: who first signed an upload of which source package, and when, read off one binary package's changelog per source; writes <out>/interactions.csv for `stream --interactions` (user,item,1,unix seconds) and <out>/stamp.json",
  )
  .requiredOption('--out <dir>', 'folder to write (outside the repository)')
  .option('--mirror <url>', `archive root (default ${D.mirror})`)
  .option('--suite <name>', `suite (default ${D.suite})`)
  .option('--component <name>', `component (default ${D.component})`)
  .option('--arch <name>', `architecture of the binaries read (default ${D.arch})`)
  .option('--max-deb-bytes <n>', `leave out sources whose smallest binary is larger (default ${D.maxDebBytes})`, intAtLeast('max deb bytes', 1))
  .option('--concurrency <n>', `downloads in flight (default ${D.concurrency})`, intAtLeast('concurrency', 1))
  .action(async (f: Partial<DebianUploadsOptions> & { out: string }) => {
    const { out, ...given } = f;
    const options: DebianUploadsOptions = { ...D, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
    if (!/^https?:\/\//.test(options.mirror)) throw new InvalidArgumentError(`--mirror must be an http(s) URL, got ${options.mirror}`);
    const stamp = await deriveDebianUploads({ ...options, mirror: options.mirror.replace(/\/+$/, '') }, userPath(out), { log: (line) => process.stderr.write(`${line}\n`) });
    const c = stamp.counts;
    process.stderr.write(
      `${userPath(out)}: ${c.interactions} interactions, ${c.users} users, ${c.items} items, ${stamp.firstTime.slice(0, 10)} to ${stamp.lastTime.slice(0, 10)}, in ${stamp.seconds} s\n`,
    );
    process.stdout.write(`${JSON.stringify(stamp)}\n`);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error;
  process.stderr.write(`peelrec-derive-dataset: ${err instanceof PeelrecError || err instanceof InvalidArgumentError ? err.message : (err.stack ?? String(err))}\n`);
  process.exit(1);
});
