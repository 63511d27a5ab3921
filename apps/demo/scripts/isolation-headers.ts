/**
 * Headers that make a page cross-origin isolated (COOP/COEP), which makes
 * SharedArrayBuffer available; the runtime still keeps tfjs-wasm
 * single-threaded (vite.config.ts says why). Everything the demo and the
 * e2e harness load is same-origin, so `require-corp` blocks nothing.
 */
export const isolationHeaders: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
