/**
 * Where the tfjs-backend-wasm binaries are when the app does not say (`wasmPaths`): found the way bundlers
 * understand, `new URL('<literal>', import.meta.url)`: Vite (e2e/tests/package.spec.ts) and webpack 5 copy each
 * binary into the build and rewrite the URL; Rollup and esbuild need an import-meta-assets plugin. Without a
 * bundler, pass `wasmPaths`.
 *
 * The literals name the peer package: Vite resolves them in the workspace sources, and the published build
 * (scripts/build-package.mjs) rewrites them to the path from dist/ to the installed peer, which Vite's dev server
 * and webpack need.
 */
export type WasmPaths = Readonly<Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>>;

/** The bundled binaries' URLs; undefined in Node (a `file:` module), where tfjs-backend-wasm reads its own files. */
export function bundledWasmPaths(): WasmPaths | undefined {
  if (import.meta.url.startsWith('file:')) return undefined;
  try {
    const simd = new URL('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', import.meta.url).href;
    return {
      'tfjs-backend-wasm.wasm': new URL('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm', import.meta.url).href,
      'tfjs-backend-wasm-simd.wasm': simd,
      // Never fetched: threads stay off (backend.ts), and setWasmPaths wants an entry for every binary. Naming the
      // threaded binary would make every app's build carry 0.5 MB it never loads.
      'tfjs-backend-wasm-threaded-simd.wasm': simd,
    };
  } catch {
    return undefined; // a module URL that cannot be a base (a blob: worker): tfjs-backend-wasm's own guess
  }
}
