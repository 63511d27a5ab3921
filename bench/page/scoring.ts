/**
 * The scoring benchmark page. For one (catalog, budget) it loads the runtime,
 * then builds every other implementation from the runtime's own selection so
 * all of them do the same work, checks that they return the same top-k as
 * the runtime's float64 reference, and times them interleaved (one call of
 * each per round) so that machine noise hits them all alike.
 *
 * Each series times two runs (issue 26): the `bound` run interleaves only the
 * runtime and the bound kernels, so the runtime ÷ bound ratio is not skewed by
 * a dozen other implementations evicting the caches between them; the `peers`
 * run interleaves the runtime with every other implementation.
 */
import { createRecommender, i8Scores, referenceScores, topK, type BackendName, type Recommender } from '@peelrec/runtime';
import { fetchSource, readManifest, selectBlocks, type Dtype, type Manifest, type Selection } from '@peelrec/format';
import { checkAgreement } from './agreement.js';
import { fetchBytes, groupMatrices, loadSelectedBlocks, loadSelectedFiles, summarise, TFJS_WASM_PATHS, userOfGroup } from './common.js';
import { OrtScorer, ORT_VERSION } from './impl/ort.js';
import { LoopScorer, type TopK } from './impl/ts-loop.js';
import type { GroupMatrix } from './impl/onnx-graph.js';
import { boundImpls, f16Arrays, residentArrays } from './impl/bound.js';
import { FusedScorer, WasmScorer } from './impl/wasm-kernels.js';
import { tfjsDiagnostics } from './impl/tfjs-diag.js';
import { WorkerScorer } from './impl/worker-scorer.js';
import { runKindCase } from './kinds.js';
import { runMemoryCase } from './memory.js';
import { prepareRuntimeLoop } from './profile.js';
import { runLongTaskCase } from './longtasks.js';
import { runThreadsCase } from './threads.js';
import { timeInterleaved, type Impl, type SeriesTiming } from './timed.js';

/** A runtime series: a backend, asked for one block encoding (default `auto`), and its name in the rows' `series` column (default: the backend). */
export interface RuntimeSeries {
  readonly backend: BackendName;
  readonly dtype?: Dtype | 'auto';
  readonly name?: string;
}

export interface ScoringCase extends SeriesTiming {
  readonly catalog: string;
  readonly manifestUrl: string;
  readonly budgetBytes: number;
  /** Runtime series to time, each in its own interleaved run; a bare backend is that backend with `dtype: 'auto'`. */
  readonly backends: readonly (BackendName | RuntimeSeries)[];
  /** Also time the peers (plain loop, onnxruntime-web, the prototype) in the first series. */
  readonly peers: boolean;
  /** Label for the backend column, e.g. `swiftshader` for the software WebGPU adapter. */
  readonly backendLabel?: Partial<Record<BackendName, string>>;
  readonly k: number;
  readonly userGroup: number;
}

export interface ScoringRow {
  readonly catalog: string;
  readonly items: number;
  readonly budgetBytes: number;
  /** Encoding of the selected block files. The runtime on wasm keeps them resident in it (f16 as f16); every other implementation holds f32 copies of those values. */
  readonly dtype: string;
  readonly backend: string;
  readonly impl: string;
  readonly p50ms: number;
  readonly p95ms: number;
  /** The fastest sample (steadier than p50 when the machine is loaded). */
  readonly minms: number;
  readonly samples: number;
  /** The runtime series these rows were interleaved in: compare rows of one series side by side. */
  readonly series: string;
  /** The run of the series the row was timed in: `bound` interleaves only the runtime and the bound kernels, `peers` the runtime and every other implementation. */
  readonly timedWith: TimedWith;
  /** The runtime's resident embedding bytes in this series (`rec.info.residentBytes`; the selection's f32 bytes where no runtime ran). */
  readonly residentBytes: number;
  /** Bytes the bound kernels of this series stream: the bytes the runtime holds resident (f16 blocks at 2 bytes, i8 at 1 on wasm), or the f16 bytes in a no-runtime series. */
  readonly boundBytes: number;
  readonly selectedBlocks: number;
}

export interface ScoringResult {
  /** Set when the runtime refused the budget (BudgetTooSmallError); rows then come from the f16 selection without it. */
  readonly runtimeError?: string;
  /** Later backends of the case that refused the budget the first one served (the cpu backend keeps f32 resident, so an f16-only budget is too small for it). */
  readonly refusals: { backend: string; error: string }[];
  readonly rows: ScoringRow[];
  readonly agreement: { impl: string; series: string; ok: true; maxScoreError: number }[];
  readonly env: Record<string, unknown>;
}

export type TimedWith = 'bound' | 'peers';

/** Float64 scores of every item for the stacked group matrices (the reference for the f16 prototype). */
function scoresOf(groups: readonly GroupMatrix[], matrices: readonly Float32Array[], user: Float32Array): Float64Array {
  const out = new Float64Array(groups.reduce((n, g) => n + g.items, 0));
  let start = 0;
  groups.forEach((g, gi) => {
    const m = matrices[gi]!;
    for (let r = 0; r < g.dims.length; r++) {
      const c = g.weights[r]! * user[g.dims[r]!]!;
      for (let i = 0; i < g.items; i++) out[start + i]! += c * m[r * g.items + i]!;
    }
    start += g.items;
  });
  return out;
}

function sameSelection(a: Selection, b: Selection): boolean {
  return a.dtype === b.dtype && a.blocks.length === b.blocks.length && a.blocks.every((x, i) => x.itemGroup === b.blocks[i]!.itemGroup && x.block === b.blocks[i]!.block);
}

export async function runScoringCase(spec: ScoringCase): Promise<ScoringResult> {
  const manifest: Manifest = await readManifest(fetchSource(spec.manifestUrl), { userGroups: [spec.userGroup] });
  const ids = JSON.parse(new TextDecoder().decode(await fetchBytes(new URL(manifest.items.ids.url, spec.manifestUrl)))) as string[];
  const user = await userOfGroup(manifest, spec.manifestUrl, spec.userGroup);

  const rows: ScoringRow[] = [];
  const agreement: ScoringResult['agreement'] = [];
  const env: Record<string, unknown> = { ortVersion: ORT_VERSION, crossOriginIsolated, userAgent: navigator.userAgent, backends: {} };
  let first: { selection: Selection; ref: Float64Array; exclude: number[]; excludeSet: Set<number> } | undefined;

  let runtimeError: string | undefined;
  const refusals: ScoringResult['refusals'] = [];
  for (const entry of spec.backends) {
    const { backend, dtype = 'auto', name: series = backend } = typeof entry === 'string' ? { backend: entry } : entry;
    let rec: Recommender;
    try {
      rec = await createRecommender({
        // On this page's thread: the bench times its kernel and reads its tensors (tf.memory, the bound's wasm memory).
        worker: false,
        manifestUrl: spec.manifestUrl,
        budget: spec.budgetBytes,
        backend,
        dtype,
        storage: 'memory',
        wasmPaths: TFJS_WASM_PATHS,
        userGroup: spec.userGroup,
        metadata: false,
      });
    } catch (e) {
      // The runtime refusing a budget is a result, not a crash: record it, and (once) time the
      // peers and the f16 prototype on the f16 selection the format allows at this budget.
      if ((e as Error)?.name !== 'BudgetTooSmallError') throw e;
      if (first) {
        refusals.push({ backend: series, error: `${(e as Error).name}: ${(e as Error).message}` });
        continue;
      }
      runtimeError = `${(e as Error).name}: ${(e as Error).message}`;
      if (!first && spec.peers) await withoutRuntime();
      break;
    }
    const cleanups: (() => Promise<void> | void)[] = [() => rec.dispose()];
    try {
      const info = rec.info;
      (env.backends as Record<string, unknown>)[series] = info.backend;
      if (info.backend.name !== backend) throw new Error(`asked the runtime for ${backend}, got ${info.backend.name}: ${JSON.stringify(info.backend.fallbacks)}`);
      const selection = info.selection;
      if (!first) {
        const groups = await prepare(selection);
        const runtime = runtimeScorer(
          rec,
          user.vector,
          spec,
          first!.exclude.map((p) => ids[p]!),
          spec.backendLabel?.[backend] ?? backend,
        );
        const peers = spec.peers ? await peerImpls(groups, cleanups, true) : [];
        const resident = residentArrays(groups, info.residentBytes);
        const kernel = await i8KernelReference(selection, backend);
        await measure({ runtime: { ...runtime, ...(kernel && { reference: kernel }) }, peers, bounds: await boundImpls(resident.arrays) }, selection, series, resident.bytes, info.residentBytes);
      } else {
        const blocks = await loadSelectedBlocks(selection, spec.manifestUrl);
        const groups = groupMatrices(manifest, selection, blocks);
        const excludeIds = first.exclude.map((p) => ids[p]!);
        const impl = runtimeScorer(rec, user.vector, spec, excludeIds, spec.backendLabel?.[backend] ?? backend);
        // A backend that keeps f32 resident (cpu, webgpu) may select other blocks than wasm, which keeps f16 as f16: check it against its own selection's reference.
        const kernel = await i8KernelReference(selection, backend);
        const own = kernel
          ? { reference: kernel }
          : sameSelection(first.selection, selection)
            ? {}
            : { reference: referenceScores({ manifest, selection, vector: user.vector, block: (g, b) => blocks.get(`${g}/${b}`)! }) };
        const resident = residentArrays(groups, info.residentBytes);
        await measure({ runtime: { ...impl, ...own }, peers: [], bounds: await boundImpls(resident.arrays) }, selection, series, resident.bytes, info.residentBytes);
      }
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  }
  return { rows, agreement, env, runtimeError, refusals };

  /**
   * The WASM kernel scores i8 selections in integers, with the user's coefficients rounded to 8 bits: its scores
   * are `i8Scores`'s exactly, and the float64 reference's only within that rounding, so it is checked against them.
   */
  async function i8KernelReference(selection: Selection, backend: BackendName): Promise<Float64Array | undefined> {
    if (selection.dtype !== 'i8' || backend !== 'wasm') return undefined;
    const files = await loadSelectedFiles(selection, spec.manifestUrl);
    return Float64Array.from(i8Scores({ manifest, selection, vector: user.vector, block: (g, b) => files.get(`${g}/${b}`)! }));
  }

  /** Loads the selected blocks, sets the reference and the exclusions, and returns the stacked group matrices. */
  async function prepare(selection: Selection): Promise<GroupMatrix[]> {
    const blocks = await loadSelectedBlocks(selection, spec.manifestUrl);
    const ref = referenceScores({ manifest, selection, vector: user.vector, block: (g, b) => blocks.get(`${g}/${b}`)! });
    // Exclude half of the reference top-60 (so exclusion changes the answer) and a spread of other items.
    const exclude = topK(ref, 60)
      .filter((_, i) => i % 2 === 0)
      .map((s) => s.position);
    for (let i = 0; i < 20; i++) exclude.push(Math.floor((((i * 7919) % 997) / 997) * manifest.items.count));
    first = { selection, ref, exclude: [...new Set(exclude)], excludeSet: new Set(exclude) };
    return groupMatrices(manifest, selection, blocks);
  }

  async function peerImpls(groups: GroupMatrix[], cleanups: (() => Promise<void> | void)[], diagnostics: boolean): Promise<Impl[]> {
    const { exclude: ex, excludeSet: exSet } = first!;
    const loop = new LoopScorer(groups);
    const ort = await OrtScorer.of(groups, manifest.dims.fullDim, spec.k);
    cleanups.push(() => ort.release());
    const proto = await WasmScorer.of(groups);
    const fused = await FusedScorer.of(groups);
    const fused16 = await FusedScorer.of(groups, { f16: true });
    const ref16 = scoresOf(groups, fused16.heldMatrices(), user.vector);
    const inWorker = await WorkerScorer.of(groups);
    cleanups.push(() => inWorker.terminate());
    const impls: Impl[] = [
      { impl: 'ts-loop', backend: 'js', scores: true, run: () => loop.score(user.vector, spec.k, exSet) },
      { impl: 'onnxruntime-web', backend: 'wasm', scores: true, run: () => ort.score(user.vector, ex) },
      { impl: 'proto-simd-rows', backend: 'wasm', scores: true, run: () => proto.score(user.vector, spec.k, exSet) },
      { impl: 'proto-simd-fused-topk', backend: 'wasm', scores: true, run: () => fused.score(user.vector, spec.k, exSet) },
      { impl: 'proto-simd-fused-topk-f16', backend: 'wasm', scores: true, reference: ref16, run: () => fused16.score(user.vector, spec.k, exSet) },
      { impl: 'proto-simd-fused-topk-in-worker', backend: 'wasm (Worker)', scores: true, run: () => inWorker.score(user.vector, spec.k, ex) },
    ];
    if (diagnostics) {
      const diag = await tfjsDiagnostics(groups, user.vector, spec.k, exSet);
      cleanups.push(() => diag.dispose());
      impls.push(...diag.impls);
    }
    return impls;
  }

  /** The budget is below the runtime's f32 minimum: the format's f16 selection, timed without the runtime. */
  async function withoutRuntime(): Promise<void> {
    let selection: Selection;
    try {
      selection = selectBlocks(manifest, spec.userGroup, spec.budgetBytes, { dtype: 'f16' });
    } catch {
      return; // not even f16 fits
    }
    const groups = await prepare(selection);
    const cleanups: (() => Promise<void> | void)[] = [];
    try {
      const peers = await peerImpls(groups, cleanups, false);
      // The bound for what fits the budget: the f16 bytes, streamed once.
      const f16Bytes = f16Arrays(groups);
      await measure(
        { peers, bounds: await boundImpls(f16Bytes) },
        selection,
        'no runtime (f16 selection)',
        f16Bytes.reduce((n, a) => n + a.byteLength, 0),
      );
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  }

  /**
   * Checks every scorer against the reference, then times the bound run (the
   * runtime, where there is one, and the bound kernels alone) and, where there
   * are peers, the peers run (the runtime and the peers).
   */
  async function measure(
    impls: { runtime?: Impl; peers: Impl[]; bounds: Impl[] },
    selection: Selection,
    series: string,
    boundBytes = residentBytesOf(manifest, selection),
    residentBytes = residentBytesOf(manifest, selection),
  ) {
    const { ref, excludeSet } = first!;
    const own = impls.runtime ? [impls.runtime] : [];
    for (const impl of [...own, ...impls.peers, ...impls.bounds]) {
      for (let w = 0; w < 3; w++) {
        const out = await impl.run();
        if (impl.scores && w === 0) {
          const err = checkAgreement(`${impl.impl} (${impl.backend})`, out as TopK, impl.reference ?? ref, excludeSet, spec.k);
          agreement.push({ impl: impl.impl, series, ok: true, maxScoreError: err });
        }
      }
    }
    const runs: [TimedWith, Impl[]][] = [['bound', [...own, ...impls.bounds]]];
    if (impls.peers.length) runs.push(['peers', [...own, ...impls.peers]]);
    for (const [timedWith, timed] of runs) {
      const samples = await timeInterleaved(timed, spec);
      timed.forEach((impl, i) => push(impl, samples[i]!, timedWith));
    }

    function push(impl: Impl, samples: number[], timedWith: TimedWith) {
      rows.push({
        catalog: spec.catalog,
        items: manifest.items.count,
        budgetBytes: spec.budgetBytes,
        dtype: selection.dtype,
        backend: impl.backend,
        impl: impl.impl,
        ...summarise(samples),
        series,
        timedWith,
        residentBytes,
        boundBytes,
        selectedBlocks: selection.blocks.length,
      });
    }
  }
}

function residentBytesOf(manifest: Manifest, selection: Selection): number {
  return selection.blocks.reduce((n, b) => n + manifest.dims.blockDim * manifest.itemGroups[b.itemGroup]!.count * 4, 0);
}

function runtimeScorer(rec: Recommender, vector: Float32Array, spec: ScoringCase, excludeIds: string[], backend: string): Impl {
  return {
    impl: 'runtime',
    backend,
    scores: true,
    run: async () => {
      const recs = await rec.recommend({ user: { vector, group: spec.userGroup }, k: spec.k, exclude: excludeIds });
      return { positions: Int32Array.from(recs, (r) => r.position), scores: Float32Array.from(recs, (r) => r.score) };
    },
  };
}

declare global {
  interface Window {
    peelBench: {
      runScoringCase: typeof runScoringCase;
      runKindCase: typeof runKindCase;
      runMemoryCase: typeof runMemoryCase;
      prepareRuntimeLoop: typeof prepareRuntimeLoop;
      runLongTaskCase: typeof runLongTaskCase;
      runThreadsCase: typeof runThreadsCase;
    };
  }
}
window.peelBench = { runScoringCase, runKindCase, runMemoryCase, prepareRuntimeLoop, runLongTaskCase, runThreadsCase };
document.title = 'ready';
