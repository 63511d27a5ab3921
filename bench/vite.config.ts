import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { sourceResolve } from '../scripts/source-condition.mjs';
import { watPlugin } from './src/wat-plugin.js';

const page = resolve(import.meta.dirname, 'page');

// The benchmark pages, built once per run and served by src/server.ts (COOP/COEP).
export default defineConfig({
  ...sourceResolve,
  root: page,
  base: '/',
  logLevel: 'warn',
  plugins: [watPlugin()],
  // The scorer Worker imports the kernels too.
  worker: { format: 'es', plugins: () => [watPlugin()] },
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Keep the wasm binaries as files: they are fetched by URL, as in an app.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 8192,
    rollupOptions: {
      input: {
        bench: resolve(page, 'bench.html'),
        startup: resolve(page, 'startup.html'),
      },
    },
  },
});
