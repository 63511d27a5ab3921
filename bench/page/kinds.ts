/**
 * The kinds series of the scoring benchmark (issue 20). At one budget it loads, through `createRecommender` on
 * wasm as the PEEL rows do, the PEEL catalog (f16 blocks) and the `mixed` and `sparse` catalogs of the same shape,
 * checks each against its own float64 reference (the format's decoders, not the runtime's code), and times them
 * interleaved with the bound kernels, so the three tables' p50s and ratios come from one run and sit side by side.
 */
import { createRecommender, referenceScores, topK, type Recommender } from '@peelrec/runtime';
import { decodeMixedColumns, decodePermutation, decodeSparse, fetchSource, readAnyManifest, readManifest, readVerified, type KindManifest, type Manifest, type TableSelection } from '@peelrec/format';
import { checkAgreement } from './agreement.js';
import { fetchBytes, loadSelectedBlocks, summarise, type Timing, TFJS_WASM_PATHS, userOfGroup } from './common.js';
import { boundImpls } from './impl/bound.js';
import type { TopK } from './impl/ts-loop.js';
import { timeInterleaved, type Impl, type SeriesTiming } from './timed.js';

export type KindTable = 'peel-blocks' | 'mixed' | 'sparse';

export interface KindTableSpec {
  readonly table: KindTable;
  readonly catalog: string;
  readonly manifestUrl: string;
}

export interface KindCase extends SeriesTiming {
  /** The PEEL catalog the tables share the shape of (its name). */
  readonly shape: string;
  readonly budgetBytes: number;
  /** The PEEL catalog first: its first user of group 0 is every table's user. */
  readonly tables: readonly KindTableSpec[];
  readonly k: number;
}

export interface KindRow extends Timing {
  readonly shape: string;
  readonly items: number;
  readonly fullDim: number;
  readonly budgetBytes: number;
  /** `bound` for the bound kernels. */
  readonly table: KindTable | 'bound';
  readonly catalog: string;
  readonly impl: string;
  readonly backend: string;
  readonly dtype: string;
  /** The variant the runtime selected (PEEL: its block count). */
  readonly variant: string;
  /** The runtime's `rec.info.residentBytes` (what it scans per call); a bound kernel's: the bytes it streams. */
  readonly residentBytes: number;
  /** Values the scorer multiplies per call: PEEL's selected block values, mixed's kept column values, sparse's nnz (0 for a bound). */
  readonly storedValues: number;
}

export interface KindResult {
  readonly rows: KindRow[];
  /** Tables the runtime refused at this budget (BudgetTooSmallError), not timed. */
  readonly refusals: { table: KindTable; error: string }[];
  readonly agreement: { table: KindTable; ok: true; maxScoreError: number }[];
  readonly env: Record<string, unknown>;
}

interface Loaded {
  readonly spec: KindTableSpec;
  readonly rec: Recommender;
  readonly ref: Float64Array;
  readonly dtype: string;
  readonly variant: string;
  readonly storedValues: number;
}

/** Float64 scores of the PEEL blocks the runtime selected, and their value count. */
async function peelReference(rec: Recommender, url: string, vector: Float32Array): Promise<{ ref: Float64Array; values: number; variant: string }> {
  const manifest: Manifest = await readManifest(fetchSource(url), { userGroups: [0] });
  const selection = rec.info.selection;
  const blocks = await loadSelectedBlocks(selection, url);
  const ref = referenceScores({ manifest, selection, vector, block: (g, b) => blocks.get(`${g}/${b}`)! });
  const values = selection.blocks.reduce((n, b) => n + manifest.dims.blockDim * manifest.itemGroups[b.itemGroup]!.count, 0);
  return { ref, values, variant: `${selection.blocks.length} blocks` };
}

/** Float64 scores of the v3 variant the runtime selected, straight from its verified bytes, and its value count. */
async function kindReference(table: TableSelection, url: string, vector: Float32Array): Promise<{ ref: Float64Array; values: number; variant: string }> {
  const source = fetchSource(url);
  const manifest = (await readAnyManifest(source)) as KindManifest;
  const count = manifest.items.count;
  const variant = manifest.variants[table.variant]!;
  const ref = new Float64Array(count);
  if ('columns' in variant) {
    const kept = variant.columns.slice(0, table.columns ?? variant.columns.length);
    const columns = decodeMixedColumns(variant, await Promise.all(kept.map((c) => readVerified(source, c.file))), variant.dtype);
    const order = variant.permutation ? decodePermutation(await readVerified(source, variant.permutation), count) : undefined;
    columns.forEach((column, r) => {
      const u = vector[r]!;
      for (let j = 0; j < column.length; j++) ref[order ? order[j]! : j]! += u * column[j]!;
    });
    return { ref, values: kept.reduce((n, c) => n + c.count, 0), variant: `${variant.name}${table.trimmed ? ` (${table.columns} columns)` : ''}` };
  }
  const { rowPtr, indices, values } = decodeSparse(await readVerified(source, variant.file), count, variant.nnz, variant.dtype, manifest.dims.fullDim);
  for (let p = 0; p < count; p++) for (let e = rowPtr[p]!; e < rowPtr[p + 1]!; e++) ref[p]! += vector[indices[e]!]! * values[e]!;
  return { ref, values: variant.nnz, variant: variant.name };
}

export async function runKindCase(spec: KindCase): Promise<KindResult> {
  const first = spec.tables[0]!;
  if (first.table !== 'peel-blocks') throw new Error('the first table of a kinds case is the PEEL catalog: its user scores every table');
  const peel = await readManifest(fetchSource(first.manifestUrl), { userGroups: [0] });
  const ids = JSON.parse(new TextDecoder().decode(await fetchBytes(new URL(peel.items.ids.url, first.manifestUrl)))) as string[];
  const user = await userOfGroup(peel, first.manifestUrl, 0);
  const env: Record<string, unknown> = { crossOriginIsolated, userAgent: navigator.userAgent, backends: {} };
  const refusals: KindResult['refusals'] = [];
  const loaded: Loaded[] = [];
  try {
    for (const t of spec.tables) {
      let rec: Recommender;
      try {
        rec = await createRecommender({
          // On this page's thread: the bench times its kernel and reads its tensors (tf.memory, the bound's wasm memory).
          worker: false,
          manifestUrl: t.manifestUrl,
          budget: spec.budgetBytes,
          backend: 'wasm',
          // The PEEL catalogs export i8 too, which `auto` would pick on wasm: its f16 rows, as the `wasm` series.
          dtype: t.table === 'peel-blocks' ? 'f16' : 'auto',
          storage: 'memory',
          wasmPaths: TFJS_WASM_PATHS,
          userGroup: 0,
          metadata: false,
        });
      } catch (e) {
        if ((e as Error)?.name !== 'BudgetTooSmallError') throw e;
        refusals.push({ table: t.table, error: `${(e as Error).name}: ${(e as Error).message}` });
        continue;
      }
      const info = rec.info;
      (env.backends as Record<string, unknown>)[t.table] = info.backend;
      if (info.backend.name !== 'wasm') throw new Error(`asked the runtime for wasm, got ${info.backend.name}: ${JSON.stringify(info.backend.fallbacks)}`);
      if (info.residentBytes > spec.budgetBytes) throw new Error(`${t.catalog} holds ${info.residentBytes} B over the ${spec.budgetBytes} B budget`);
      const r = t.table === 'peel-blocks' ? await peelReference(rec, t.manifestUrl, user.vector) : await kindReference(info.table!, t.manifestUrl, user.vector);
      loaded.push({ spec: t, rec, ref: r.ref, dtype: info.selection.dtype, variant: r.variant, storedValues: r.values });
    }
    if (!loaded.length) return { rows: [], refusals, agreement: [], env };

    // Exclude half of each table's reference top-60 (so exclusion changes every answer) and a spread of other items.
    const exclude = new Set<number>();
    for (const l of loaded) topK(l.ref, 60).forEach((s, i) => i % 2 === 0 && exclude.add(s.position));
    for (let i = 0; i < 20; i++) exclude.add(Math.floor((((i * 7919) % 997) / 997) * peel.items.count));
    const excludeIds = [...exclude].map((p) => ids[p]!);

    const agreement: KindResult['agreement'] = [];
    const runtimes: Impl[] = loaded.map((l) => ({
      impl: `runtime ${l.spec.table}`,
      backend: 'wasm',
      scores: true,
      run: async () => {
        const recs = await l.rec.recommend({ user: { vector: user.vector, group: 0 }, k: spec.k, exclude: excludeIds });
        return { positions: Int32Array.from(recs, (r) => r.position), scores: Float32Array.from(recs, (r) => r.score) };
      },
    }));
    for (const [i, impl] of runtimes.entries()) {
      for (let w = 0; w < 3; w++) {
        const out = await impl.run();
        if (w === 0) agreement.push({ table: loaded[i]!.spec.table, ok: true, maxScoreError: checkAgreement(impl.impl, out as TopK, loaded[i]!.ref, exclude, spec.k) });
      }
    }
    // The bound streams as many bytes as the largest table holds: the bandwidth it measures prices every table's bytes.
    const streamed = Math.max(...loaded.map((l) => l.rec.info.residentBytes));
    const words = new Float32Array(Math.ceil(streamed / 4)).fill(0.75);
    const bounds = await boundImpls([words]);
    for (const b of bounds) for (let w = 0; w < 3; w++) await b.run();
    const timed = [...runtimes, ...bounds];
    const samples = await timeInterleaved(timed, spec);
    const common = { shape: spec.shape, items: peel.items.count, fullDim: peel.dims.fullDim, budgetBytes: spec.budgetBytes };
    const rows: KindRow[] = timed.map((impl, i) => {
      const l = loaded[i];
      const what = l
        ? { table: l.spec.table, catalog: l.spec.catalog, dtype: l.dtype, variant: l.variant, residentBytes: l.rec.info.residentBytes, storedValues: l.storedValues }
        : { table: 'bound' as const, catalog: '', dtype: 'f32', variant: '', residentBytes: words.byteLength, storedValues: 0 };
      return { ...common, ...what, impl: impl.impl, backend: impl.backend, ...summarise(samples[i]!) };
    });
    return { rows, refusals, agreement, env };
  } finally {
    for (const l of loaded) await l.rec.dispose();
  }
}
