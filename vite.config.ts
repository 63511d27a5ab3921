/**
 * The demo app's Vite config (root: apps/demo).
 *
 * - COOP/COEP on dev and preview: the demo runs cross-origin isolated, as the
 *   e2e harness serves its build. Isolation would let tfjs-wasm use threads
 *   (SharedArrayBuffer), but the runtime keeps WASM single-threaded: threaded
 *   tfjs-wasm 4.22.0 hangs setBackend('wasm') in a minified, cross-origin-isolated
 *   build (packages/runtime/src/backend.ts).
 * - `public/` is the static root: the embedded default model lives in
 *   public/models/demo (gitignored, prepared by `npm run demo`: apps/demo/scripts/demo-model.ts).
 * - PEELREC_MODEL_DIR serves another artifact directory at /models/custom/
 *   (not copied into the build: a Gowalla artifact is hundreds of MB) and makes
 *   it the demo's default model.
 * - /models/methods/ is the method comparison's folder (apps/demo/scripts/demo-methods.ts; PEELREC_METHODS_DIR
 *   for another, as the e2e suite's), served as it is on disk: `npm run demo` fills it after the server is up.
 * - The service worker (src/sw.ts) is emitted as /sw.js with the list of built
 *   files injected, so the app shell works offline after the first load.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// Type-only: the repo root has no node_modules/vite of its own (Vite lives in apps/demo and e2e).
import type { Plugin, UserConfig } from 'vite';
import { DEMO_METHODS } from './apps/demo/scripts/demo-methods.js';
import { DEMO_MODEL } from './apps/demo/scripts/demo-model.js';
import { isolationHeaders } from './apps/demo/scripts/isolation-headers.js';
import { serveArtifactDirs } from './apps/demo/scripts/serve-artifacts.js';
import { sourceResolve } from './scripts/source-condition.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const demoRoot = resolve(here, 'apps/demo');

function customModelDir(): string | undefined {
  const dir = process.env.PEELREC_MODEL_DIR;
  if (!dir) return undefined;
  const abs = resolve(process.env.INIT_CWD ?? process.cwd(), dir); // relative to where `npm run …` was typed
  if (!existsSync(resolve(abs, 'manifest.json'))) {
    throw new Error(`PEELREC_MODEL_DIR=${dir}: no manifest.json there (train one with \`npm run train -- ... --out ${dir}\`)`);
  }
  return abs;
}

function methodsDir(): string {
  const dir = process.env.PEELREC_METHODS_DIR;
  return dir ? resolve(process.env.INIT_CWD ?? process.cwd(), dir) : DEMO_METHODS.dir;
}

/** Replaces `self.__PRECACHE_MANIFEST` in sw.js with every emitted file (hashed names need no revision). */
function precacheManifest(): Plugin {
  return {
    name: 'peelrec:precache-manifest',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const sw = Object.values(bundle).find((f) => f.type === 'chunk' && f.fileName === 'sw.js');
      if (sw?.type !== 'chunk') return;
      const entries = Object.values(bundle)
        .filter((f) => f.fileName !== 'sw.js' && !f.fileName.endsWith('.map'))
        .map((f) => {
          const hashed = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(f.fileName);
          const body = f.type === 'chunk' ? f.code : f.source;
          const revision = hashed ? null : createHash('sha256').update(body).digest('hex').slice(0, 16);
          return { url: f.fileName, revision };
        });
      sw.code = sw.code.replace('self.__PRECACHE_MANIFEST', JSON.stringify(entries));
    },
  };
}

export default (): UserConfig => {
  // Vitest looks for a config up the tree: packages without their own (format, trainer) must not inherit the demo's root.
  if (process.env.VITEST) return { ...sourceResolve };
  const custom = customModelDir();
  return {
    ...sourceResolve,
    root: demoRoot,
    base: './',
    publicDir: resolve(here, 'public'),
    define: {
      __PEELREC_DEFAULT_MANIFEST__: JSON.stringify(custom ? 'models/custom/manifest.json' : DEMO_MODEL.manifestPath),
    },
    plugins: [serveArtifactDirs({ ...(custom ? { '/models/custom/': custom } : {}), '/models/methods/': methodsDir() }, isolationHeaders), precacheManifest()],
    server: { headers: isolationHeaders, port: 5173, strictPort: false },
    preview: { headers: isolationHeaders, port: Number(process.env.PORT ?? 4173), strictPort: true, host: 'localhost' },
    build: {
      outDir: resolve(demoRoot, 'dist'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      rollupOptions: {
        input: { index: resolve(demoRoot, 'index.html'), sw: resolve(demoRoot, 'src/sw.ts') },
        // Copying public/models dominates the build on purpose; the timing report says nothing actionable.
        checks: { pluginTimings: false },
        output: {
          entryFileNames: (chunk: { name: string }) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
        },
      },
    },
    worker: { format: 'es' },
  };
};
