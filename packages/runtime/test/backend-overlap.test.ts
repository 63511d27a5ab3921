import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../src/backend.js';

// When the WASM backend's code is imported: the stand-in records it (and registers an inert 'wasm' backend).
const imported = vi.hoisted(() => ({ at: undefined as number | undefined }));
vi.mock('@tensorflow/tfjs-backend-wasm', async () => {
  imported.at = performance.now();
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().registerFlag('WASM_HAS_MULTITHREAD_SUPPORT', () => false);
  tf.env().registerFlag('WASM_HAS_SIMD_SUPPORT', async () => true);
  tf.registerBackend(
    'wasm',
    () =>
      new (class extends tf.KernelBackend {
        override dispose(): void {}
      })(),
  );
  return { setWasmPaths: () => {} };
});

afterEach(() => vi.unstubAllGlobals());

describe('backend start-up in auto', () => {
  it("imports the WASM backend's code while WebGPU is still being probed", async () => {
    let answer!: (adapter: null) => void;
    const requestAdapter = vi.fn(() => new Promise<null>((resolve) => (answer = resolve)));
    vi.stubGlobal('navigator', { gpu: { requestAdapter } });
    const started = initBackend('auto', { wasmPaths: 'https://peelrec.test/wasm/' }, () => {});
    await vi.waitFor(() => expect(imported.at).toBeDefined());
    // The probe has not answered: before this change the import waited for it.
    expect(requestAdapter).toHaveBeenCalledTimes(1);
    answer(null);
    const active = await started;
    expect(active.info.name).toBe('wasm');
    expect(active.info.fallbacks).toEqual([{ backend: 'webgpu', reason: 'requestAdapter returned no adapter' }]);
  });
});
