/**
 * Commands run as a person runs them, for the specs that check packaging and the root scripts: a clean
 * environment, their output kept for the failure message, and free ports.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@playwright/test';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** `packageManager` of the root package.json, e.g. `pnpm@10.34.8`: what the root scripts run through `npm exec`. */
export const pinnedPnpm = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).packageManager as string;

/** The environment without what pnpm and Playwright set for their own children (npm reads npm_config_* as its config). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|INIT_CWD$|NODE_OPTIONS$)/i.test(k));
  return { ...Object.fromEntries(kept), ...extra };
}

/** Runs a command to completion and expects exit 0; a failure shows the end of what it printed. */
export function run(what: string, cmd: string, args: readonly string[], cwd: string, env = cleanEnv()): { output: string; seconds: number } {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  expect(r.status, `${what} (${cmd} ${args.join(' ')} in ${cwd}) exited ${r.status ?? r.signal}:\n${output.slice(-6000)}`).toBe(0);
  return { output, seconds: (Date.now() - t0) / 1000 };
}

/** A port nothing listens on now (on `host`, as the server that will take it binds). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
