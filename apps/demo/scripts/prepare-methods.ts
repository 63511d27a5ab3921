/**
 * The method comparison the Compare methods card serves (demo-methods.ts), made by the trainer's `methods`
 * command: reused when its stamp names the same flags and every artifact verifies, run again otherwise.
 * `status.json` in the folder tells the page how far it is (`preparing`, `ready`, `failed`): `npm run demo`
 * starts this after the server is up, so the page is there at once and the card fills in when it is ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeelrecError, verifyAnyArtifact } from '@peelrec/format';
import { DEMO_METHODS, METHODS_STATUS_FILE, type MethodsStatus } from './demo-methods.js';

const trainerDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../packages/trainer');
/** The flags the folder was made with (the models' stamp in prepare-model.ts). */
const STAMP = '.trained-with.json';
/** The trainer's nice value when it runs beside the server (`background`). */
const BACKGROUND_NICE = 10;

/** The comparison could not be made: the trainer failed, or wrote an artifact that does not verify. */
export class MethodsPrepareError extends PeelrecError {
  override name = 'MethodsPrepareError';
}

export interface MethodsSpec {
  readonly dir: string;
  /** The methods `--out` writes an artifact for: `<dir>/<name>/`. */
  readonly exported: readonly string[];
  /** `peelrec-train methods` flags, besides --results and --out. */
  readonly args: readonly string[];
}

export interface PrepareMethodsOptions {
  readonly force?: boolean;
  readonly log?: (line: string) => void;
  /**
   * `npm run demo`: the trainer's output goes to `<dir>/trainer.log` (the terminal belongs to the server) and it
   * runs at a lower CPU priority, so the page it serves stays responsive meanwhile.
   */
  readonly background?: boolean;
  /** Receives the trainer's process while it runs, so that the caller can stop it with the server. */
  readonly onSpawn?: (child: ChildProcess | undefined) => void;
}

/** Why the artifact (any kind) in `dir` is unusable; undefined when it verifies. */
async function checkAnyArtifact(dir: string): Promise<string | undefined> {
  if (!existsSync(join(dir, 'manifest.json'))) return 'no manifest.json';
  try {
    await verifyAnyArtifact({ read: (p) => readFile(join(dir, p)) });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const writeStatus = (dir: string, s: MethodsStatus) => writeFile(join(dir, METHODS_STATUS_FILE), `${JSON.stringify(s)}\n`);

/** Why the folder cannot be reused; undefined when it can. */
async function staleReason(spec: MethodsSpec): Promise<string | undefined> {
  const stamp = await readFile(join(spec.dir, STAMP), 'utf8').catch(() => undefined);
  if (stamp === undefined) return 'not made yet';
  if (stamp !== JSON.stringify(spec.args)) return 'made with other flags';
  for (const name of spec.exported) {
    const reason = await checkAnyArtifact(join(spec.dir, name));
    if (reason !== undefined) return `the ${name} artifact is unusable (${reason})`;
  }
  return undefined;
}

function runTrainer(args: readonly string[], spec: MethodsSpec, o: PrepareMethodsOptions): Promise<void> {
  const out = o.background ? openSync(join(spec.dir, 'trainer.log'), 'w') : undefined;
  // tsx from the trainer's own dependencies: the CLI is TypeScript run as-is, the workspace packages as sources.
  const child = spawn(process.execPath, ['--conditions=@peelrec/source', '--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: trainerDir,
    stdio: out === undefined ? 'inherit' : ['ignore', out, out],
  });
  // Linux threads take their creator's priority: the trainer's worker threads start later, from this one. Never
  // above this process's own (a demo started under `nice -n 19` stays there); best effort, as a priority is.
  if (o.background && child.pid !== undefined) {
    try {
      setPriority(child.pid, Math.max(getPriority(), BACKGROUND_NICE));
    } catch {
      // not permitted here: the trainer runs at this process's priority
    }
  }
  o.onSpawn?.(child);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (out !== undefined) closeSync(out);
      o.onSpawn?.(undefined);
      if (code === 0) return done();
      fail(new MethodsPrepareError(`the trainer ${signal ? `was stopped (${signal})` : `exited with status ${code}`} (peelrec-train ${args.join(' ')})`));
    });
  });
}

/** Reuses the comparison in `spec.dir`, or makes it. Returns whether it was made. */
export async function ensureMethodArtifacts(spec: MethodsSpec = DEMO_METHODS, options: PrepareMethodsOptions = {}): Promise<'reused' | 'made'> {
  const log = options.log ?? ((l: string) => console.log(l));
  const { dir } = spec;
  const stale = options.force ? 'forced' : await staleReason(spec);
  if (stale === undefined) {
    await writeStatus(dir, { state: 'ready' });
    log(`[peelrec] method comparison (${spec.exported.join(', ')}) in ${dir} verified: reusing it`);
    return 'reused';
  }
  const all = ['methods', ...spec.args, '--results', join(dir, 'methods.json'), '--out', dir];
  log(`[peelrec] comparing methods (${stale}): peelrec-train ${all.join(' ')}${options.background ? `; its log: ${join(dir, 'trainer.log')}` : ''}`);
  const t0 = Date.now();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeStatus(dir, { state: 'preparing', since: new Date().toISOString() });
  try {
    await runTrainer(all, spec, options);
    for (const name of spec.exported) {
      const reason = await checkAnyArtifact(join(dir, name));
      if (reason !== undefined) throw new MethodsPrepareError(`the trainer wrote a ${name} artifact that does not verify: ${reason}`);
    }
    await writeFile(join(dir, STAMP), JSON.stringify(spec.args));
  } catch (e) {
    await writeStatus(dir, { state: 'failed', reason: (e as Error).message }).catch(() => undefined);
    throw e;
  }
  await writeStatus(dir, { state: 'ready' });
  log(`[peelrec] method comparison written to ${dir} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return 'made';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureMethodArtifacts(DEMO_METHODS, { force: process.argv.includes('--force') }).catch((e: unknown) => {
    console.error(`[peelrec] ${(e as Error).message}`);
    process.exit(1);
  });
}
