/**
 * The artifacts the suite runs against, all made by the real trainer CLI:
 * - demo: the demo page's default (public/models/demo), 23,953 items at 512
 *   dims, so a 1 GiB phone's budget selects part of it (apps/demo/scripts/demo-model.ts);
 * - synthetic: the SDK sample (public/models/synthetic), plain `train --synthetic`;
 * - small / small-v2: a small synthetic catalog (SwiftShader WebGPU is ~400×
 *   slower than WASM) and the same catalog trained with another seed, a
 *   different model version for the upgrade test;
 * - wide: 18,558 trained items (a 9.1 MiB f32 table per user group), so the
 *   budgets that navigator.deviceMemory gives (4 MiB at 0.25 GiB, 8 MiB at
 *   0.5 GiB) really cut the selection; the 3,996-item SDK sample fits whole in
 *   every one. The catalog holds only items with a training interaction, and
 *   2,000 users of a 40,000-item Zipf catalog touch 18,558 of them (1,000
 *   users of 20,000 touched 9,662: a 4.7 MiB table that 0.5 GiB holds whole).
 * Each is reused when present and verified, trained otherwise.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_METHODS } from '../../apps/demo/scripts/demo-methods.js';
import { DEMO_MODEL } from '../../apps/demo/scripts/demo-model.js';

const e2eRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const fixturesDir = join(e2eRoot, '.fixtures');
/** The SDK sample (apps/demo/scripts/prepare-model.ts trains it there for `npm run demo` too). */
const defaultModelDir = join(e2eRoot, '../public/models/synthetic');

export const HARNESS_PORT = 4311;
export const DEMO_PORT = 4310;

/** Extra trainer flags of each fixture; `synthetic` takes none, `demo` those of the demo's default. */
// Few epochs and one evaluated budget: these fixtures test mechanics (agreement, faults, upgrades), not quality.
export const SMALL_ARGS = ['--synthetic-items', '600', '--synthetic-users', '400', '--epochs', '10', '--budgets', '0.5'];
export const FIXTURES = {
  demo: { dir: DEMO_MODEL.dir, args: DEMO_MODEL.args },
  synthetic: { dir: defaultModelDir, args: [] as string[] },
  small: { dir: join(fixturesDir, 'small'), args: SMALL_ARGS },
  'small-v2': { dir: join(fixturesDir, 'small-v2'), args: [...SMALL_ARGS, '--seed', '8'] },
  // f32 and f16 only: in i8 (2.3 MiB) the whole table would fit the 4 MiB of deviceMemory 0.25, which must cut it.
  wide: {
    dir: join(fixturesDir, 'wide'),
    args: ['--synthetic-items', '40000', '--synthetic-users', '2000', '--user-groups', '2', '--epochs', '5', '--budgets', '0.5', '--dtypes', 'f32,f16'],
  },
} as const;
export type FixtureName = keyof typeof FIXTURES;

/**
 * The demo's method comparison (its Compare methods card), served at /models/methods/ on the demo's port (and on
 * the harness's, for tests/method-artifacts.spec.ts): the demo's own run (`peelrec-train methods`, peel + magprune
 * + frequency-sized + BET + CIESS + SparseRec on one backbone) on a catalog small enough to take seconds; the
 * card's mechanics do not depend on its size. The searched and trained methods at their cheapest settings that
 * still run their own code: BET 2 unfine-tuned search iterations of 10 candidates, the best retrained; CIESS 1
 * episode of 2 unfine-tuned iterations (actor, walk, critic and TD3 updates), the top 1 retrained, projected onto
 * the budget and retrained again; SparseRec one grid point (10 % pruned, cosine decay) trained 1 epoch
 * from its NMF mask with a prune-and-regrow step every batch (5 steps). The tests check how their artifacts serve,
 * not how good the methods are. CPU (user + sys, /usr/bin/time -v, 2-core machine shared with a Gowalla training):
 * 54.6 s at load 7 to 12 against 33.7 s for the run without CIESS and SparseRec at load 3 to 7 (+62 %; 24.4 s
 * without BET either, measured earlier at load ≈ 12). Their Recall@20 at 20 / 10 / 5 % on this 160-item catalog:
 * CIESS 0.161 / 0.165 / 0.158, SparseRec 0.166 / 0.171 / 0.161 (frequency-sized 0.179 / 0.201 / 0.158): artifacts
 * served, not the methods' best.
 */
export const METHODS_FIXTURE = {
  dir: join(fixturesDir, 'methods'),
  exported: DEMO_METHODS.exported,
  args: [
    '--synthetic',
    '--synthetic-users',
    '240',
    '--synthetic-items',
    '160',
    '--epochs',
    '2',
    '--finetune-epochs',
    '1',
    '--variants',
    'none',
    '--methods',
    'peel,magprune,frequency-sized,bet,ciess,sparserec',
    '--bet-iterations',
    '2',
    '--bet-epochs',
    '0',
    '--bet-candidates',
    '10',
    '--bet-top',
    '1',
    '--ciess-episodes',
    '1',
    '--ciess-iterations',
    '2',
    '--ciess-epochs',
    '0',
    '--ciess-top',
    '1',
    '--sparserec-epochs',
    '1',
    '--sparserec-fractions',
    '0.1',
    '--sparserec-intervals',
    '1',
    '--sparserec-decays',
    'cosine',
  ],
} as const;

/**
 * A small synthetic stream (`peelrec-train stream --out`, scripts/stream.ts): SCALL's served table of each segment
 * as one artifact version, `segment-<t>`, for tests/stream.spec.ts; the first `segments` are used. Its catalog
 * grows and loses items: each version holds its segment's live items only. Few epochs: the
 * test checks how a page follows the versions, not their quality (about 30 s of CPU).
 */
export const STREAM_FIXTURE = {
  dir: join(fixturesDir, 'stream'),
  segments: 6,
  args: [
    '--stream-steps',
    '10',
    '--stream-per-step',
    '300',
    '--stream-new-users',
    '15',
    '--stream-new-items',
    '12',
    // Items withdrawn after 3 steps on average, retired after 2 silent segments: segments 2–5 retire items.
    '--stream-item-lifetime',
    '3',
    '--live-window',
    '1',
    '--segment-new',
    '120',
    '--d-max',
    '16',
    '--epochs',
    '1',
    '--batch',
    '128',
    '--reference-epochs',
    '1',
    '--rl-steps',
    '1',
    '--sac-updates',
    '2',
    '--methods',
    'scall',
  ],
} as const;

/**
 * The v3 table kinds' artifacts (`mixed`, `sparse`): written by tests/kinds.spec.ts with the format's writer (no
 * trainer run), into `<kind>/` here, and served under /models/kinds/ (the server reads files as they are asked for).
 */
export const kindsDir = join(fixturesDir, 'kinds');

/** The bench's random 1,000,000-item catalog (bench/src/catalog.ts, MILLION_SHAPE; scripts/million.ts writes it): for main-thread timing only, its scores mean nothing. */
export const MILLION = { name: 'synthetic-1m', dir: join(fixturesDir, 'synthetic-1m') } as const;

/** URL prefix → directory, for the harness server. */
export function modelMounts(): Record<string, string> {
  // The method comparison too: tests/method-artifacts.spec.ts scores its v3 artifacts in the harness page.
  return {
    ...Object.fromEntries(Object.entries(FIXTURES).map(([name, f]) => [`/models/${name}/`, f.dir])),
    '/models/kinds/': kindsDir,
    '/models/methods/': METHODS_FIXTURE.dir,
    [`/models/${MILLION.name}/`]: MILLION.dir,
  };
}

export async function ensureFixtures(log: (l: string) => void = console.log): Promise<void> {
  // Imported here, not at the top: vite.config.ts imports this module, and Vite's config loader cannot load TypeScript from a package.
  const { ensureSyntheticModel } = await import('@peelrec/demo/prepare-model');
  for (const [name, f] of Object.entries(FIXTURES)) {
    log(`[e2e] fixture ${name}`);
    await ensureSyntheticModel(f.dir, { args: f.args, log });
  }
  log('[e2e] fixture methods');
  const { ensureMethodArtifacts } = await import('@peelrec/demo/prepare-methods');
  await ensureMethodArtifacts(METHODS_FIXTURE, { log });
}
