import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend.js';

// The WASM backend's code, as a stand-in that registers an inert 'wasm' backend: the test needs no wasm binary.
vi.mock('@tensorflow/tfjs-backend-wasm', () => import('./fixtures/wasm-stand-in.js'));

describe('backend start-up', () => {
  it("a page scoring on WASM never loads the CPU backend's code", async () => {
    const active = await initBackend('wasm', { wasmPaths: 'https://peelrec.test/wasm/' }, () => {});
    expect(active.info.name).toBe('wasm');
    // Loading the CPU backend's code registers it: nothing in this file scores on it.
    expect(tf.findBackendFactory('cpu')).toBeNull();
  });
});

describe('concurrent starts', () => {
  it('two recommenders starting WASM at once both get it, with no fallback, and the page keeps one backend', async () => {
    class Inert extends tf.KernelBackend {
      override dispose(): void {}
    }
    tf.removeBackend('wasm');
    // A slow asynchronous init, as the real WASM backend's: both starts are in flight together.
    tf.registerBackend('wasm', () => new Promise<tf.KernelBackend>((resolve) => setTimeout(() => resolve(new Inert()), 20)));
    const fallbacks: string[] = [];
    const onFallback = (from: string, to: string | null, reason: string) => void fallbacks.push(`${from} → ${to}: ${reason}`);
    const [a, b] = await Promise.all([initBackend('wasm', {}, onFallback), initBackend('wasm', {}, onFallback)]);
    expect(fallbacks).toEqual([]);
    expect([a.info.name, b.info.name]).toEqual(['wasm', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
  });
});
