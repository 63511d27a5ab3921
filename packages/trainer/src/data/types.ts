/** Compressed sparse rows: row u's columns are `indices[indptr[u] .. indptr[u+1])`, sorted ascending, no duplicates. */
export interface CSR {
  readonly indptr: Uint32Array; // length rows + 1
  readonly indices: Uint32Array;
}

export interface ItemMeta {
  readonly name: string;
  readonly category: string;
}

/**
 * Implicit-feedback interactions with dense 0-based indices, split into train and test. The catalog is the
 * items that occur in train (see catalog.ts): every item index has at least one training interaction.
 */
export interface Dataset {
  readonly name: string;
  readonly nUsers: number;
  readonly nItems: number;
  readonly train: CSR;
  readonly test: CSR;
  /** External ids by dense index. */
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly itemMeta?: readonly ItemMeta[];
  /**
   * Per user, the test interactions whose item never occurs in train. This happens only when the trainer made
   * the split itself. Those items are outside the catalog, so they cannot be ranked, and evaluation counts
   * each one as a miss. Absent when there are none.
   */
  readonly testUnranked?: Uint32Array;
}

/** A timestamped log before any split (the streaming protocol's input, issue 24): dense indices, any time order. */
export interface TimedInteractions {
  readonly name: string;
  readonly nUsers: number;
  readonly nItems: number;
  readonly rows: readonly { user: number; item: number; time: number }[];
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
}
