/**
 * Derived datasets for the quality suite, written as LightGCN folders that `train --data <dir>` reads unchanged:
 * train.txt, test.txt and, where the split has one, valid.txt. The trainer does not read valid.txt: it carves
 * its own validation from train.txt, so valid.txt only keeps BET's validation quarter out of training, as BET
 * does. stamp.json, written last, records the recipe, the generator version and the source's SHA-256; a folder
 * whose stamp matches all three is reused, anything else is regenerated. Data is never written into the
 * repository: the caller picks the folder (the bench uses bench/.cache/datasets/, which git ignores).
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '@peelrec/format';
import { generateSynthetic, type SyntheticOptions } from '../synthetic/generate.js';
import { denseCore } from './dense-core.js';
import { DerivationError } from './derivation-error.js';
import { lightGCNSourceHash, type PairList, pairsOfCsr, readLightGCNPairs, writeLightGCN } from './pairs.js';
import { type PerUserSplit, splitPerUser } from './resplit.js';

/** Bump on any change to what a recipe writes: every cached folder is then regenerated. */
export const DERIVE_VERSION = 1;

export type DerivationRecipe =
  /** A LightGCN folder's train and test merged and split again per user. */
  | { readonly kind: 'resplit'; readonly source: string; readonly split: PerUserSplit }
  /** The k-core of a LightGCN folder's train and test merged, split per user. */
  | { readonly kind: 'core'; readonly source: string; readonly k: number; readonly split: PerUserSplit }
  /** The synthetic generator's interactions (its own split merged back), split per user. */
  | { readonly kind: 'synthetic'; readonly options: SyntheticOptions; readonly split: PerUserSplit };

export interface DerivedStats {
  readonly users: number;
  readonly items: number;
  readonly train: number;
  readonly valid: number;
  readonly test: number;
  /** Interactions / (users × items), over all three parts. */
  readonly density: number;
  readonly movedToTrain: number;
  /** The interactions the derivation started from (merged, before any core). */
  readonly sourceInteractions: number;
  readonly coreRounds?: number;
}

export interface Stamp {
  readonly generator: 'peelrec derive';
  readonly version: number;
  /** The recipe without the source path, which differs between machines: the source's hash stands for it. */
  readonly recipe: Readonly<Record<string, unknown>>;
  /** SHA-256 of the input: the source folder's (as loadData computes it), or of the generated interactions. */
  readonly sourceSha256: string;
  readonly description: string;
  readonly stats: DerivedStats;
  readonly generatedAt: string;
  readonly seconds: number;
}

const pct = (x: number) => `${Number((x * 100).toFixed(1))}`;

/** One line for reports: what the folder holds and how it was made. */
export function describeRecipe(r: DerivationRecipe): string {
  const s = r.split;
  const parts = s.valid > 0 ? `${pct(s.train)}/${pct(s.valid)}/${pct(s.test)} (train/validation/test; valid.txt is not trained on)` : `${pct(s.train)}/${pct(s.test)}`;
  const split = `split per user ${parts}, seed ${s.seed}`;
  if (r.kind === 'resplit') return `train.txt + test.txt merged and ${split}`;
  if (r.kind === 'core') return `train.txt + test.txt merged, cut to its ${r.k}-core (every user and item ≥ ${r.k} interactions), ${split}`;
  return `synthetic generator ${JSON.stringify(r.options)}, its interactions ${split}`;
}

function stampRecipe(r: DerivationRecipe): Record<string, unknown> {
  const { kind, split } = r;
  if (r.kind === 'core') return { kind, k: r.k, split: { ...split } };
  if (r.kind === 'synthetic') return { kind, options: { ...r.options }, split: { ...split } };
  return { kind, split: { ...split } };
}

function hashOfPairs(p: PairList): Promise<string> {
  const bytes = new Uint8Array(p.users.byteLength + p.items.byteLength);
  bytes.set(new Uint8Array(p.users.buffer, p.users.byteOffset, p.users.byteLength), 0);
  bytes.set(new Uint8Array(p.items.buffer, p.items.byteOffset, p.items.byteLength), p.users.byteLength);
  return sha256Hex(bytes);
}

/** The input's identity without deriving anything: the source files' hashes, or the generated interactions'. */
async function sourceOf(r: DerivationRecipe): Promise<{ sha256: string; pairs?: PairList }> {
  if (r.kind === 'synthetic') {
    const d = generateSynthetic(r.options);
    const pairs = pairsOfCsr([d.train, d.test]);
    return { sha256: await hashOfPairs(pairs), pairs };
  }
  const hashes: string[] = [];
  for (const f of ['train.txt', 'test.txt']) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(r.source, f));
    } catch (cause) {
      throw new DerivationError(r.source, `cannot read ${f} (${(cause as Error).message}): a LightGCN folder needs train.txt and test.txt`);
    }
    hashes.push(await sha256Hex(bytes));
  }
  return { sha256: await lightGCNSourceHash(hashes) };
}

async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'stamp.json'), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

const distinct = (ids: Uint32Array) => new Set(ids).size;

/**
 * Writes the recipe's dataset into `outDir`, unless the folder's stamp already matches the recipe, the
 * generator version and the source. Returns the stamp, and whether the folder was reused.
 */
export async function deriveDataset(recipe: DerivationRecipe, outDir: string): Promise<{ stamp: Stamp; reused: boolean }> {
  const started = performance.now();
  const source = await sourceOf(recipe);
  const wanted = { version: DERIVE_VERSION, recipe: stampRecipe(recipe), sourceSha256: source.sha256 };
  const old = await readStamp(outDir);
  const same = old && old.version === wanted.version && old.sourceSha256 === wanted.sourceSha256 && JSON.stringify(old.recipe) === JSON.stringify(wanted.recipe);
  if (same && existsSync(join(outDir, 'train.txt')) && existsSync(join(outDir, 'test.txt'))) {
    return { stamp: old, reused: true };
  }
  // No stamp while the files change: an interrupted run leaves a folder that is never taken as fresh.
  await rm(join(outDir, 'stamp.json'), { force: true });
  const merged = source.pairs ?? (await readLightGCNPairs((recipe as { source: string }).source)).pairs;
  let pairs = merged;
  let coreRounds: number | undefined;
  if (recipe.kind === 'core') {
    const core = denseCore(merged, recipe.k);
    pairs = core.pairs;
    coreRounds = core.rounds;
    if (pairs.users.length === 0) throw new DerivationError(recipe.source, `its ${recipe.k}-core is empty: choose a smaller k`);
  }
  const split = splitPerUser(pairs, recipe.split);
  await rm(join(outDir, 'valid.txt'), { force: true });
  await writeLightGCN(outDir, { train: split.train, test: split.test, ...(split.valid.users.length ? { valid: split.valid } : {}) });
  const users = distinct(pairs.users);
  const items = distinct(pairs.items);
  const stats: DerivedStats = {
    users,
    items,
    train: split.train.users.length,
    valid: split.valid.users.length,
    test: split.test.users.length,
    density: Number((pairs.users.length / (users * items)).toPrecision(4)),
    movedToTrain: split.movedToTrain,
    sourceInteractions: merged.users.length,
    ...(coreRounds === undefined ? {} : { coreRounds }),
  };
  const stamp: Stamp = {
    generator: 'peelrec derive',
    ...wanted,
    description: describeRecipe(recipe),
    stats,
    generatedAt: new Date().toISOString(),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  await writeFile(join(outDir, 'stamp.json'), `${JSON.stringify(stamp, null, 2)}\n`);
  return { stamp, reused: false };
}
