/**
 * Runs the trainer package's own commands for `--quality` (quality-suite.ts): its CLI, which trains on one
 * LightGCN folder and writes the quality JSON with its time breakdown, and its dataset derivations. Each run is
 * a child process through pnpm, as `npm run train` runs it. Never part of `npm test`.
 */
import { spawnSync } from 'node:child_process';

const PNPM = ['exec', '--yes', '--package=pnpm@10.34.8', '--', 'pnpm', '--filter', '@peelrec/trainer'];

/** `pnpm --filter @peelrec/trainer <args>` from the repository root; returns stdout when `capture` (stderr still shows). */
export function trainerPackage(repoRoot: string, args: readonly string[], log: (s: string) => void, capture: boolean): string {
  log(`npm ${[...PNPM, ...args].join(' ')}`);
  const r = spawnSync('npm', [...PNPM, ...args], { cwd: repoRoot, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`the trainer (${args.slice(0, 3).join(' ')} …) exited with ${r.status}`);
  return r.stdout ?? '';
}

/** `train --data <dataDir>` with the trainer's default flags plus `trainerArgs`, writing the quality JSON to `reportFile`. */
export function trainQuality(opts: { repoRoot: string; dataDir: string; outDir: string; reportFile: string; trainerArgs?: readonly string[]; log: (s: string) => void }): void {
  const args = ['run', 'cli', 'train', '--data', opts.dataDir, '--out', opts.outDir, '--quality-out', opts.reportFile, ...(opts.trainerArgs ?? [])];
  trainerPackage(opts.repoRoot, args, opts.log, false);
}

/** The trainer's derive-dataset command (packages/trainer/src/derive-dataset.ts): writes or reuses a derived folder, returns its stamp. */
export function deriveWithTrainer(repoRoot: string, args: readonly string[], log: (s: string) => void): unknown {
  const out = trainerPackage(repoRoot, ['exec', 'tsx', '--conditions=@peelrec/source', 'src/derive-dataset.ts', ...args], log, true);
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`derive-dataset printed no stamp (last line: ${JSON.stringify(last.slice(0, 200))})`);
  }
}
