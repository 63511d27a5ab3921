/**
 * Internal switches for browser-test/perf: each picks between two scoring paths the product really has (the
 * fused kernel or matMul, relaxed or plain SIMD, the plain cpu loop or tfjs-cpu), so one page can time both side
 * by side. Not exported from index.ts; the defaults are the product. Load-path experiments (parallel backend
 * start, trusting a byte-identical cached manifest, batched cache reads) won and are no longer switches: the
 * startup bench compares against its recorded baseline instead.
 */
export const runtimeTuning = {
  /** Read when a backend starts: on wasm, packed tensors scored by the fused kernel (wasm-scan.ts) instead of matMul + readback + JS top-k. */
  kernel: true,
  /** Read when a backend starts: the kernel's relaxed-SIMD build (fused multiply-add) where the engine has it; false: plain SIMD. */
  relaxedSimd: true,
  /** On the cpu backend, score with the plain loop of js-scan.ts instead of tfjs-cpu's matMul. */
  jsScan: true,
};
