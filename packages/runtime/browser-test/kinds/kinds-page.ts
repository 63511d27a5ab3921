/// <reference types="vite/client" />
/**
 * The page kinds.browser.test.ts drives: it opens one kind layout (kinds/registry.ts) by name on a tfjs backend,
 * applies a seeded variant built here (test/fixtures/kind-tables.ts) and returns, JSON-friendly, what the layout
 * and the float64 reference (kinds/reference.ts) give for the same requests, for the test to compare in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { KindLayoutFactory } from '../../src/kinds/kind-layout.js';
import { kindLayouts, openKindLayout } from '../../src/kinds/registry.js';
import { kindReferenceScores, scoreKindReference } from '../../src/kinds/reference.js';
import { topK, type ScoredPosition } from '../../src/reference.js';
import { exactVector, type KindCase, keptBytes, keptDense, mixedCase, selectionOf, sparseCase } from '../../test/fixtures/kind-tables.js';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasm, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd });
// As backend.ts: threaded tfjs-wasm 4.22.0 can hang setBackend in a minified build.
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

export type CaseSpec =
  | { kind: 'mixed'; seed: number; items: number; fullDim: number; dtype: 'f32' | 'f16'; identity: boolean; trim: boolean }
  | { kind: 'sparse'; seed: number; items: number; fullDim: number; dtype: 'f32' | 'f16'; density: number; zeroRows?: number };

export interface CaseResult {
  residentDtype: string | null;
  residentBytes: number;
  /** The selection's counted bytes, and the bytes of the refs it uses. */
  selectionBytes: number;
  fileBytes: number;
  /** Per request: the layout's top-k and the reference's. */
  requests: { got: ScoredPosition[]; want: ScoredPosition[] }[];
  /** Item vectors of a few positions, and the stored values there. */
  vectors: { got: number[][]; want: number[][] };
  /** Live tensors after apply and after dispose, less those before. */
  tensorsHeld: number;
  tensorsLeft: number;
}

function build(spec: CaseSpec): KindCase {
  return spec.kind === 'mixed' ? mixedCase(spec) : sparseCase(spec);
}

const plain = (list: readonly ScoredPosition[]) => list.map((s) => ({ position: s.position, score: s.score + 0 }));

const kinds = {
  async backend(name: 'wasm' | 'webgpu'): Promise<string> {
    await tf.setBackend(name);
    await tf.ready();
    return tf.getBackend();
  },

  /** The registry entry that opens first for a kind on the active backend. */
  async opens(kind: 'mixed' | 'sparse'): Promise<string> {
    const all = kindLayouts.splice(0);
    let opened = '';
    const recording = all.map(
      (f): KindLayoutFactory => ({
        ...f,
        open: async (m) => {
          const layout = await f.open(m);
          if (layout) opened = f.name;
          return layout;
        },
      }),
    );
    kindLayouts.push(...recording);
    try {
      (await openKindLayout({ kind, dims: { fullDim: 8 }, items: { count: 10 } })).dispose();
      return opened;
    } finally {
      kindLayouts.splice(0, kindLayouts.length, ...all);
    }
  },

  /** Opens `factory`, applies the case, and returns what it and the reference give (see CaseResult). */
  async check(spec: CaseSpec, factory: string): Promise<CaseResult> {
    const c = build(spec);
    const f = kindLayouts.find((x) => x.name === factory);
    const layout = await f?.open(c.model);
    if (!layout) throw new Error(`${factory} does not open on ${tf.getBackend()}`);
    const whole = selectionOf(c, layout.residentDtype === 'f32' ? 'f32' : undefined);
    const selection = spec.kind === 'mixed' && spec.trim ? selectionOf(c, layout.residentDtype === 'f32' ? 'f32' : undefined, Math.floor(whole.bytes * 0.6), true) : whole;
    const bytes = keptBytes(c, selection);
    const before = tf.memory().numTensors;
    layout.apply(selection, c.variant, bytes);
    const tensorsHeld = tf.memory().numTensors - before;
    const input = { model: c.model, selection, variant: c.variant, bytes };
    const { fullDim } = c.model.dims;
    const count = c.model.items.count;
    const requests: CaseResult['requests'] = [];
    for (const vector of [exactVector(spec.seed, fullDim), new Float32Array(fullDim), exactVector(spec.seed + 1, fullDim, 2 ** 20)]) {
      const best = topK(kindReferenceScores({ ...input, vector }), 30).map((s) => s.position);
      for (const exclude of [new Set<number>(), new Set([...best.filter((_, i) => i % 3 === 0), -1, count + 2])]) {
        // Past the catalog only where its list stays short to compare.
        for (const k of count <= 1000 ? [5, 20, count + 3] : [5, 20]) {
          requests.push({ got: plain(await layout.top(vector, k, exclude)), want: plain(scoreKindReference({ ...input, vector, k, exclude })) });
        }
      }
    }
    const positions = [0, count - 1, Math.floor(count / 2), 7];
    const dense = keptDense(c, selection);
    const vectors = {
      got: (await layout.itemVectors(positions)).map((v) => Array.from(v)),
      want: positions.map((p) => Array.from(dense.subarray(p * fullDim, (p + 1) * fullDim))),
    };
    const result = {
      residentDtype: layout.residentDtype ?? null,
      residentBytes: layout.residentBytes,
      selectionBytes: selection.bytes,
      fileBytes: selection.fileBytes,
      requests,
      vectors,
      tensorsHeld,
    };
    layout.dispose();
    return { ...result, tensorsLeft: tf.memory().numTensors - before };
  },
};

declare global {
  interface Window {
    kinds: typeof kinds;
  }
}
window.kinds = kinds;
document.title = 'ready';
