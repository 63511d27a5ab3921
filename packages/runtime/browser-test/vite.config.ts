import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { sourceResolve } from '../../../scripts/source-condition.mjs';

// Builds the test page; the browser tests call vite's build() with this config and their own outDir.
export default defineConfig({
  ...sourceResolve,
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  build: { target: 'es2022', sourcemap: false, minify: true, emptyOutDir: true },
});
