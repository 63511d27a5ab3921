/**
 * The registry of table layouts (table-layout.ts), in order of preference: the scorer takes the first entry
 * for the manifest's kind that opens on the active backend. A new kind or backend path is one line here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dtype } from '@peelrec/format';
import { dimMajorJsScan } from './js-scan-layout.js';
import { dimMajorMatMul } from './matmul-layout.js';
import { packedWasmRelaxedSimd, packedWasmSimd } from './packed-wasm-layout.js';
import { storedWebGpu } from './stored-webgpu-layout.js';
import { BackendUnavailableError } from './errors.js';
import type { LayoutFactory, ScorerModel, TableLayout } from './table-layout.js';
import type { BackendName } from './types.js';

/** Mutable like TF.js's kernel registry: browser-test/perf narrows it to time one path against another. */
export const tableLayouts: LayoutFactory[] = [packedWasmRelaxedSimd, packedWasmSimd, storedWebGpu, dimMajorJsScan, dimMajorMatMul];

/** The first layout for `model`'s kind that opens on the active backend. */
export async function openLayout(model: ScorerModel): Promise<TableLayout> {
  for (const factory of tableLayouts) {
    if (factory.kind !== model.kind) continue;
    const layout = await factory.open(model);
    if (layout) return layout;
  }
  throw noLayout(model, tf.getBackend());
}

/** How the layout expected on `backend` will count resident bytes (see TableLayout.residentDtype), before that backend is up. */
export function expectedResidentDtype(model: ScorerModel, backend: BackendName): Dtype | undefined {
  const factory = tableLayouts.find((f) => f.kind === model.kind && f.expects(backend));
  if (!factory) throw noLayout(model, backend);
  return factory.residentDtype;
}

function noLayout(model: ScorerModel, backend: string): BackendUnavailableError {
  return new BackendUnavailableError([{ backend, reason: `no table layout serves a '${model.kind}' table there` }]);
}
