/**
 * Memory at one budget: the runtime's resident embedding bytes as it reports
 * them and as TF.js counts its tensors, the wasm heap, and the JS heap
 * (performance.memory; the driver adds CDP's heap usage after a forced GC).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRecommender, type BackendName } from '@peelrec/runtime';
import { TFJS_WASM_PATHS, userOfGroup } from './common.js';
import { fetchSource, readManifest } from '@peelrec/format';

export interface MemoryCase {
  readonly catalog: string;
  readonly manifestUrl: string;
  readonly budgetBytes: number;
  readonly backend: BackendName;
}

export interface MemoryRow {
  readonly catalog: string;
  readonly items: number;
  readonly budgetBytes: number;
  readonly backend: string;
  readonly dtype: string;
  /** `rec.info.residentBytes`. */
  readonly residentBytes: number;
  /** `tf.memory().numBytes` after a recommendation: every live tensor. */
  readonly tensorBytes: number;
  readonly tensors: number;
  /** Size of the tfjs wasm module's linear memory (grows, never shrinks), when the backend is wasm. */
  readonly wasmMemoryBytes: number | null;
}

export async function runMemoryCase(spec: MemoryCase): Promise<MemoryRow> {
  const manifest = await readManifest(fetchSource(spec.manifestUrl), { userGroups: [] });
  const user = await userOfGroup(manifest, spec.manifestUrl, 0);
  const rec = await createRecommender({
    // On this page's thread: the bench times its kernel and reads its tensors (tf.memory, the bound's wasm memory).
    worker: false,
    manifestUrl: spec.manifestUrl,
    budget: spec.budgetBytes,
    backend: spec.backend,
    storage: 'memory',
    wasmPaths: TFJS_WASM_PATHS,
    userGroup: 0,
    metadata: false,
  });
  try {
    if (rec.info.backend.name !== spec.backend) throw new Error(`asked for ${spec.backend}, got ${rec.info.backend.name}`);
    await rec.recommend({ user: { vector: user.vector, group: 0 }, k: 20 });
    const mem = tf.memory();
    // The module's Memory object is authoritative (HEAPU8 is a view emscripten refreshes only on its own growth).
    const backend = tf.backend() as unknown as { wasm?: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory; HEAPU8?: Uint8Array } };
    const wasmMemory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
    return {
      catalog: spec.catalog,
      items: manifest.items.count,
      budgetBytes: spec.budgetBytes,
      backend: rec.info.backend.name,
      dtype: rec.info.selection.dtype,
      residentBytes: rec.info.residentBytes,
      tensorBytes: mem.numBytes,
      tensors: mem.numTensors,
      wasmMemoryBytes: wasmMemory?.buffer.byteLength ?? backend.wasm?.HEAPU8?.buffer.byteLength ?? null,
    };
  } finally {
    // Left for the driver to dispose after it has read CDP's heap figures.
    (window as unknown as { disposeLast?: () => Promise<void> }).disposeLast = () => rec.dispose();
  }
}
