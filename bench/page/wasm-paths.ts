/**
 * The tfjs wasm binaries' URLs (Vite `?url` imports: dev pre-bundling breaks tfjs's own wasm paths). A module of
 * its own so that the start-up page loads what an app's page would, not the scoring bench's artifact code.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url';

export const TFJS_WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};
