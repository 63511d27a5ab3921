/**
 * Public types of @peelrec/runtime. Everything an app passes in or reads back
 * is declared here so the surface stays small and reviewable in one place.
 */
import type { AnyManifest, Dtype, Selection, TableSelection } from '@peelrec/format';
import type { BudgetDecision, BudgetInputs } from './budget.js';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';
export type StorageMode = 'indexeddb' | 'memory';
export type Freshness = 'cache-first' | 'network-first';
/** How a new version found by revalidation replaces the serving one (RecommenderOptions.updates). */
export type UpdateSwap = 'overlap' | 'within-budget';

/** Who the recommendations are for. */
export type UserInput =
  /** A user of the training set: vector and group come from the artifact's user shard. */
  | { readonly id: string }
  /** An app-supplied user vector (length `dims.fullDim`) and its user group. */
  | { readonly vector: ArrayLike<number>; readonly group: number }
  /** A new user, folded in on the device from the external ids of items they interacted with. */
  | { readonly history: readonly string[] };

export interface RecommendRequest {
  readonly user: UserInput;
  /** How many items to return (default 20): an integer ≥ 1, capped at the items that can be ranked (the catalog less the excluded). */
  readonly k?: number;
  /** External item ids never to return (e.g. already seen). A `history` user's items are excluded too unless `excludeHistory` is false. */
  readonly exclude?: Iterable<string>;
  /** Default true. */
  readonly excludeHistory?: boolean;
}

export interface ItemMeta {
  readonly name?: string;
  readonly category?: string;
}

/** The catalog of the model version serving: item ids and metadata by artifact position (0 = most popular). */
export interface ItemCatalog {
  /** External item ids: the ids `recommend` returns and a `{ history }` takes. */
  readonly ids: readonly string[];
  /** `items.metadata` by position, when the artifact has it and the `metadata` option is not false. */
  readonly metadata?: readonly ItemMeta[];
}

export interface Recommendation {
  readonly itemId: string;
  readonly score: number;
  /** Artifact position (0 = most popular); ties in score are broken by ascending position. */
  readonly position: number;
  readonly meta?: ItemMeta;
}

/** Progress of one file, plus running totals over the whole load. The shape never changes between statuses. */
export interface LoadProgress {
  readonly status: 'start' | 'progress' | 'retry' | 'done' | 'cached' | 'error';
  /** Artifact-relative URL of the file; a byte range of a file (a packed block) is `url#bytes=first-last`. */
  readonly file: string;
  readonly loaded: number;
  readonly total: number;
  /** Totals over every file of this load (a create, a budget change or a group switch). */
  readonly aggregate: {
    readonly loaded: number;
    readonly total: number;
    readonly files: number;
    readonly filesDone: number;
  };
}

export interface BackendInfo {
  readonly name: BackendName;
  readonly requested: BackendPreference;
  /** Each backend tried before the active one, and why it was not used (also emitted as `fallback` events). */
  readonly fallbacks: readonly { readonly backend: BackendName; readonly reason: string }[];
  /** The WebGPU adapter seen by the probe, when there was one. */
  readonly adapter?: { readonly isFallbackAdapter: boolean; readonly vendor?: string; readonly architecture?: string; readonly maxStorageBufferBindingSize?: number };
  /** WASM features in effect, when the backend is wasm. */
  readonly wasm?: { readonly simd: boolean; readonly threads: boolean };
}

export interface StorageInfo {
  readonly requested: StorageMode;
  readonly mode: StorageMode;
  /** Why the mode differs from the request (IndexedDB unavailable, quota). */
  readonly reason?: string;
  /** Bytes of this model whose IndexedDB write has committed. */
  readonly storedBytes: number;
  /** Writes queued or in flight. */
  readonly pendingWrites: number;
}

export interface RecommenderInfo {
  readonly manifestUrl: string;
  readonly model: { readonly id: string; readonly contentHash: string };
  /** Where the manifest came from on this load: the network, or the IndexedDB copy (a cache-first warm start, or offline). */
  readonly manifestSource: 'network' | 'cache';
  readonly budget: BudgetDecision;
  /** The resident blocks (PEEL); for a table kind, its bytes and dtype with no blocks (`table` names the variant). */
  readonly selection: Selection;
  /** A table kind's (`mixed`, `sparse`: format v3) resident variant, as `selectTable` chose it; absent for PEEL blocks. */
  readonly table?: TableSelection;
  /** The user group whose blocks are resident (0 for a table kind: one table serves every user). */
  readonly userGroup: number;
  readonly backend: BackendInfo;
  readonly storage: StorageInfo;
  /** Bytes of embedding tensors resident on the backend; always ≤ `budget.bytes`. */
  readonly residentBytes: number;
  /** Bytes fetched from the network by this recommender (files, not the manifest). */
  readonly downloadedBytes: number;
  /** Bytes read from IndexedDB instead of the network. */
  readonly cachedBytes: number;
  /**
   * Whether the resident blocks are the group-blind plan (`groupBlind`): the same files for every user group at
   * this budget, scored with `userGroup`'s weights. False while a known user's (or a named group's) own blocks are resident.
   */
  readonly groupBlind: boolean;
}

export interface RecommenderOptions {
  /** URL of `manifest.json`, absolute or relative to the page; file URLs are relative to it. */
  readonly manifestUrl: string | URL;
  /** `'auto'` (default) applies the budget policy; a number of bytes overrides it. */
  readonly budget?: 'auto' | number;
  readonly backend?: BackendPreference;
  /** Default `'indexeddb'`; falls back to `'memory'` when IndexedDB is unavailable. */
  readonly storage?: StorageMode;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: LoadProgress) => void;
  /** Passed to `setWasmPaths` (e.g. Vite `?url` imports of the tfjs-backend-wasm binaries). */
  readonly wasmPaths?: string | Readonly<Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>>;
  /** The user group to load first. Default: the group of `user` when given, else 0. */
  readonly userGroup?: number;
  /** The user to prepare for: their group's blocks are loaded at creation. (A history user's group is known only after fold-in, on the first request.) */
  readonly user?: Exclude<UserInput, { readonly history: readonly string[] }>;
  /**
   * Default true: `{ history }` users are served from the group-blind plan, whose requests do not depend on the
   * history (every group's block table, and the blocks the most-shared group selects, scored with the user's own
   * group's weights); a load with neither `user` nor `userGroup` starts on it. `false`: a history user's own
   * group's blocks are fetched (its exact refined table), so the requests tell the server that group.
   */
  readonly groupBlind?: boolean;
  /**
   * Block encoding to download (default `'auto'`: see `selectBlocks`). The WASM kernel keeps blocks resident in
   * it (f16 at 2 bytes per value, i8 at 1); the other backends widen them to f32 tensors.
   */
  readonly dtype?: Dtype | 'auto';
  /** Parallel requests (default 6, the browsers' per-host limit). Adjacent byte ranges of one file (packed blocks) share a request. */
  readonly concurrency?: number;
  /** Retries per file on transient failures (default 3). */
  readonly retries?: number;
  /** Fetch `items.metadata` for `Recommendation.meta` when the artifact has it (default true). */
  readonly metadata?: boolean;
  /** Injectable fetch (tests, service workers). Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** Injectable IndexedDB factory (tests). Default `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
  /**
   * Budget inputs that replace what the environment reports (tests; workers,
   * where the page may know better). A key present with value `undefined`
   * simulates its absence, e.g. `{ deviceMemory: undefined }` as on Firefox.
   */
  readonly budgetInputs?: Partial<Pick<BudgetInputs, 'deviceMemory' | 'storage' | 'maxStorageBufferBindingSize'>>;
  /**
   * `'cache-first'` (default): when IndexedDB holds a complete version, the recommender is ready from it without
   * waiting for the manifest request; the manifest is revalidated in the background, and a new version is
   * downloaded, stored and then switched to atomically (`updated` event). `'network-first'`: the manifest is
   * fetched first, so a new version is used on this very load (the cache serves it only when offline).
   */
  readonly freshness?: Freshness;
  /**
   * How a new version found by revalidation replaces the serving one. `'overlap'` (default): it loads beside the
   * serving version, which answers every request until the switch; meanwhile the resident tables are up to twice
   * the budget. `'within-budget'`: the resident tables never exceed the budget: at the switch the serving version
   * is released first, then the new one loads (files it shares with the stored version come from IndexedDB, the
   * rest from the network), and requests wait for it. Should the new version fail to load, the stored version is
   * loaded again from IndexedDB (an `updatefailed` event says why). For catalogs that change often in small steps
   * on devices with no room for two tables.
   */
  readonly updates?: UpdateSwap;
  /**
   * Upper bounds on waits the runtime does not control, in ms. `stallMs` (default 20 000): a request with no
   * response, or no new body bytes, for this long is cut and retried like a network error. `browserApiMs` (default
   * 10 000): IndexedDB (open, reads, writes), `storage.estimate()` and the WebGPU adapter request; past it the load
   * goes on without that API (memory storage, no storage input, another backend) and says why in `info`.
   */
  readonly timeouts?: { readonly stallMs?: number; readonly browserApiMs?: number };
  /**
   * Default true where module Workers exist (and neither `fetch` nor `indexedDB` is injected: they cannot cross to a
   * worker): the model loads and scores in a dedicated Worker, so the page's main thread runs no long task for it.
   * `false`: everything runs on the calling thread.
   */
  readonly worker?: boolean;
  /** Listeners registered before loading starts, so events of the load itself (fallback, storage) are seen. */
  readonly on?: { readonly [E in RecommenderEventName]?: (detail: RecommenderEvents[E]) => void };
}

export interface RecommenderEvents {
  progress: LoadProgress;
  fallback: { readonly from: BackendName; readonly to: BackendName | null; readonly reason: string };
  integrity: { readonly file: string; readonly expected: string; readonly actual: string; readonly attempt: number; readonly willRetry: boolean };
  quota: { readonly file: string; readonly action: 'evicted' | 'memory'; readonly error: string };
  eviction: { readonly files: readonly string[]; readonly bytes: number; readonly reason: 'quota' | 'replaced' };
  storage: { readonly mode: StorageMode; readonly reason: string };
  budget: BudgetDecision;
  selection: { readonly selection: Selection; readonly residentBytes: number; readonly table?: TableSelection };
  /**
   * The writes queued by a load (creation, budget change, group switch) have
   * settled: `storage` says what is committed. A write that failed was
   * reported first by `storage` (and `quota`); nothing resident is lost.
   */
  persisted: StorageInfo;
  /** Cache-first: the background manifest request answered. `changed` says whether the server has another version (then an update starts). */
  revalidated: { readonly changed: boolean; readonly contentHash: string };
  /** Cache-first: a new version was downloaded, verified and stored, and is now the one serving (every later request uses it). */
  updated: { readonly from: { readonly id: string; readonly contentHash: string }; readonly to: { readonly id: string; readonly contentHash: string } };
  /** Cache-first: revalidating or loading the new version failed; the version already serving stays ready. */
  updatefailed: { readonly stage: 'manifest' | 'download'; readonly error: Error; readonly reason: string };
}

export type RecommenderEventName = keyof RecommenderEvents;

/** What {@link Recommender.checkForUpdate} found: the server's version, and whether this call switched to it. */
export interface UpdateCheck {
  readonly changed: boolean;
  readonly contentHash: string;
  readonly updated: boolean;
}

export interface Recommender {
  readonly info: RecommenderInfo;
  /**
   * `manifest.json` of the version serving, discriminated on `kind`: `peel-blocks` (v2) with the entries of the block
   * tables loaded so far (the resident group's, and any group used before), or a table kind's (`mixed`, `sparse`: v3,
   * variants instead of blocks). Narrow it with `isPeelManifest` / `isKindManifest` (or `kind`) before reading either.
   */
  readonly manifest: AnyManifest;
  recommend(request: RecommendRequest): Promise<Recommendation[]>;
  /** Applies a new budget without reloading: shrinking disposes tensors before it resolves; growing loads only the new blocks. */
  setBudget(budget: number | 'auto'): Promise<RecommenderInfo>;
  /** Resolves when every queued IndexedDB write has committed (or failed and been handled). */
  persisted(): Promise<StorageInfo>;
  /**
   * Asks the server for the manifest now, as a cache-first load does once in the background, and when it names
   * another version loads it and switches to it by the rule of `updates` (the same `revalidated` and `updated`
   * events). For an app that stays open while the model is redeployed (a growing catalog). Resolves once the
   * newest version serves; rejects with the error that an `updatefailed` event reports too, the serving version
   * untouched. A call while a check runs shares it.
   */
  checkForUpdate(): Promise<UpdateCheck>;
  on<E extends RecommenderEventName>(event: E, listener: (detail: RecommenderEvents[E]) => void): () => void;
  addEventListener<E extends RecommenderEventName>(event: E, listener: (ev: CustomEvent<RecommenderEvents[E]>) => void): void;
  removeEventListener<E extends RecommenderEventName>(event: E, listener: (ev: CustomEvent<RecommenderEvents[E]>) => void): void;
  dispose(): Promise<void>;
  /** The catalog of the version serving now (held since the load; another one after `updated`). */
  readonly items: ItemCatalog;
  /** The training-set users' ids, for `{ id }` requests: `users.ids`, fetched on the first call (verified, cached), or `"0"` … `"count-1"`. */
  users(): Promise<readonly string[]>;
}

/** The options of `listCachedModels` and `deleteCachedModel`: the same IndexedDB, and the same bound on its answers, as `createRecommender`'s. */
export interface CacheOptions {
  readonly indexedDB?: IDBFactory;
  readonly timeouts?: { readonly browserApiMs?: number };
}

/** A model this runtime stored in IndexedDB, by manifest URL (`listCachedModels`). */
export interface CachedModelInfo {
  /** The absolute URL of its `manifest.json`, as `info.manifestUrl` gives it. */
  readonly manifestUrl: string;
  /** The complete version that a cache-first or offline start serves; absent while only an incomplete version is stored. */
  readonly current?: { readonly id: string; readonly contentHash: string };
  /** Versions with stored files: the current one, and one that is still being stored (a new version, before `updated`). */
  readonly versions: number;
  /** Files stored for this URL, each counted once (a file that another URL's model shares counts for both). */
  readonly files: number;
  readonly bytes: number;
  /** When a file was last stored for it, in ms since the epoch. */
  readonly updatedAt: number;
}

/** What `deleteCachedModel` removed. Files that another URL's model shares are kept, and not counted. */
export interface CacheDeletion {
  readonly versions: number;
  readonly files: number;
  readonly bytes: number;
}
