/**
 * Finds the reference datasets the real-data tests read. They live beside the repository, never in it:
 * `<repo>/../shared/data/<name>` (CI: a fresh clone with a copy of shared/ beside it), or this machine's
 * /work/shared/data/<name>; an environment variable overrides both.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The folder, or why there is none: every path tried and what was missing there. */
export type Located = { dir: string; reason?: undefined } | { dir?: undefined; reason: string };

/** The repository root: the nearest folder at or above `from` that holds pnpm-workspace.yaml. */
export function repoRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface LocateOptions {
  /** Default process.env. */
  env?: Record<string, string | undefined>;
  /** Where the walk up to the repository root starts. Default: this folder. */
  from?: string;
  /** The machine-wide fallback. Default /work/shared/data/<name>. */
  fallback?: string;
}

/** The first candidate folder holding every one of `files`: `$envVar`, `<repo>/../shared/data/<name>`, the fallback. */
export function locateDataset(name: string, envVar: string, files: readonly string[], o: LocateOptions = {}): Located {
  const env = o.env ?? process.env;
  const root = repoRoot(o.from ?? import.meta.dirname);
  const candidates: { label: string; dir: string | undefined }[] = [
    { label: `$${envVar}`, dir: env[envVar] || undefined },
    { label: 'beside the repository', dir: root && resolve(root, '..', 'shared', 'data', name) },
    { label: 'machine-wide', dir: o.fallback ?? `/work/shared/data/${name}` },
  ];
  const tried: string[] = [];
  for (const c of candidates) {
    if (!c.dir) {
      tried.push(`${c.label}: ${c.label.startsWith('$') ? 'not set' : 'no pnpm-workspace.yaml above the tests'}`);
      continue;
    }
    const missing = files.filter((f) => !existsSync(join(c.dir!, f)));
    if (missing.length === 0) return { dir: c.dir };
    tried.push(`${c.label} ${c.dir}: no ${missing.join(', ')}`);
  }
  return { reason: `${name} data not found (${tried.join('; ')})` };
}

/** The LightGCN Gowalla split (train.txt, test.txt); `PEELREC_GOWALLA` overrides. */
export function locateGowalla(o: LocateOptions = {}): Located {
  return locateDataset('gowalla', 'PEELREC_GOWALLA', ['train.txt', 'test.txt'], o);
}
