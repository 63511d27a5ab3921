/**
 * What the v3 kinds' specs share (kinds.spec.ts: the format writer's artifacts; method-artifacts.spec.ts: the
 * trainer's BET, CIESS and SparseRec artifacts): one load in the harness page that reports what it serves, and the
 * reference top-k it must match, computed in Node from the artifact's own bytes with the runtime's plain-TypeScript
 * reference (kinds/reference.ts).
 */
import type { Page } from '@playwright/test';
import type { FileRef, KindManifest, TableSelection } from '@peelrec/format';
import { denseKindTable, scoreKindReference } from '../../packages/runtime/src/kinds/reference.js';
import type { Ranked } from './support.js';

/** A v3 artifact as the test side reads it: its manifest and any file's bytes (a ref's slice when it has an offset). */
export interface KindArtifact {
  readonly manifest: KindManifest;
  bytes(ref: FileRef): Uint8Array;
}

/** A scored user: a known user's vector, or a new user's history (artifact positions, left out of the top-k). */
export type ScoredUser = { readonly vector: ArrayLike<number> } | { readonly history: readonly number[] };

/** The reference top-k of `selection` for `user`, from the artifact's bytes. */
export function kindTopK(a: KindArtifact, selection: TableSelection, user: ScoredUser, k: number): Ranked[] {
  const m = a.manifest;
  const variant = m.variants[selection.variant]!;
  const bytes =
    'columns' in variant
      ? { kind: 'mixed' as const, permutation: variant.permutation && a.bytes(variant.permutation), columns: variant.columns.slice(0, selection.columns).map((c) => a.bytes(c.file)) }
      : { kind: 'sparse' as const, payload: a.bytes(variant.file) };
  const input = { model: m, selection, variant, bytes };
  if ('vector' in user) return scoreKindReference({ ...input, vector: user.vector, k });
  // A history user's vector: the mean of the history items' rows as the variant stores them (the runtime's fold-in rule).
  const dense = denseKindTable(input);
  const d = m.dims.fullDim;
  const h = user.history;
  const vector = Array.from({ length: d }, (_, r) => h.reduce((s, p) => s + dense[p * d + r]!, 0) / h.length);
  return scoreKindReference({ ...input, vector, k, exclude: h });
}

/** What one load in the page reports. */
export interface Loaded {
  readonly backend: string;
  readonly manifestSource: string;
  readonly budget: number;
  readonly table: TableSelection;
  readonly residentBytes: number;
  /** Top-k of each known user, then of the history user. */
  readonly ranked: Ranked[][];
}

export interface LoadOptions {
  readonly url: string;
  readonly backend: 'wasm' | 'webgpu';
  readonly budget: number;
  readonly storage: 'memory' | 'indexeddb';
  /** Budgets `setBudget` switches to after the first report, one report each. */
  readonly grow?: readonly number[];
  /** Known users' ids. */
  readonly users: readonly string[];
  /** The new user's history, as item ids. */
  readonly history: readonly string[];
  readonly k: number;
}

/** Runs in the page: creates a recommender (then `setBudget`s it to each of `grow`) and reports what it serves. */
export async function loadKind(page: Page, o: LoadOptions): Promise<{ first: Loaded; grown: Loaded[]; changed?: boolean }> {
  return page.evaluate(
    async ({ url, backend, budget, storage, grow, users, history, k }) => {
      const { createRecommender, wasmPaths } = window.peel;
      // A cache-first start revalidates the manifest in the background: its answer is awaited before disposing.
      let revalidated: (changed: boolean) => void = () => {};
      const answered = new Promise<boolean>((r) => (revalidated = r));
      const rec = await createRecommender({ manifestUrl: url, budget, backend, storage, wasmPaths, on: { revalidated: (e) => revalidated(e.changed) } });
      const report = async () => {
        const ranked = [];
        for (const id of users) ranked.push((await rec.recommend({ user: { id }, k })).map((r) => ({ position: r.position, score: r.score })));
        ranked.push((await rec.recommend({ user: { history: [...history] }, k })).map((r) => ({ position: r.position, score: r.score })));
        const i = rec.info;
        return { backend: i.backend.name, manifestSource: i.manifestSource, budget: i.budget.bytes, table: i.table!, residentBytes: i.residentBytes, ranked };
      };
      const first = await report();
      const grown: (typeof first)[] = [];
      for (const bytes of grow) {
        await rec.persisted();
        await rec.setBudget(bytes);
        grown.push(await report());
      }
      await rec.persisted();
      const changed = first.manifestSource === 'cache' ? await answered : undefined;
      await rec.dispose();
      return { first, grown, changed };
    },
    { ...o, grow: o.grow ?? [] },
  );
}
