import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// Builds the test page; the browser tests call vite's build() with this config and their own outDir.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  build: { target: 'es2022', sourcemap: false, minify: true, emptyOutDir: true },
});
