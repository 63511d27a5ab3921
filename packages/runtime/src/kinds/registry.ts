/**
 * The registry of v3 kind layouts (kind-layout.ts), in order of preference: the scorer takes the first entry
 * for the manifest's kind that opens on the active backend, as layouts.ts does for peel-blocks tables. Per
 * kind: the WASM kernel (relaxed SIMD, then plain SIMD), the GPU path, then the path that opens everywhere
 * (mixed: tfjs matMul, after the plain-JS scan that the cpu backend prefers; sparse: the plain-JS scan).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dtype } from '@peelrec/format';
import { BackendUnavailableError } from '../errors.js';
import type { BackendName } from '../types.js';
import type { KindLayout, KindLayoutFactory, KindModel } from './kind-layout.js';
import { mixedJsScan } from './mixed-js-layout.js';
import { mixedMatMul } from './mixed-matmul-layout.js';
import { mixedWasmRelaxedSimd, mixedWasmSimd } from './mixed-wasm-layout.js';
import { sparseJsScan } from './sparse-js-layout.js';
import { sparseWasmRelaxedSimd, sparseWasmSimd } from './sparse-wasm-layout.js';
import { sparseWebGpu } from './sparse-webgpu-layout.js';

/** Mutable like layouts.ts's `tableLayouts`: tests and benches narrow it to one path. */
export const kindLayouts: KindLayoutFactory[] = [mixedWasmRelaxedSimd, mixedWasmSimd, mixedJsScan, mixedMatMul, sparseWasmRelaxedSimd, sparseWasmSimd, sparseWebGpu, sparseJsScan];

/** The first layout for `model`'s kind that opens on the active backend. */
export async function openKindLayout(model: KindModel): Promise<KindLayout> {
  for (const factory of kindLayouts) {
    if (factory.kind !== model.kind) continue;
    const layout = await factory.open(model);
    if (layout) return layout;
  }
  throw noLayout(model, tf.getBackend());
}

/** How the layout expected on `backend` will count resident bytes (KindLayout.residentDtype), before that backend is up: selectTable's `residentDtype`. */
export function expectedKindResidentDtype(model: Pick<KindModel, 'kind'>, backend: BackendName): Dtype | undefined {
  const factory = kindLayouts.find((f) => f.kind === model.kind && f.expects(backend));
  if (!factory) throw noLayout(model, backend);
  return factory.residentDtype;
}

function noLayout(model: Pick<KindModel, 'kind'>, backend: string): BackendUnavailableError {
  return new BackendUnavailableError([{ backend, reason: `no table layout serves a '${model.kind}' table there` }]);
}
