/**
 * The stream fixture: the trainer's `stream --out` on a small synthetic stream, one artifact version per segment
 * (`segment-<t>`), for tests/stream.spec.ts (an open page that follows the versions). Reused when its stamp names
 * the same flags and every segment it needs verifies. Kept out of fixtures.ts, which vite.config.ts imports.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyAnyArtifact } from '@peelrec/format';
import { STREAM_FIXTURE } from './fixtures.js';

const trainerDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/trainer');
const STAMP = '.made-with.json';

/** Why the fixture cannot be reused; undefined when it can. */
async function stale(): Promise<string | undefined> {
  const stamp = await readFile(join(STREAM_FIXTURE.dir, STAMP), 'utf8').catch(() => undefined);
  if (stamp !== JSON.stringify(STREAM_FIXTURE.args)) return stamp === undefined ? 'not made yet' : 'made with other flags';
  for (let t = 0; t < STREAM_FIXTURE.segments; t++) {
    const dir = join(STREAM_FIXTURE.dir, `segment-${t}`);
    const problem = await verifyAnyArtifact({ read: (p) => readFile(join(dir, p)) }).then(
      () => undefined,
      (e: unknown) => (e as Error).message,
    );
    if (problem) return `segment ${t}: ${problem}`;
  }
  return undefined;
}

export async function ensureStream(log: (l: string) => void = console.log): Promise<void> {
  log('[e2e] fixture stream');
  const why = await stale();
  if (why === undefined) return;
  const args = ['stream', ...STREAM_FIXTURE.args, '--out', STREAM_FIXTURE.dir, '--results', join(STREAM_FIXTURE.dir, 'stream.json')];
  log(`[e2e] stream fixture (${why}): peelrec-train ${args.join(' ')}`);
  // tsx from the trainer's own dependencies, as the demo's scripts run it. The trainer replaces only folders it wrote.
  const child = spawn(process.execPath, ['--conditions=@peelrec/source', '--import', 'tsx', 'src/cli.ts', ...args], { cwd: trainerDir, stdio: 'inherit' });
  await new Promise<void>((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code, signal) => (code === 0 ? done() : fail(new Error(`the trainer ${signal ? `was stopped (${signal})` : `exited with status ${code}`}: peelrec-train ${args.join(' ')}`))));
  });
  await writeFile(join(STREAM_FIXTURE.dir, STAMP), JSON.stringify(STREAM_FIXTURE.args));
  const left = await stale();
  if (left !== undefined) throw new Error(`the stream fixture is unusable after training: ${left}`);
}
