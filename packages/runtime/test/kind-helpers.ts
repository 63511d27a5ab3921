/** A v3 (`mixed`, `sparse`) fixture served over a fake fetch, and the reference top-k of what a recommender holds. */
import { IDBFactory } from 'fake-indexeddb';
import { selectTable, type FileRef, type KindManifest, type TableSelection } from '@peelrec/format';
import { createRecommender, type Recommender, type RecommenderOptions } from '../src/index.js';
import type { VariantBytes } from '../src/kinds/kind-layout.js';
import { denseKindTable, scoreKindReference } from '../src/kinds/reference.js';
import type { ScoredPosition } from '../src/reference.js';
import { recording } from './error-contract.js';
import { bytesOf } from './fixtures/artifact.js';
import { buildKindFixture, type KindFixture, type KindFixtureOptions } from './fixtures/kind-artifact.js';
import { MANIFEST_URL, serve, type ServedFetch } from './fixtures/serve.js';

export interface KindHarness {
  readonly fixture: KindFixture;
  readonly server: ServedFetch;
  readonly idb: IDBFactory;
  open(extra?: Partial<RecommenderOptions>): Promise<Recommender>;
  /** Serves another artifact at the same URL (a new version). */
  publish(next: KindFixture): void;
}

export async function kindHarness(options: KindFixtureOptions): Promise<KindHarness> {
  const fixture = await buildKindFixture(options);
  const files = new Map(fixture.files);
  const server = serve(files);
  const idb = new IDBFactory();
  return {
    fixture,
    server,
    idb,
    open: (extra = {}) =>
      recording(
        createRecommender({
          manifestUrl: MANIFEST_URL,
          backend: 'cpu',
          fetch: server.fetch,
          indexedDB: idb,
          budgetInputs: { deviceMemory: 4, storage: { quota: 1e9, usage: 0 } },
          ...extra,
        }),
      ),
    publish(next) {
      files.clear();
      for (const [k, v] of next.files) files.set(k, v);
    },
  };
}

/** The verified bytes `selection` of `m` holds, read from the artifact's files (independently of the runtime). */
export function variantBytes(m: KindManifest, files: ReadonlyMap<string, Uint8Array>, selection: TableSelection): VariantBytes {
  const variant = m.variants[selection.variant]!;
  if (!('columns' in variant)) return { kind: 'sparse', payload: bytesOf(files, variant.file) };
  return {
    kind: 'mixed',
    permutation: variant.permutation && bytesOf(files, variant.permutation),
    columns: variant.columns.slice(0, selection.columns ?? variant.columns.length).map((c) => bytesOf(files, c.file)),
  };
}

/** The plain-TypeScript reference (kinds/reference.ts) of the selection a recommender serves. */
export function kindReference(
  m: KindManifest,
  files: ReadonlyMap<string, Uint8Array>,
  selection: TableSelection,
  vector: ArrayLike<number>,
  k: number,
  exclude: readonly number[] = [],
): ScoredPosition[] {
  const input = { model: m, selection, variant: m.variants[selection.variant]!, bytes: variantBytes(m, files, selection) };
  return scoreKindReference({ ...input, vector, k, exclude });
}

/** The fold-in rule for a table kind, computed from the dense variant: the mean of the history items' stored rows. */
export function foldedReference(m: KindManifest, files: ReadonlyMap<string, Uint8Array>, selection: TableSelection, positions: readonly number[]): Float32Array {
  const dense = denseKindTable({ model: m, selection, variant: m.variants[selection.variant]!, bytes: variantBytes(m, files, selection) });
  const { fullDim } = m.dims;
  const out = new Float32Array(fullDim);
  for (let r = 0; r < fullDim; r++) out[r] = positions.reduce((s, p) => s + dense[p * fullDim + r]!, 0) / positions.length;
  return out;
}

/** What `selectTable` picks at `budget` when values are held as f32 (the cpu layouts widen f16). */
export const selectedOnCpu = (m: KindManifest, budget: number) => selectTable(m, budget, { residentDtype: 'f32' });

/** The paths of `refs` as the fake server logs them, with each one's byte range. */
export const rangesOf = (refs: readonly FileRef[]) => refs.map((r) => ({ path: r.url, range: r.offset === undefined ? undefined : [r.offset, r.offset + r.byteLength - 1] }));
