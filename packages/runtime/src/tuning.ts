/**
 * Internal switches, so browser-test/perf can measure a change against the
 * previous behaviour side by side in one page. Not exported from index.ts;
 * the defaults are the product.
 */
export const runtimeTuning = {
  /** Read when a backend starts: on wasm, packed tensors scored by the fused kernel (wasm-scan.ts) instead of matMul + readback + JS top-k. */
  kernel: true,
  /** Read when a backend starts: the kernel's relaxed-SIMD build (fused multiply-add) where the engine has it; false: plain SIMD. */
  relaxedSimd: true,
  /** Start the backend (WASM fetch + compile) while the manifest loads. */
  parallelBackend: true,
  /** On the cpu backend, score with the plain loop of js-scan.ts instead of tfjs-cpu's matMul. */
  jsScan: true,
  /** Skip re-hashing a manifest byte-identical to the cached version's (verified when it was stored). */
  trustCachedManifest: true,
  /** Read cached files in one IndexedDB transaction and verify them concurrently, instead of one get + hash after another. */
  batchCacheReads: true,
};
