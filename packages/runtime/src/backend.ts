/**
 * Chooses and initialises the TF.js backend: webgpu, then wasm, then cpu.
 *
 * The WebGPU adapter is probed before TF.js touches it. In `auto` mode a
 * software adapter (`isFallbackAdapter`, e.g. SwiftShader: ~400× slower than
 * WASM on the machines we measured) loses to WASM. `setBackend` reports
 * failure by throwing or by resolving false; both move on to the next backend
 * and are recorded as fallbacks. The backends load lazily (dynamic import), so
 * an app on the cpu path never downloads the WebGPU or WASM code, and one on
 * WebGPU or WASM never loads the CPU backend's.
 */
import { BROWSER_API_MS, within } from './bounded.js';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo, BackendName, BackendPreference, RecommenderOptions } from './types.js';
import { BackendUnavailableError } from './errors.js';
import { bundledWasmPaths } from './wasm-assets.js';

interface AdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { readonly isFallbackAdapter?: boolean; readonly vendor?: string; readonly architecture?: string };
  readonly limits?: { readonly maxStorageBufferBindingSize?: number };
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

export interface AdapterProbe {
  readonly adapter?: NonNullable<BackendInfo['adapter']>;
  /** Why WebGPU cannot be used at all; undefined when an adapter exists. */
  readonly unavailable?: string;
}

/**
 * The answer for each `navigator.gpu` (one per page or worker): Chromium warns "No available adapters." on
 * every request that finds none, and a load asks twice (whether the budget must wait for WebGPU, then the
 * backend), so only the first request is made. Failed or unanswered requests are asked again by the next load.
 */
const probes = new WeakMap<GpuLike, Promise<AdapterProbe>>();

/** When this is the scoring worker of a page without `navigator.gpu` (WebGPU switched off there): why (worker-recommender.ts). */
let adopted: AdapterProbe | undefined;

/** Takes the page's "no WebGPU" as this worker's, so that a page's WebGPU switch-off counts here too. */
export function adoptWebGpuProbe(probe: AdapterProbe): void {
  adopted = probe;
}

/** Asks for a WebGPU adapter without creating a device (once per page); a request unanswered within `ms` counts as no WebGPU. */
export function probeWebGpu(ms = BROWSER_API_MS): Promise<AdapterProbe> {
  if (adopted) return Promise.resolve(adopted);
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) return Promise.resolve({ unavailable: 'navigator.gpu is not available (WebGPU unsupported or disabled)' });
  let probe = probes.get(gpu);
  if (!probe) {
    const asked = requestAdapter(gpu, ms);
    probe = asked.then(({ probe: p }) => p);
    probes.set(gpu, probe);
    void asked.then(({ failed }) => failed && probes.delete(gpu));
  }
  return probe;
}

async function requestAdapter(gpu: GpuLike, ms: number): Promise<{ probe: AdapterProbe; failed?: boolean }> {
  let adapter: AdapterLike | null;
  try {
    adapter = await within(gpu.requestAdapter({ powerPreference: 'high-performance' }), ms, 'WebGPU requestAdapter');
  } catch (e) {
    return { probe: { unavailable: `requestAdapter failed: ${(e as Error)?.message ?? e}` }, failed: true };
  }
  if (!adapter) {
    // Once per page, at debug level: no WebGPU is an ordinary outcome (info.backend.fallbacks says so too).
    console.debug('[peelrec] WebGPU: requestAdapter returned no adapter; scoring on WASM or CPU');
    return { probe: { unavailable: 'requestAdapter returned no adapter' } };
  }
  const found = {
    isFallbackAdapter: Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter),
    vendor: adapter.info?.vendor || undefined,
    architecture: adapter.info?.architecture || undefined,
    maxStorageBufferBindingSize: adapter.limits?.maxStorageBufferBindingSize,
  };
  return { probe: { adapter: found } };
}

export interface ActiveBackend {
  readonly info: BackendInfo;
  /** The device's binding limit when the active backend is WebGPU (a budget input). */
  readonly maxStorageBufferBindingSize?: number;
  /** Resolves with a reason if the GPU device is lost; never resolves for other backends. */
  readonly lost: Promise<string>;
}

type Options = Pick<RecommenderOptions, 'wasmPaths' | 'timeouts'>;

const ORDER: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

/** The start in progress on this page: tfjs' backend is global, so starts take turns (see initBackend). */
let starting: Promise<unknown> = Promise.resolve();

/**
 * Initialises the first usable backend from `preference` onwards. `skip`
 * holds backends known to be broken (a lost device) with their reasons.
 * Starts on one page run one after another: two concurrent `tf.setBackend('wasm')`
 * calls each initialise a backend and tfjs answers the older one `false`, so a
 * recommender whose load had already failed fell back to 'cpu' and switched the
 * page's backend under the next recommender's scorer.
 * @throws BackendUnavailableError when none works.
 */
export function initBackend(
  preference: BackendPreference,
  options: Options,
  onFallback: (from: BackendName, to: BackendName | null, reason: string) => void,
  skip: ReadonlyMap<BackendName, string> = new Map(),
): Promise<ActiveBackend> {
  const run = starting.then(() => startBackend(preference, options, onFallback, skip));
  starting = run.catch(() => undefined);
  return run;
}

async function startBackend(
  preference: BackendPreference,
  options: Options,
  onFallback: (from: BackendName, to: BackendName | null, reason: string) => void,
  skip: ReadonlyMap<BackendName, string>,
): Promise<ActiveBackend> {
  const start = preference === 'auto' ? 0 : ORDER.indexOf(preference);
  if (start < 0) throw new RangeError(`backend must be 'auto', 'webgpu', 'wasm' or 'cpu', got ${String(preference)}`);
  const fallbacks: { backend: BackendName; reason: string }[] = [];
  let adapter: BackendInfo['adapter'];
  const fail = (backend: BackendName, reason: string) => {
    fallbacks.push({ backend, reason });
    const next = ORDER[ORDER.indexOf(backend) + 1] ?? null;
    onFallback(backend, next, reason);
  };

  // The WASM backend's code loads while WebGPU is probed (issue 26: the probe took 10–80 ms before the import began):
  // in 'auto' WASM is the usual outcome, and on a WebGPU device the cost is one chunk of code, not the binary.
  const wasmCode = ORDER.slice(start).includes('wasm') && !skip.has('wasm') ? importWasmBackend() : undefined;
  for (const name of ORDER.slice(start)) {
    const skipped = skip.get(name);
    if (skipped) {
      fail(name, skipped);
      continue;
    }
    if (name === 'webgpu') {
      const probe = await probeWebGpu(options.timeouts?.browserApiMs);
      adapter = probe.adapter;
      if (!probe.adapter) {
        fail(name, probe.unavailable!);
        continue;
      }
      if (preference === 'auto' && probe.adapter.isFallbackAdapter) {
        fail(name, 'the WebGPU adapter is a software fallback (isFallbackAdapter); WASM is faster');
        continue;
      }
      try {
        await import('@tensorflow/tfjs-backend-webgpu');
      } catch (e) {
        fail(name, `loading the WebGPU backend failed: ${(e as Error)?.message ?? e}`);
        continue;
      }
    }
    if (name === 'cpu') {
      // Loaded only here: imported statically, it (and the tfjs-core code only it uses) was 151 of the 437 KB of
      // code the bench's start-up page loaded before its first line ran (issue 26).
      try {
        await import('@tensorflow/tfjs-backend-cpu');
      } catch (e) {
        fail(name, `loading the CPU backend failed: ${(e as Error)?.message ?? e}`);
        continue;
      }
    }
    let wasm: BackendInfo['wasm'];
    if (name === 'wasm') {
      try {
        const mod = await (wasmCode ?? importWasmBackend());
        // Threaded tfjs-wasm 4.22.0 hangs setBackend('wasm') in a minified, cross-origin-isolated Vite
        // build (reproduced in Chromium 156: no progress in 120 s, repeated page ErrorEvents), so threads stay off.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        const paths = options.wasmPaths ?? bundledWasmPaths();
        if (paths) setWasmPathsOnce(mod.setWasmPaths, paths);
      } catch (e) {
        fail(name, `loading the WASM backend failed: ${(e as Error)?.message ?? e}`);
        continue;
      }
    }
    const reason = await setBackend(name);
    if (reason) {
      fail(name, reason);
      continue;
    }
    if (name === 'wasm') {
      wasm = {
        simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
        threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      };
    }
    let maxStorageBufferBindingSize: number | undefined;
    let lost: Promise<string> = new Promise(() => {});
    if (name === 'webgpu') {
      const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number }; lost?: Promise<{ message?: string; reason?: string }> } }).device;
      maxStorageBufferBindingSize = device?.limits?.maxStorageBufferBindingSize ?? adapter?.maxStorageBufferBindingSize;
      if (device?.lost) lost = device.lost.then((i) => `GPU device lost (${i?.reason ?? 'unknown'}${i?.message ? `: ${i.message}` : ''})`);
    }
    return {
      info: { name, requested: preference, fallbacks, ...(adapter && { adapter }), ...(wasm && { wasm }) },
      maxStorageBufferBindingSize,
      lost,
    };
  }
  throw new BackendUnavailableError(fallbacks);
}

function importWasmBackend(): Promise<typeof import('@tensorflow/tfjs-backend-wasm')> {
  const code = import('@tensorflow/tfjs-backend-wasm');
  code.catch(() => undefined); // reported where it is awaited; unawaited when WebGPU starts
  return code;
}

/** `setBackend` may throw or resolve false; returns the reason, or undefined on success. */
async function setBackend(name: BackendName): Promise<string | undefined> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    if (tf.getBackend() !== name) return `tf.getBackend() is '${tf.getBackend()}' after setBackend('${name}')`;
    return undefined;
  } catch (e) {
    return `tf.setBackend('${name}') threw: ${(e as Error)?.message ?? e}`;
  }
}

let wasmPathsSet = false;
/** setWasmPaths throws once the backend was initialised; the first recommender's paths win for the page. */
function setWasmPathsOnce(set: (paths: string | Record<string, string>) => void, paths: NonNullable<Options['wasmPaths']>): void {
  if (wasmPathsSet) return;
  set(paths as string | Record<string, string>);
  wasmPathsSet = true;
}
