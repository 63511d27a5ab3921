/**
 * Builds and serves the e2e harness page (e2e/harness). Models are served
 * straight from disk under /models/<name>/: the demo's default synthetic
 * model and the fixtures the suite trains (see scripts/fixtures.ts).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserConfig } from 'vite';
import { serveArtifactDirs } from '../apps/demo/scripts/serve-artifacts.js';
import { isolationHeaders } from '../apps/demo/scripts/isolation-headers.js';
import { sourceResolve } from '../scripts/source-condition.mjs';
import { HARNESS_PORT, modelMounts } from './scripts/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));

export default (): UserConfig => ({
  ...sourceResolve,
  root: resolve(here, 'harness'),
  base: '/',
  publicDir: false,
  // no-store: every fetch reaches the server, so the suite counts real downloads.
  plugins: [serveArtifactDirs(modelMounts(), isolationHeaders, { cacheControl: 'no-store' })],
  preview: { headers: isolationHeaders, port: HARNESS_PORT, strictPort: true, host: 'localhost' },
  build: { outDir: resolve(here, 'dist/harness'), emptyOutDir: true, target: 'es2022', sourcemap: true, rollupOptions: { checks: { pluginTimings: false } } },
  worker: { format: 'es' },
});
