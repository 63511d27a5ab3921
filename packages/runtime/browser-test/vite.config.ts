import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { sourceResolve } from '../../../scripts/source-condition.mjs';

// Builds the test page; the browser tests call vite's build() with this config and their own outDir.
export default defineConfig({
  ...sourceResolve,
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  // Module workers split their dynamic imports into chunks, as an app's build does (the demo's vite.config.ts).
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: false, minify: true, emptyOutDir: true },
});
