import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend.js';

// The WASM backend's code, as a stand-in that registers an inert 'wasm' backend with the flags initBackend reads:
// the test needs no wasm binary.
vi.mock('@tensorflow/tfjs-backend-wasm', async () => {
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().registerFlag('WASM_HAS_MULTITHREAD_SUPPORT', () => false);
  tf.env().registerFlag('WASM_HAS_SIMD_SUPPORT', async () => true);
  tf.registerBackend('wasm', () => new tf.KernelBackend());
  return { setWasmPaths: () => {} };
});

describe('backend start-up', () => {
  it("a page scoring on WASM never loads the CPU backend's code", async () => {
    const active = await initBackend('wasm', { wasmPaths: 'https://peelrec.test/wasm/' }, () => {});
    expect(active.info.name).toBe('wasm');
    // Loading the CPU backend's code registers it: nothing in this file scores on it.
    expect(tf.findBackendFactory('cpu')).toBeNull();
  });
});
