/**
 * `--quality`: reruns the trainer on Gowalla (long: about 20 minutes) through
 * its own CLI, which writes bench/results/quality-gowalla.json with its time
 * breakdown. Never part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function runQuality(opts: { repoRoot: string; dataDir: string; outDir: string; reportFile: string; log: (s: string) => void }): void {
  if (!existsSync(join(opts.dataDir, 'train.txt')) || !existsSync(join(opts.dataDir, 'test.txt'))) {
    throw new Error(`--quality needs the Gowalla split at ${opts.dataDir} (train.txt, test.txt); pass --data <dir>`);
  }
  const args = [
    'exec',
    '--yes',
    '--package=pnpm@10.34.8',
    '--',
    'pnpm',
    '--filter',
    '@peelrec/trainer',
    'run',
    'cli',
    'train',
    '--data',
    opts.dataDir,
    '--out',
    opts.outDir,
    '--quality-out',
    opts.reportFile,
  ];
  opts.log(`quality: npm ${args.join(' ')}`);
  const r = spawnSync('npm', args, { cwd: opts.repoRoot, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`trainer exited with ${r.status}`);
}
