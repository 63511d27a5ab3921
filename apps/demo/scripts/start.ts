/**
 * `npm run demo`: prepare the models, build the demo, serve it on localhost, then prepare the method comparison
 * (prepare-methods.ts: minutes of CPU on a first run) while the page is already up.
 *
 *   PEELREC_MODEL_DIR=/path/to/artifact  serve that artifact (e.g. the Gowalla
 *                                        one from `npm run train`) instead of
 *                                        the demo's own models (public/models)
 *   PORT=4173                            preview port (default 4173; a busy one is
 *                                        reported before building)
 *
 * Ctrl-C stops the server and exits 0: stopping is how the demo ends, not a failure.
 */
import { resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { build, preview } from 'vite';
import { checkPortFree, demoPort } from './port.js';
import { ensureMethodArtifacts } from './prepare-methods.js';
import { checkArtifact, ensureDemoModels, repoRoot } from './prepare-model.js';

const configFile = resolve(repoRoot, 'vite.config.ts');

async function main(): Promise<void> {
  const port = demoPort();
  process.env.PORT = String(port); // vite.config.ts reads it
  await checkPortFree(port);
  // Relative to where the user typed `npm run demo` (pnpm runs this script inside apps/demo).
  const custom = process.env.PEELREC_MODEL_DIR && resolve(process.env.INIT_CWD ?? process.cwd(), process.env.PEELREC_MODEL_DIR);
  if (custom) {
    process.env.PEELREC_MODEL_DIR = custom; // vite.config.ts reads it
    const found = await checkArtifact(custom);
    if (!found.ok) throw new Error(`PEELREC_MODEL_DIR=${custom} does not hold a valid artifact: ${found.reason}`);
    console.log(`[peelrec] serving ${found.manifest.model.id} from ${custom}`);
  } else {
    await ensureDemoModels();
  }
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({ configFile });
  const url = server.resolvedUrls?.local[0] ?? `http://localhost:${server.config.preview.port}/`;
  console.log(`\n  peelrec demo: ${url}\n  (Ctrl+C to stop)\n`);
  let trainer: ChildProcess | undefined;
  let stopping = false;
  if (!custom) {
    // After the server: the page and its own model need none of it; the Compare methods card says "preparing".
    ensureMethodArtifacts(undefined, { background: true, onSpawn: (c) => void (trainer = c) }).catch((e: unknown) => {
      if (!stopping) console.error(`[peelrec] the method comparison failed (the page's card says so): ${(e as Error).message}`);
    });
  }
  const stop = () => {
    if (stopping) return; // the terminal's SIGINT and the one scripts/run.mjs passes on
    stopping = true;
    trainer?.kill();
    void server.close().then(() => {
      console.log('[peelrec] demo stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`[peelrec] ${(e as Error).message}`);
  process.exit(1);
});
