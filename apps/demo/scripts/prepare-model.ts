/**
 * The models in public/models, made by the trainer's CLI: the demo's default
 * (public/models/demo, sized for phone budgets: demo-model.ts) and the SDK
 * sample (public/models/synthetic, plain `train --synthetic`, which the
 * runtime's quick start copies). Each is reused when it is present and
 * verifies (schema, content hash, every file's SHA-256); trained otherwise.
 * Used by `npm run demo` and by the e2e suite, so a fresh clone gets the same models.
 *
 *   tsx scripts/prepare-model.ts [--out DIR] [--force]   (no --out: both models)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyArtifact, type Manifest } from '@peelrec/format';
import { DEMO_MODEL } from './demo-model.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const defaultModelDir = join(repoRoot, 'public/models/synthetic');
const trainerDir = join(repoRoot, 'packages/trainer');
/** The extra trainer flags, recorded next to the artifact so a fixture trained with other flags is not reused by mistake. */
const STAMP = '.trained-with.json';

/** Verifies the artifact in `dir`; the reason it is unusable otherwise. */
export async function checkArtifact(dir: string): Promise<{ ok: true; manifest: Manifest; bytes: number } | { ok: false; reason: string }> {
  if (!existsSync(join(dir, 'manifest.json'))) return { ok: false, reason: 'no manifest.json' };
  try {
    const { manifest, bytes } = await verifyArtifact({ read: (p) => readFile(join(dir, p)) });
    return { ok: true, manifest, bytes };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

export interface TrainOptions {
  /** Extra trainer flags (a smaller catalog, another seed) for test fixtures. */
  readonly args?: readonly string[];
  readonly log?: (line: string) => void;
}

/** Runs the trainer CLI (`@peelrec/trainer`, `train --synthetic`) into `dir`. */
export function trainSynthetic(dir: string, options: TrainOptions = {}): void {
  const log = options.log ?? ((l: string) => console.log(l));
  // --no-quality: the quality report belongs to benchmark runs (bench/results), not to a demo or test model.
  const args = ['train', '--synthetic', '--no-quality', '--out', dir, ...(options.args ?? [])];
  log(`[peelrec] training the synthetic model: peelrec-train ${args.join(' ')}`);
  rmSync(dir, { recursive: true, force: true });
  // tsx from the trainer's own dependencies: the CLI is TypeScript run as-is, the workspace packages as sources.
  const r = spawnSync(process.execPath, ['--conditions=@peelrec/source', '--import', 'tsx', 'src/cli.ts', ...args], { cwd: trainerDir, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`the trainer exited with status ${r.status} (peelrec-train ${args.join(' ')})`);
  writeFileSync(join(dir, STAMP), JSON.stringify(options.args ?? []));
}

/** Reuses a verified artifact in `dir`, or trains one. Returns its manifest. */
export async function ensureSyntheticModel(dir = defaultModelDir, options: TrainOptions & { force?: boolean } = {}): Promise<Manifest> {
  const log = options.log ?? ((l: string) => console.log(l));
  if (!options.force) {
    const found = await checkArtifact(dir);
    if (found.ok && sameTrainerArgs(dir, options.args)) {
      log(`[peelrec] model ${found.manifest.model.id} in ${dir} verified (${(found.bytes / 2 ** 20).toFixed(1)} MiB): reusing it`);
      return found.manifest;
    }
    if (!found.ok && found.reason !== 'no manifest.json') log(`[peelrec] the model in ${dir} is unusable (${found.reason}): retraining`);
  }
  trainSynthetic(dir, options);
  const made = await checkArtifact(dir);
  if (!made.ok) throw new Error(`the trainer wrote an artifact that does not verify: ${made.reason}`);
  log(`[peelrec] trained ${made.manifest.model.id} into ${dir}`);
  return made.manifest;
}

/** What `npm run demo` serves: the demo's default model, then the SDK sample. Returns the default's manifest. */
export async function ensureDemoModels(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<Manifest> {
  const demo = await ensureSyntheticModel(DEMO_MODEL.dir, { ...options, args: DEMO_MODEL.args });
  await ensureSyntheticModel(defaultModelDir, options);
  return demo;
}

function sameTrainerArgs(dir: string, args: readonly string[] | undefined): boolean {
  const want = JSON.stringify(args ?? []);
  if (!existsSync(join(dir, STAMP))) return want === '[]'; // trained by hand with `npm run train`: fine as the default
  return readFileSync(join(dir, STAMP), 'utf8') === want;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--out');
  const force = argv.includes('--force');
  (at >= 0 ? ensureSyntheticModel(resolve(argv[at + 1]!), { force }) : ensureDemoModels({ force })).catch((e) => {
    console.error(`[peelrec] ${(e as Error).message}`);
    process.exit(1);
  });
}
