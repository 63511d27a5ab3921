import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../src/backend.js';
import { wasmImportedAt } from './fixtures/wasm-stand-in-state.js';

// The WASM backend's code, as a stand-in that records when it was imported.
vi.mock('@tensorflow/tfjs-backend-wasm', () => import('./fixtures/wasm-stand-in.js'));

afterEach(() => vi.unstubAllGlobals());

describe('backend start-up in auto', () => {
  it("imports the WASM backend's code while WebGPU is still being probed", async () => {
    let answer!: (adapter: null) => void;
    const requestAdapter = vi.fn(() => new Promise<null>((resolve) => (answer = resolve)));
    vi.stubGlobal('navigator', { gpu: { requestAdapter } });
    const started = initBackend('auto', { wasmPaths: 'https://peelrec.test/wasm/' }, () => {});
    await vi.waitFor(() => expect(wasmImportedAt()).toBeDefined());
    // The probe has not answered: before this change the import waited for it.
    expect(requestAdapter).toHaveBeenCalledTimes(1);
    answer(null);
    const active = await started;
    expect(active.info.name).toBe('wasm');
    expect(active.info.fallbacks).toEqual([{ backend: 'webgpu', reason: 'requestAdapter returned no adapter' }]);
  });
});
