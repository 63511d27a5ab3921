/**
 * The scan kernel is compiled once per page (wasm-scan.ts, `compileKernel`): recommenders created one after another
 * on tfjs-wasm, of either table kind (the dense scan and the sparse scan are exports of one module), share the
 * compiled module and each instantiate it on their own, since memory and scratch belong to each instance.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { SCAN_WASM_RELAXED_BASE64, SCAN_WASM_SIMD_BASE64 } from '../src/kernel/scan-wasm.js';
import { tracking } from './fixtures/tracked.js';
import { kindHarness } from './kind-helpers.js';

const { track } = tracking();

/** Byte lengths of the kernel's builds: how a compile of the kernel is told from tfjs-wasm's own module. */
const KERNEL_SIZES = new Set([SCAN_WASM_RELAXED_BASE64, SCAN_WASM_SIMD_BASE64].map((b) => atob(b).length));
const isKernelBytes = (source: unknown) => ArrayBuffer.isView(source) && KERNEL_SIZES.has(source.byteLength);

beforeAll(() => {
  // Node 20's V8 has relaxed SIMD behind a flag: the registry's first build then compiles and serves.
  setFlagsFromString('--experimental-wasm-relaxed-simd');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the scan kernel', () => {
  it('is compiled once for every recommender of the page, and instantiated per recommender', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile');
    const instantiate = vi.spyOn(WebAssembly, 'instantiate');
    // instantiate(bytes) compiles too: both count as a compile of the kernel.
    const compiles = () => compile.mock.calls.filter(([s]) => isKernelBytes(s)).length + instantiate.mock.calls.filter(([s]) => isKernelBytes(s)).length;
    // Instances of the kernel's compiled modules (tfjs-wasm instantiates its own module as well).
    const instances = async () => {
      const kernels = compile.mock.calls.flatMap(([s], i) => (isKernelBytes(s) ? [compile.mock.results[i]!.value as Promise<WebAssembly.Module>] : []));
      const modules = new Set(await Promise.all(kernels));
      return instantiate.mock.calls.filter(([s]) => s instanceof WebAssembly.Module && modules.has(s)).length;
    };

    const mixed = await kindHarness({ kind: 'mixed' });
    const first = track(await mixed.open({ backend: 'wasm', storage: 'memory' }));
    expect(first.info.backend.name).toBe('wasm');
    expect(compiles()).toBe(1);
    const once = await instances();

    track(await mixed.open({ backend: 'wasm', storage: 'memory' }));
    expect(compiles()).toBe(1);
    expect(once).toBeGreaterThan(0);
    expect(await instances()).toBe(2 * once);

    // The sparse scan is another export of the same module.
    const sparse = await kindHarness({ kind: 'sparse' });
    const third = track(await sparse.open({ backend: 'wasm', storage: 'memory' }));
    expect(third.info.backend.name).toBe('wasm');
    expect(compiles()).toBe(1);
    expect(await instances()).toBeGreaterThan(2 * once);
    // Each recommender still scores with its own instance.
    expect(await first.recommend({ user: { id: '0' }, k: 3 })).toHaveLength(3);
    expect(await third.recommend({ user: { id: '0' }, k: 3 })).toHaveLength(3);
  });
});
