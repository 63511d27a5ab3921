/** Compressed sparse rows: row u's columns are `indices[indptr[u] .. indptr[u+1])`, sorted ascending, no duplicates. */
export interface CSR {
  readonly indptr: Uint32Array; // length rows + 1
  readonly indices: Uint32Array;
}

export interface ItemMeta {
  readonly name: string;
  readonly category: string;
}

/** Implicit-feedback interactions with dense 0-based ids, split into train and test. */
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
}
