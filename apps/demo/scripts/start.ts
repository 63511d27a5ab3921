/**
 * `npm run demo`: prepare the model, build the demo, serve it on localhost.
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
import { build, preview } from 'vite';
import { checkPortFree, demoPort } from './port.js';
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
  let stopping = false;
  const stop = () => {
    if (stopping) return; // the terminal's SIGINT and the one scripts/run.mjs passes on
    stopping = true;
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
