/**
 * The suite's web servers (Playwright `webServer`): trains or reuses the
 * fixtures, builds the demo and the harness as production bundles (the
 * minified, cross-origin-isolated build is what users get), and serves both.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { DEMO_PORT, ensureFixtures, METHODS_FIXTURE } from './fixtures.js';
import { ensureMillion } from './million.js';
import { ensureStream } from './stream.js';

const here = dirname(fileURLToPath(import.meta.url));
const demoConfig = resolve(here, '../../vite.config.ts');
const harnessConfig = resolve(here, '../vite.config.ts');
// The suite's own build of the demo: `npm run demo` (which builds into apps/demo/dist) may run meanwhile.
const demoBuild = { outDir: resolve(here, '../dist/demo'), emptyOutDir: true };

async function main(): Promise<void> {
  const t0 = Date.now();
  await ensureFixtures();
  await ensureMillion();
  await ensureStream();
  delete process.env.PEELREC_MODEL_DIR; // the demo under test serves its embedded default
  process.env.PEELREC_METHODS_DIR = METHODS_FIXTURE.dir; // and the suite's small method comparison (vite.config.ts)
  await build({ configFile: demoConfig, logLevel: 'warn', build: demoBuild });
  await build({ configFile: harnessConfig, logLevel: 'warn' });
  const demo = await preview({ configFile: demoConfig, build: demoBuild, preview: { port: DEMO_PORT, strictPort: true } });
  const harness = await preview({ configFile: harnessConfig });
  console.log(`[e2e] demo ${demo.resolvedUrls?.local[0]} harness ${harness.resolvedUrls?.local[0]} ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  console.error(`[e2e] ${(e as Error).stack ?? e}`);
  process.exit(1);
});
