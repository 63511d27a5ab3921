/** A bare loop of runtime recommendations, for `--profile` (the driver wraps it in the CDP CPU profiler). */
import { createRecommender } from '@peelrec/runtime';
import { fetchSource, readManifest } from '@peelrec/format';
import { TFJS_WASM_PATHS, userOfGroup } from './common.js';

export interface ProfileCase {
  readonly manifestUrl: string;
  readonly budgetBytes: number;
  readonly calls: number;
  readonly exclude: number;
  /** The resident dtype asked for ('auto' lets the runtime choose). */
  readonly dtype: 'auto' | 'f32' | 'f16' | 'i8';
}

export async function prepareRuntimeLoop(spec: ProfileCase): Promise<void> {
  const manifest = await readManifest(fetchSource(spec.manifestUrl), { userGroups: [] });
  const ids = (await (await fetch(new URL(manifest.items.ids.url, spec.manifestUrl))).json()) as string[];
  const user = await userOfGroup(manifest, spec.manifestUrl, 0);
  const rec = await createRecommender({
    manifestUrl: spec.manifestUrl,
    budget: spec.budgetBytes,
    backend: 'wasm',
    dtype: spec.dtype,
    storage: 'memory',
    wasmPaths: TFJS_WASM_PATHS,
    userGroup: 0,
    metadata: false,
    worker: false,
  }); // profiled on this thread
  const exclude = Array.from({ length: spec.exclude }, (_, i) => ids[(i * 7919) % ids.length]!);
  for (let i = 0; i < 5; i++) await rec.recommend({ user: { vector: user.vector, group: 0 }, k: 20, exclude });
  (window as unknown as { runtimeLoop: () => Promise<number> }).runtimeLoop = async () => {
    const t0 = performance.now();
    for (let i = 0; i < spec.calls; i++) await rec.recommend({ user: { vector: user.vector, group: 0 }, k: 20, exclude });
    return (performance.now() - t0) / spec.calls;
  };
}
