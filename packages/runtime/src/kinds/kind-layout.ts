/**
 * The seam between the v3 table kinds (`mixed`: per-item sizes in prefix columns, `sparse`: CSR rows with u8
 * indices; issue 20) and the recommender: how one selected variant is held resident and scored on one backend.
 * Each implementation serves one kind on the backends it names, and the registry in registry.ts picks one when
 * the scorer is prepared, as layouts.ts does for `peel-blocks` tables (table-layout.ts).
 */
import type { Dtype, TableSelection, Variant } from '@peelrec/format';
import type { ScoredPosition } from '../reference.js';
import type { BackendName } from '../types.js';

export type TableKind = 'mixed' | 'sparse';

/** What a kind layout reads of the manifest. */
export interface KindModel {
  readonly kind: TableKind;
  readonly dims: { readonly fullDim: number };
  readonly items: { readonly count: number };
}

/** Verified bytes of the selected variant (what the store holds). */
export type VariantBytes =
  | {
      readonly kind: 'mixed';
      /** The permutation file's bytes; undefined when the variant has none (identity). */
      readonly permutation: Uint8Array | undefined;
      /** Columns 0 … selection.columns − 1, each its range's bytes. */
      readonly columns: readonly Uint8Array[];
    }
  | { readonly kind: 'sparse'; readonly payload: Uint8Array };

/** One variant held on one backend. */
export interface KindLayout {
  /** undefined: values stay in the file dtype; 'f32': widened (selection counts them so). */
  readonly residentDtype: Dtype | undefined;
  /** Bytes actually held (values, indices and permutation); never more than the selection's counted `bytes`. */
  readonly residentBytes: number;
  /**
   * Makes `selection` of `variant` resident from its verified `bytes`, replacing what is held: the old is freed
   * once the new is built, and if this throws, the old stays resident.
   * @throws FormatDataError (a ManifestError) when the bytes do not have the structure the variant promises.
   */
  apply(selection: TableSelection, variant: Variant, bytes: VariantBytes): void;
  /** The top `k` (at most the catalog) artifact positions, score descending, ties by position, skipping `exclude` positions. */
  top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]>;
  /** The held item vectors at `positions`: fullDim each, 0 where not stored (fold-in of new users). */
  itemVectors(positions: readonly number[]): Promise<Float32Array[]>;
  /** Frees its tensors and kernel memory. */
  dispose(): void;
  /** Drops what died with its backend (a lost GPU device) without touching it. */
  forget(): void;
}

/** A registry entry: one layout for one table kind, and where it runs. */
export interface KindLayoutFactory {
  /** Its name in the registry (a bench restricts the registry by name to time one path against another). */
  readonly name: string;
  readonly kind: TableKind;
  /** The `residentDtype` of its layouts: how selection must count bytes for it. */
  readonly residentDtype: Dtype | undefined;
  /** Whether it should open on `backend`: how selection counts bytes before that backend is up. */
  expects(backend: BackendName): boolean;
  /** A layout on the active tfjs backend, or undefined where it cannot run there. */
  open(model: KindModel): Promise<KindLayout | undefined>;
}
