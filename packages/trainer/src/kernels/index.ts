/**
 * Trainer compute kernels: a WebAssembly SIMD GEMM (wasm/gemm.wat, assembled with wabt at first use),
 * a shared-memory heap the kernel and worker threads operate on, and a deterministic worker pool.
 */
export { Gemm, matmul, scoreMatrix, type GemmCall } from './gemm.js';
export { SharedHeap, heapBytes } from './heap.js';
export { WorkerPool, defaultThreads } from './pool.js';
export { gemmModule, assembleGemmWasm, GEMM_WAT_URL } from './gemm-module.js';
