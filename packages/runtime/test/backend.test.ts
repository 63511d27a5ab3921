import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError } from '../src/index.js';
import { initBackend, probeWebGpu } from '../src/backend.js';

const g = globalThis as { navigator?: unknown };
const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'navigator', original);
  else delete g.navigator;
});
function fakeGpu(adapter: unknown) {
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => adapter } }, configurable: true, writable: true });
}

describe('backend selection', () => {
  it('falls through webgpu → wasm → cpu, recording each reason and emitting fallback events', async () => {
    const events: [string, string | null, string][] = [];
    const active = await initBackend('webgpu', {}, (from, to, reason) => events.push([from, to, reason]), new Map([['wasm', 'disabled for this test']]));
    expect(active.info.name).toBe('cpu');
    expect(active.info.fallbacks).toEqual([
      { backend: 'webgpu', reason: expect.stringMatching(/navigator\.gpu is not available/) },
      { backend: 'wasm', reason: 'disabled for this test' },
    ]);
    expect(events.map(([f, t]) => [f, t])).toEqual([
      ['webgpu', 'wasm'],
      ['wasm', 'cpu'],
    ]);
  });

  it('in auto mode a software (fallback) adapter loses, and info says why', async () => {
    fakeGpu({ info: { isFallbackAdapter: true, vendor: 'google', architecture: 'swiftshader' }, limits: { maxStorageBufferBindingSize: 134217728 } });
    expect(await probeWebGpu()).toEqual({ adapter: { isFallbackAdapter: true, vendor: 'google', architecture: 'swiftshader', maxStorageBufferBindingSize: 134217728 } });
    const active = await initBackend('auto', {}, () => {}, new Map([['wasm', 'disabled for this test']]));
    expect(active.info.name).toBe('cpu');
    expect(active.info.adapter?.isFallbackAdapter).toBe(true);
    expect(active.info.fallbacks[0]).toEqual({ backend: 'webgpu', reason: expect.stringMatching(/isFallbackAdapter/) });
  });

  it('treats a rejecting or empty requestAdapter as WebGPU unavailable', async () => {
    fakeGpu(null);
    expect((await probeWebGpu()).unavailable).toMatch(/no adapter/);
    Object.defineProperty(globalThis, 'navigator', {
      value: {
        gpu: {
          requestAdapter: async () => {
            throw new Error('GPU process crashed');
          },
        },
      },
      configurable: true,
      writable: true,
    });
    expect((await probeWebGpu()).unavailable).toMatch(/GPU process crashed/);
  });

  it('asks for an adapter once per page, and says that there is none once, at debug level', async () => {
    // Chromium warns "No available adapters." on each request that finds none; a load used to ask twice.
    let requests = 0;
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => (requests++, null) } }, configurable: true, writable: true });
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    try {
      expect((await probeWebGpu()).unavailable).toMatch(/no adapter/);
      const active = await initBackend('auto', {}, () => {}, new Map([['wasm', 'disabled for this test']]));
      expect(active.info.fallbacks[0]).toEqual({ backend: 'webgpu', reason: 'requestAdapter returned no adapter' });
      await probeWebGpu();
      expect(requests).toBe(1);
      expect(debug.mock.calls).toEqual([[expect.stringMatching(/^\[peelrec\] WebGPU: requestAdapter returned no adapter/)]]);
    } finally {
      debug.mockRestore();
    }
  });

  it('asks again after a request that failed (it may have been transient)', async () => {
    let requests = 0;
    Object.defineProperty(globalThis, 'navigator', {
      value: {
        gpu: {
          requestAdapter: async () => {
            requests++;
            throw new Error('GPU process crashed');
          },
        },
      },
      configurable: true,
      writable: true,
    });
    expect((await probeWebGpu()).unavailable).toMatch(/GPU process crashed/);
    await new Promise((r) => setTimeout(r, 0));
    expect((await probeWebGpu()).unavailable).toMatch(/GPU process crashed/);
    expect(requests).toBe(2);
  });

  it('throws BackendUnavailableError listing every attempt when nothing works', async () => {
    const err = await initBackend(
      'wasm',
      {},
      () => {},
      new Map([
        ['wasm', 'no wasm'],
        ['cpu', 'no cpu'],
      ]),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.message).toMatch(/wasm: no wasm; cpu: no cpu/);
  });

  it('rejects an unknown backend name', async () => {
    await expect(initBackend('gpu' as never, {}, () => {})).rejects.toThrow(/backend must be/);
  });
});
