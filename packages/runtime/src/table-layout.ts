/**
 * How a table is held resident and scored on one backend: the scorer's only view of its tensors. Each
 * implementation serves one table kind on the backends it names, and the registry in layouts.ts picks one
 * when the scorer is prepared for a backend (as TF.js registers a kernel per backend). A new table kind
 * (`mixed`: per-entity dimensions, `sparse`: per-entry pruned) or a new backend path is one module
 * implementing {@link TableLayout} with its {@link LayoutFactory}, plus one line in that registry: the scorer
 * does not change.
 */
import type { Dtype, Manifest, Selection } from '@peelrec/format';
import type { ScoredPosition } from './reference.js';
import type { BackendName } from './types.js';

/** What the scorer and its layouts read of the manifest. */
export type ScorerModel = Pick<Manifest, 'kind' | 'dims' | 'itemGroups'> & { readonly items: { readonly count: number } };

/** The verified file bytes (in the selection's dtype) of a block that is not resident yet. */
export type FreshBlock = (itemGroup: number, block: number) => Uint8Array;

/** Unweighted item vectors (fullDim each) and, per item, which of its blocks are resident (1) or not (0). */
export interface ItemVectors {
  readonly vectors: Float32Array[];
  readonly known: Uint8Array[];
}

/** One table held on one backend. */
export interface TableLayout {
  /**
   * How selection must count resident bytes: undefined when blocks stay in their file dtype, else the dtype
   * they are widened to. Resident bytes are the selection's `bytes` counted so, less what a layout keeps out
   * of its tensors (an i8 block's 4-byte scale, held in the wasm kernel's plan): never more.
   */
  readonly residentDtype: Dtype | undefined;
  /** Bytes of the resident tensors. */
  readonly residentBytes: number;
  /**
   * Makes `selection` resident. With `reuse`, every block held now is byte-identical to the one selected and
   * may be kept or copied; `fresh` gives the bytes of every other block. A rebuild briefly holds the old and
   * new tensors of what changed; the old ones are freed before it returns, and if it throws, what was
   * resident stays so.
   */
  apply(selection: Selection, fresh: FreshBlock, reuse: boolean): void;
  /** The top `k` (at most the catalog) items, score descending, ties by position, for a user vector of length fullDim, skipping `exclude` positions. */
  top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]>;
  /** The resident item vectors at `positions`; blocks of zero weight count as absent, on every layout alike. */
  itemVectors(positions: readonly number[]): Promise<ItemVectors>;
  /** Frees its tensors and kernel memory. */
  dispose(): void;
  /** Drops what died with its backend (a lost GPU device) without touching it. */
  forget(): void;
}

/** A registry entry: one layout for one table kind, and where it runs. */
export interface LayoutFactory {
  /** Its name in the registry (a bench restricts the registry by name to time one path against another). */
  readonly name: string;
  readonly kind: Manifest['kind'];
  /** The `residentDtype` of its layouts. */
  readonly residentDtype: Dtype | undefined;
  /** Whether it should open on `backend`: how selection counts bytes before that backend is up. */
  expects(backend: BackendName): boolean;
  /** A layout on the active tfjs backend, or undefined where it cannot run there. */
  open(model: ScorerModel): Promise<TableLayout | undefined>;
}
