/** onnxruntime-web on its wasm execution provider, single-threaded like the runtime's default. */
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { buildScoringModel, type GroupMatrix } from './onnx-graph.js';
import type { TopK } from './ts-loop.js';

ort.env.wasm.wasmPaths = { wasm: ortWasmUrl };
ort.env.wasm.numThreads = 1;

export const ORT_VERSION = ort.env.versions.web ?? 'unknown';

export class OrtScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly fullDim: number,
  ) {}

  static async of(groups: readonly GroupMatrix[], fullDim: number, k: number): Promise<OrtScorer> {
    const model = buildScoringModel({ fullDim, groups, k });
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    return new OrtScorer(session, fullDim);
  }

  async score(user: Float32Array, exclude: readonly number[]): Promise<TopK> {
    // ScatterElements needs at least one index; the benchmark always excludes some items.
    if (exclude.length === 0) throw new RangeError('the ONNX scoring graph needs at least one excluded position');
    const ex = exclude;
    const out = await this.session.run({
      user: new ort.Tensor('float32', user, [1, this.fullDim]),
      exclude: new ort.Tensor('int64', BigInt64Array.from(ex, BigInt), [1, ex.length]),
    });
    const positions = Int32Array.from(out.indices!.data as BigInt64Array, Number);
    const scores = Float32Array.from(out.values!.data as Float32Array);
    for (const t of Object.values(out)) t.dispose();
    return { positions, scores };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
