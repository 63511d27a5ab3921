/**
 * createRecommender: manifest → backend → budget → selection → blocks (cache
 * or network) → resident tensors, then recommendations. Every state change
 * (recommend, setBudget, a user-group switch, a lost GPU) runs one at a time
 * so no request ever sees half-swapped tensors.
 */
import {
  BudgetTooSmallError,
  FileRefSchema,
  decodeUserShard,
  ManifestError,
  parseBlockTable,
  refName,
  selectBlocks,
  withBlockTables,
  type FileRef,
  type BlockTable,
  type Manifest,
  type ManifestFile,
  type Selection,
} from '@peelrec/format';
import { atLeastMinimum, budgetFromDevice, type BudgetDecision, type BudgetInputs } from './budget.js';
import { initBackend, probeWebGpu, type ActiveBackend } from './backend.js';
import { BROWSER_API_MS } from './bounded.js';
import { BoundedStore } from './bounded-store.js';
import { DEFAULT_CONCURRENCY, downloadFiles, fetchManifestText, ProgressTracker, RETRY_BASE_MS } from './download.js';
import { readBudgetInputs } from './environment.js';
import { AbortError, DisposedError, type DownloadError, OptionError, StorageError, throwIfAborted, UserError } from './errors.js';
import type { RecommenderEventTarget } from './events.js';
import { itemCatalog, parseJsonArray } from './catalog.js';
import { KnownUsers } from './known-users.js';
import { checkManifest, earlyManifest, trustedManifest } from './manifest-trust.js';
import { foldIn, nearestCentroid } from './fold-in.js';
import { blindGroup, blindGroupOf, blindSelection, isBlind, isOwnSelection, startsBlind } from './group-blind.js';
import { PersistQueue } from './persist.js';
import type { ScoredPosition } from './reference.js';
import { Scorer } from './scorer.js';
import { awaitedLater, bestEffort, settled } from './settle.js';
import { manifestTextHash, MemoryStore, openIndexedDbStore, type CachedModel, type ModelStore } from './store.js';
import type {
  BackendName,
  BackendPreference,
  ItemCatalog,
  ItemMeta,
  LoadProgress,
  Recommendation,
  RecommendRequest,
  Recommender,
  RecommenderEvents,
  RecommenderInfo,
  RecommenderOptions,
  StorageInfo,
  UserInput,
} from './types.js';

/** Where a model version's manifest comes from: the network (then the cache when offline), the cache first, or a text already fetched. */
export type ManifestPlan = { readonly from: 'network' } | { readonly from: 'cache' } | { readonly from: 'text'; readonly text: string };

/** Opens one model version: cache-first falls back to network-first when the cached version cannot be loaded. */
export async function openModel(options: RecommenderOptions, events: RecommenderEventTarget, plan: ManifestPlan): Promise<PeelRecommender> {
  const rec = new PeelRecommender(options, events, plan);
  try {
    await rec.init();
    return rec;
  } catch (e) {
    await rec.teardown();
    // The cached version may lack what this load needs (a larger budget, another group) while the server moved on
    // and no longer has its files: the network's version is then loaded as network-first would.
    if (plan.from !== 'cache' || rec.manifestSource !== 'cache' || e instanceof AbortError || options.signal?.aborted) throw e;
    return openModel(options, events, { from: 'network' });
  }
}

interface ResolvedUser {
  readonly vector: Float32Array;
  readonly group: number;
  readonly history?: readonly number[];
}

interface FileJob {
  readonly ref: FileRef;
  readonly weight: number;
  readonly use: (bytes: Uint8Array) => void;
}

/** Weight for files every selection needs (ids, metadata): never evicted for a block. */
const ESSENTIAL = Number.MAX_VALUE;
/** Weight for user shards: the first thing to go when space runs out. */
const DISPOSABLE = 0;

/**
 * One model version, loaded and served (a {@link FreshRecommender} swaps them when the server publishes a new one).
 * Listeners are registered on the FreshRecommender, which owns the event target this version emits on.
 */
export class PeelRecommender implements Omit<Recommender, 'on' | 'addEventListener' | 'removeEventListener'> {
  private readonly fetchFn: typeof fetch;
  private readonly url: URL;
  /** manifest.json plus the block tables loaded so far (only the groups this session used). */
  private manifestValue!: Manifest;
  private manifestFile!: ManifestFile;
  private manifestText = '';
  /** Files committed for the cached version when the manifest is byte-identical to it (validated when they were stored). */
  private trustedFiles: ReadonlySet<string> = new Set();
  /** False while the creation's first downloads run ahead of the manifest's full check: each ref is checked before it is fetched. */
  private manifestChecked = true;
  /** Cache reads started for the last complete version while the network manifest loads (creation only): sha256 → verified bytes. */
  private readonly prefetched = new Map<string, Promise<Uint8Array | undefined>>();
  private prefetching = true;
  /** The progress totals of the creation, while it runs. */
  private creationProgress: ProgressTracker | undefined;
  /** Budget inputs read while the manifest loads, for the first decision. */
  private envAtStart: ReturnType<typeof readBudgetInputs> | undefined;
  /** Where the manifest came from: known before the load finishes (openModel reads it to fall back; info needs the selection). */
  manifestSource: 'network' | 'cache' = 'network';
  private store: ModelStore = new MemoryStore();
  private storageReason: string | undefined;
  private queue!: PersistQueue;
  /** Files committed by other stored versions than this one (sha256 → byte length), looked up once when first asked; empty in memory mode. */
  private otherVersionsFiles: () => Promise<ReadonlyMap<string, number>> = () => Promise.resolve(new Map());
  private backend!: ActiveBackend;
  private readonly skip = new Map<BackendName, string>();
  private scorer!: Scorer;
  private budgetRequest: number | 'auto';
  private decision!: BudgetDecision;
  private selection!: Selection;
  private itemIds: string[] = [];
  private positionIndex: Map<string, number> | undefined;
  private metadata: ItemMeta[] | undefined;
  private catalog: ItemCatalog | undefined;
  /** Known users' ids and shards, fetched through fetchFiles (verified, cached) as they are needed. */
  private readonly known = new KnownUsers(
    () => this.manifestValue,
    (ref, use, signal) => this.fetchFiles([{ ref, weight: DISPOSABLE, use }], signal),
  );
  private downloaded = 0;
  private cached = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private promoting: Promise<void> = Promise.resolve();
  private disposed = false;
  private lostReason: string | undefined;

  constructor(
    private readonly options: RecommenderOptions,
    private readonly events: RecommenderEventTarget,
    private readonly plan: ManifestPlan = { from: 'network' },
  ) {
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.budgetRequest = options.budget ?? 'auto';
    const base = (globalThis as { location?: { href: string } }).location?.href;
    try {
      this.url = new URL(String(options.manifestUrl), base);
    } catch (cause) {
      throw new ManifestError(`manifestUrl ${JSON.stringify(String(options.manifestUrl))} is not a valid URL${base ? '' : ' (relative URLs need a page location)'}`, [], { cause });
    }
  }

  /** The manifest text this version was loaded from (revalidation compares the network's copy with it). */
  get manifestTextLoaded(): string {
    return this.manifestText;
  }

  get manifest(): Manifest {
    return this.manifestValue;
  }

  get items(): ItemCatalog {
    return (this.catalog ??= itemCatalog(this.itemIds, this.metadata));
  }

  users(): Promise<readonly string[]> {
    return this.serial(() => this.known.list(undefined));
  }

  get info(): RecommenderInfo {
    return {
      manifestUrl: this.url.href,
      model: { id: this.manifestValue.model.id, contentHash: this.manifestValue.model.contentHash },
      manifestSource: this.manifestSource,
      budget: this.decision,
      selection: this.selection,
      userGroup: this.selection.userGroup,
      backend: this.backend.info,
      storage: this.storageInfo(),
      residentBytes: this.scorer.residentBytes,
      downloadedBytes: this.downloaded,
      cachedBytes: this.cached,
      groupBlind: isBlind(this.selection),
    };
  }

  async init(): Promise<void> {
    const signal = this.options.signal;
    // The store, the manifest, the budget inputs and the backend (WASM fetch + compile) load side by side.
    const storeOpen = this.options.storage !== 'memory' ? this.openStore() : Promise.resolve();
    const backendReady = this.startBackend();
    awaitedLater(backendReady);
    this.envAtStart = readBudgetInputs(this.options.timeouts?.browserApiMs);
    // Whether WebGPU may be chosen (then the budget waits for the backend), asked now so that the answer is ready.
    const webGpuPossible = mayUseWebGpu(this.options.backend ?? 'auto', this.options.timeouts?.browserApiMs);
    throwIfAborted(signal);
    // The last complete version, read while the network answers: an identical manifest was verified when it was stored,
    // and what that version needs is read from IndexedDB meanwhile (revalidation and cache reads overlap).
    const cachedVersion = storeOpen.then(() => this.store.current(this.url.href)).catch(() => undefined);
    const versions = storeOpen.then(() => this.store.versions()).catch(() => new Set<string>());
    bestEffort(cachedVersion.then((c) => c && this.prefetchCached(c, signal)));
    // Cache-first: the last complete version serves at once; the caller revalidates the manifest once ready.
    const fromCache = this.plan.from === 'cache' ? await cachedVersion : undefined;
    if (fromCache) this.manifestSource = 'cache';
    const text = fromCache?.manifest ?? (this.plan.from === 'text' ? this.plan.text : await this.fetchManifestText(signal, cachedVersion));
    const cached = await cachedVersion;
    // A cached text still hashing to what it hashed to when it passed the full check is trusted like an identical
    // network copy (the schema walk and the content hash cost tens of ms of a warm start on a slow core).
    const textSha = fromCache ? await manifestTextHash(text) : undefined;
    const checkedCopy = fromCache && fromCache.manifestSha256 === textSha ? trustedManifest(text, fromCache.contentHash) : undefined;
    // A manifest byte-identical to the cached version was fully checked when it was stored. Any other is checked in
    // full (schema, invariants, content hash), but while the first group-independent downloads are in flight: they
    // start from a plain parse, each ref they fetch checked on its own, and nothing they bring is used or stored
    // before the whole manifest passed.
    const trusted = checkedCopy ?? this.trustedCopy(text, cached);
    if (trusted && cached) this.trustedFiles = new Set(cached.files.keys());
    const m = trusted ?? earlyManifest(text) ?? (await checkManifest(text)); // (a text that does not even parse fails here)
    this.manifestFile = m;
    this.manifestValue = withBlockTables(m, []);
    this.manifestText = text;
    this.manifestChecked = trusted !== undefined;
    const stored =
      cached?.contentHash === m.model.contentHash ? cached.files : (await versions).has(m.model.contentHash) ? await this.store.storedFiles(m.model.contentHash) : new Map<string, number>();
    // Files other stored versions committed (the store is content-addressed): a new version reads the ones it shares
    // from IndexedDB instead of downloading them, and commits them for itself. Looked up only when a load lacks a
    // file, so a warm start of a stored version never waits for it.
    let others: Promise<ReadonlyMap<string, number>> | undefined;
    this.otherVersionsFiles = () => (others ??= versions.then((v) => this.filesOfOtherVersions(m.model.contentHash, cached, v)));
    this.queue = new PersistQueue(this.store, { contentHash: m.model.contentHash, manifestUrl: this.url.href, manifest: text }, this.events, stored);
    // IndexedDB writes wait until the first selection is resident: recommendations first, persistence right after.
    this.queue.hold();
    this.creationProgress = new ProgressTracker(0, 0, (p) => this.reportProgress(p));
    // The item ids (and metadata) do not depend on the user group: they load while the group's files do, and are
    // parsed (~20 ms for 40k ids on a slow core) while the blocks stream in rather than between the group's requests.
    const itemBytes: { ids?: Uint8Array; metadata?: Uint8Array } = {};
    const itemFiles = this.fetchFiles(
      [
        { ref: m.items.ids, weight: ESSENTIAL, use: (b) => void (itemBytes.ids = b) },
        ...(m.items.metadata && this.options.metadata !== false ? [{ ref: m.items.metadata, weight: ESSENTIAL, use: (b: Uint8Array) => void (itemBytes.metadata = b) }] : []),
      ],
      signal,
    );
    awaitedLater(itemFiles);
    // The first group: explicit, else the prepared user's (from their user shard), else 0. Only its block table is fetched.
    const prepared = this.options.user && !('history' in this.options.user) ? this.resolveUser(this.options.user, signal) : undefined;
    awaitedLater(prepared); // after the manifest check, whose error comes first
    // The full check runs in the next task, once the requests above have reached the network.
    const validated = trusted ? Promise.resolve(trusted) : nextTask().then(() => checkManifest(text));
    awaitedLater(validated);
    try {
      if (!this.manifestChecked) {
        const checked = await validated;
        this.manifestFile = checked;
        this.manifestValue = withBlockTables(checked, []);
        this.manifestChecked = true;
        // The text that passed is the one the store keeps for this version: a cached text gets its check hash (the
        // next cache-first start may trust it; records from before the hash was kept), and a network copy replaces
        // a stored text of the same version that differs (it failed its check, or it would have been trusted), so
        // an offline start can read this version again.
        const keep = fromCache ?? (cached?.contentHash === checked.model.contentHash && cached.manifest !== text ? cached : undefined);
        if (keep) bestEffort((textSha ? Promise.resolve(textSha) : manifestTextHash(text)).then((sha) => this.store.markChecked(keep.contentHash, text, sha)));
      }
      this.scorer = new Scorer(this.manifestValue);
      const groups = this.manifestFile.userGroups.count;
      // No user or group named: the group-blind plan (every table, then the blocks of the most-shared group), so a
      // { history } user's requests never depend on the history (issue 27).
      const blindStart = startsBlind(this.options);
      if (blindStart) await this.loadBlockTables(this.allGroups(), signal);
      const group = blindStart ? blindGroup(this.manifestValue) : prepared ? (await prepared).group : (this.options.userGroup ?? 0);
      if (!Number.isInteger(group) || group < 0 || group >= groups) {
        throw prepared
          ? new UserError(`user ${JSON.stringify(this.options.user)} has group ${group}, but the model has ${groups} groups`)
          : new OptionError('userGroup', group, `an integer in [0, ${groups}) (this model has ${groups} user groups)`);
      }
      await this.loadBlockTables([group], signal);
      // The budget depends on the backend only through WebGPU's binding limit: unless WebGPU may be chosen, the
      // blocks download while the backend (WASM fetch, compile, glue code) still initialises.
      const backend = backendReady.then(() => this.scorer.prepare());
      awaitedLater(backend);
      if (await webGpuPossible) await backend;
      throwIfAborted(signal);
      const { decision, selection } = await this.budgeted(this.budgetRequest, group, blindStart);
      this.decision = decision;
      const blocks = this.loadSelection(selection, signal, [], backend);
      awaitedLater(blocks);
      await nextTask(); // the block requests reach the network first
      await itemFiles;
      this.setItemIds(itemBytes.ids!);
      if (itemBytes.metadata) this.setMetadata(itemBytes.metadata);
      await blocks;
      await this.scorer.warmUp();
    } catch (e) {
      // Nothing of a manifest that fails its check is kept, and its error is the one reported.
      const invalid = await validated.then(
        () => undefined,
        (v: unknown) => v,
      );
      if (invalid !== undefined) this.queue.discard();
      throw invalid ?? e;
    } finally {
      this.prefetching = false;
      this.prefetched.clear();
      this.creationProgress = undefined;
      await settled(itemFiles); // before teardown: nothing is written after dispose
      this.queue.release();
    }
    this.schedulePromote();
  }

  recommend(request: RecommendRequest): Promise<Recommendation[]> {
    return this.serial(async () => {
      const user = await this.resolveUser(request.user, undefined);
      // A history user is on the plan resolveUser put in place. A known user is scored with their group's own blocks,
      // which the group-blind plan stays for when it is exactly those (their group shares the blind group's files).
      const stay = user.history !== undefined || isOwnSelection(this.selection);
      if (user.group !== this.selection.userGroup || !stay) {
        const blindPlan = isBlind(this.selection) && (user.history !== undefined || isOwnSelection(this.select(user.group, this.decision.bytes, true)));
        await this.switchGroup(user.group, blindPlan);
      }
      const exclude = new Set<number>();
      for (const id of request.exclude ?? []) {
        const p = this.positionOf().get(id);
        if (p !== undefined) exclude.add(p);
      }
      if (request.excludeHistory !== false) for (const p of user.history ?? []) exclude.add(p);
      // Scorer.top caps k at the catalog (the kernels size their heaps by it); exclusions leave the rest unfilled.
      return (await this.topFor(user.vector, request.k ?? 20, exclude)).map(({ position, score }) => {
        const meta = this.metadata?.[position];
        return { itemId: this.itemIds[position]!, score, position, ...(meta && { meta }) };
      });
    });
  }

  setBudget(budget: number | 'auto'): Promise<RecommenderInfo> {
    return this.serial(async () => {
      // Selecting first means a BudgetTooSmallError leaves everything as it was.
      const { decision, selection } = await this.budgeted(budget, this.selection.userGroup, isBlind(this.selection));
      // The decision becomes `info.budget` together with the selection, before any event about either fires.
      await this.loadSelection(selection, undefined, [], undefined, decision);
      this.budgetRequest = budget;
      this.events.emit('budget', decision);
      this.schedulePromote();
      return this.info;
    });
  }

  async persisted(): Promise<StorageInfo> {
    await settled(this.lock);
    await this.queue?.idle();
    await this.promoting;
    return this.storageInfo();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    // After the requests queued before it, whatever their outcome.
    await settled(
      this.serial(async () => {
        this.disposed = true;
      }),
    );
    this.disposed = true;
    await this.teardown();
  }

  /** Frees tensors now; lets queued writes commit, then closes the database. */
  async teardown(): Promise<void> {
    this.scorer?.dispose();
    await this.queue?.idle();
    await this.promoting;
    this.store.close();
  }

  // ---- loading ----

  private async openStore(): Promise<void> {
    try {
      const ms = this.options.timeouts?.browserApiMs ?? BROWSER_API_MS;
      this.store = new BoundedStore(await openIndexedDbStore(this.options.indexedDB, ms), ms);
    } catch (e) {
      this.storageReason = e instanceof StorageError ? e.message : `IndexedDB unavailable: ${(e as Error)?.message ?? e}`;
      this.store = new MemoryStore();
      this.events.emit('storage', { mode: 'memory', reason: this.storageReason });
    }
  }

  /**
   * The network copy when reachable (so a new version is seen), else the last
   * complete cached version. A transport failure with a cached version falls
   * back at once (offline); server errors and a cold cache are retried.
   */
  private fetchManifestText(signal: AbortSignal | undefined, cachedVersion: Promise<CachedModel | undefined>): Promise<string> {
    // Offline (a transport failure), or the server keeps failing: the last complete cached version serves (the
    // record the load already reads for its prefetch, not a second read).
    const cachedInstead = async (error: DownloadError, willRetry: boolean): Promise<string | undefined> => {
      if (error.status !== undefined && willRetry) return undefined;
      const cached = await cachedVersion;
      if (cached) this.manifestSource = 'cache';
      return cached?.manifest;
    };
    return fetchManifestText(this.url, this.fetchFn, signal, this.options.retries ?? 3, this.options.timeouts?.stallMs, cachedInstead);
  }

  /**
   * Byte-identical to the cached version, which passed parseManifest and the content-hash check before it was
   * stored: trusted without either (the schema walk and the canonical hash cost tens of ms on a slow core). Only a
   * network copy is compared: a copy read back from IndexedDB alone (offline) is always fully checked.
   */
  private trustedCopy(text: string, cached: CachedModel | undefined): ManifestFile | undefined {
    if (this.manifestSource !== 'network' || cached?.manifest !== text) return undefined;
    return trustedManifest(text, cached.contentHash);
  }

  /**
   * Warm start: reads from IndexedDB what the last complete version needs (item files, the user's shard, the
   * group's block table and every stored block of it) while the manifest is revalidated over the network.
   * Reads are keyed by SHA-256, so whatever version the network names, only bytes it pins are used; a failed
   * or useless read costs nothing but the read.
   */
  private async prefetchCached(cached: CachedModel, signal: AbortSignal | undefined): Promise<void> {
    const m = JSON.parse(cached.manifest) as ManifestFile; // validated when it was stored
    const read = (refs: readonly (FileRef | undefined)[]): Promise<(Uint8Array | undefined)[]> => {
      if (!this.prefetching) return Promise.resolve(refs.map(() => undefined)); // creation is over: nobody would use them
      const want = refs.filter((r): r is FileRef => r !== undefined && cached.files.has(r.sha256) && !this.prefetched.has(r.sha256));
      const all = this.store.readMany(want.map((r) => r.sha256));
      awaitedLater(all);
      want.forEach((r, i) =>
        this.prefetched.set(
          r.sha256,
          all.then(
            (b) => b[i],
            () => undefined,
          ),
        ),
      );
      return Promise.all(refs.map((r) => (r ? (this.prefetched.get(r.sha256) ?? Promise.resolve(undefined)) : Promise.resolve(undefined))));
    };
    void read([m.items.ids, this.options.metadata !== false ? m.items.metadata : undefined]);
    let group = this.options.userGroup ?? 0;
    const user = this.options.user;
    if (user && 'id' in user && !m.users.ids && /^(0|[1-9]\d*)$/.test(String(user.id))) {
      const index = Number(user.id);
      const shard = m.users.shards.find((s) => index >= s.start && index < s.start + s.count);
      const [bytes] = await read([shard?.file]);
      if (!shard || !bytes) return;
      group = decodeUserShard(bytes, m.dims.fullDim, shard.count).groups[index - shard.start]!;
    }
    if (signal?.aborted) return;
    const entriesOf = (table: Uint8Array) => (JSON.parse(new TextDecoder().decode(table)) as BlockTable).blocks;
    if (startsBlind(this.options)) {
      // The group-blind plan: every table, then the blocks of the group the plan takes them from.
      const tables = await read(m.blockTables ?? []);
      if (!tables.length || !tables.every((t) => t !== undefined)) return;
      const entries = tables.map((t) => entriesOf(t!));
      await read(entries[blindGroupOf(entries)]!.flatMap((e) => e.files));
      return;
    }
    const [table] = await read([m.blockTables?.[group]]);
    if (!table) return;
    await read(entriesOf(table).flatMap((e) => e.files));
  }

  /** Fetches (or reads from the cache), verifies and validates the block tables of `groups` not loaded yet, in one download. */
  private async loadBlockTables(groups: readonly number[], signal: AbortSignal | undefined): Promise<void> {
    const missing = groups.filter((g) => !this.manifestValue.blocks.some((e) => e.userGroup === g));
    const tables: BlockTable[] = [];
    const jobs = missing.map((group): FileJob => {
      const ref = this.manifestFile.blockTables[group];
      if (!ref) throw new ManifestError(`the manifest has no block table for user group ${group} (it has ${this.manifestFile.userGroups.count} groups)`);
      // A table committed for this very (trusted) version passed parseBlockTable against this manifest before it was
      // stored, and its bytes were just re-verified by hash: its schema walk is not repeated.
      const checked = this.trustedFiles.has(ref.sha256);
      const parse = (b: Uint8Array) => (checked ? (JSON.parse(new TextDecoder().decode(b)) as BlockTable) : parseBlockTable(new TextDecoder().decode(b), this.manifestFile, group));
      return { ref, weight: ESSENTIAL, use: (b) => void tables.push(parse(b)) };
    });
    await this.fetchFiles(jobs, signal);
    this.manifestValue = withBlockTables(this.manifestValue, tables);
  }

  private allGroups(): number[] {
    return Array.from({ length: this.manifestFile.userGroups.count }, (_, g) => g);
  }

  private async startBackend(): Promise<void> {
    // Fallback events wait until `info.backend` names the backend they fell back to (listeners read info).
    const fallbacks: RecommenderEvents['fallback'][] = [];
    try {
      this.backend = await initBackend(this.options.backend ?? 'auto', this.options, (from, to, reason) => void fallbacks.push({ from, to, reason }), this.skip);
    } finally {
      for (const f of fallbacks) this.events.emit('fallback', f);
    }
    const active = this.backend;
    void active.lost.then((reason) => {
      if (this.disposed || this.backend !== active) return;
      this.lostReason = reason;
      bestEffort(this.serial(() => this.recoverIfLost())); // a failed recovery fails the next request, which reports it
    });
  }

  /**
   * A lost GPU device takes its tensors with it: move to the next backend and
   * reload the selection (from the cache when stored). Runs inside `serial`,
   * either queued by the lost-device callback or from a request that failed
   * because the device went away under it.
   */
  private async recoverIfLost(): Promise<void> {
    const reason = this.lostReason;
    if (!reason) return;
    this.lostReason = undefined;
    this.skip.set(this.backend.info.name, reason);
    this.scorer.forget();
    await this.startBackend();
    await this.scorer.prepare();
    const { decision, selection } = await this.budgeted(this.budgetRequest, this.selection.userGroup, isBlind(this.selection));
    await this.loadSelection(selection, undefined, [], undefined, decision);
    await this.scorer.warmUp();
  }

  /** Top-k, recovering once if the GPU device was lost during the request. */
  private async topFor(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    try {
      return await this.scorer.top(vector, k, exclude);
    } catch (e) {
      if (!this.lostReason) throw e;
      await this.recoverIfLost();
      return this.scorer.top(vector, k, exclude);
    }
  }

  private async decide(budget: number | 'auto'): Promise<BudgetDecision> {
    const env = await (this.envAtStart ?? readBudgetInputs(this.options.timeouts?.browserApiMs));
    this.envAtStart = undefined;
    const inputs: BudgetInputs = {
      ...env,
      persist: this.store.mode === 'indexeddb' && !this.queue?.stoppedReason,
      cachedBytes: this.queue?.storedBytes ?? 0,
      maxStorageBufferBindingSize: this.backend?.info.name === 'webgpu' ? this.backend.maxStorageBufferBindingSize : undefined,
      ...this.options.budgetInputs,
      override: budget === 'auto' ? undefined : budget,
    };
    return budgetFromDevice(inputs);
  }

  /**
   * The budget decision for `budget` and the selection it allows in `group`. Storage limits what is persisted, not
   * what can be served: when the storage headroom cannot hold even the smallest selection, this load stops
   * persisting (memory mode, with the reason in `info.storage`) and the storage limit no longer applies. An
   * automatic budget below the model's smallest selection serves that selection; only an app's explicit budget
   * (or WebGPU's binding limit) below it is a BudgetTooSmallError.
   */
  private async budgeted(budget: number | 'auto', group: number, blindPlan: boolean): Promise<{ decision: BudgetDecision; selection: Selection }> {
    let decision = await this.decide(budget);
    for (;;) {
      try {
        return { decision, selection: this.select(group, decision.bytes, blindPlan) };
      } catch (e) {
        if (!(e instanceof BudgetTooSmallError)) throw e;
        if (decision.decidedBy === 'storage') {
          const size = (n: number) => (n < 2 ** 20 ? `${n} bytes` : `${(n / 2 ** 20).toFixed(1)} MiB`);
          this.queue.stopPersisting(
            `storage headroom of ${size(decision.limits.storage!.headroom)} cannot hold the smallest selection (${size(e.minimumBytes)}): serving from memory, nothing is stored`,
          );
          decision = await this.decide(budget);
        } else if (decision.decidedBy === 'deviceMemory' || decision.decidedBy === 'default') {
          decision = atLeastMinimum(decision, e.minimumBytes);
        } else {
          throw e;
        }
      }
    }
  }

  /** The selection of `userGroup` at `bytes`: its own blocks, or the group-blind plan scored as that group. */
  private select(userGroup: number, bytes: number, blindPlan: boolean): Selection {
    // Resident bytes as the scorer holds them: f16 blocks at 2 bytes on the wasm kernel, widened to f32 elsewhere
    // (before the backend is up, as it will hold them on the backend expected: WebGPU is awaited before selecting).
    const planned = this.backend?.info.name ?? (this.options.backend === 'cpu' ? 'cpu' : 'wasm');
    const options = { dtype: this.options.dtype ?? 'auto', residentDtype: this.scorer.residentDtypeFor(planned) };
    return (blindPlan ? blindSelection : selectBlocks)(this.manifestValue, userGroup, bytes, options);
  }

  /** Makes `selection` resident, fetching only blocks not resident yet (plus `extra` files in the same progress totals). */
  private async loadSelection(selection: Selection, signal: AbortSignal | undefined, extra: FileJob[] = [], backendReady?: Promise<void>, decision?: BudgetDecision): Promise<void> {
    const payloads = new Map<string, Uint8Array>();
    const jobs: FileJob[] = [...extra];
    // Heaviest blocks first: they matter most if the load is cut short or storage runs out.
    const held = this.scorer.held(selection);
    for (const b of [...selection.blocks].sort((x, y) => y.weight - x.weight)) {
      if (held.has(`${b.itemGroup}/${b.block}`)) continue;
      jobs.push({ ref: b.file, weight: b.weight, use: (bytes) => payloads.set(`${b.itemGroup}/${b.block}`, bytes) });
    }
    await this.fetchFiles(jobs, signal);
    await backendReady;
    throwIfAborted(signal);
    // Selected before the backend was up, which then came up holding blocks otherwise (e.g. WASM failed, CPU took over).
    if (!this.scorer.holdsAsCounted(selection)) return this.loadSelection(this.select(selection.userGroup, selection.budgetBytes, isBlind(selection)), signal, [], undefined, decision);
    this.scorer.apply(selection, (g, b) => payloads.get(`${g}/${b}`)!);
    const changed = this.selection !== undefined;
    if (decision) this.decision = decision;
    this.selection = selection;
    if (changed) this.events.emit('selection', { selection, residentBytes: this.scorer.residentBytes });
  }

  /** Makes `group`'s own blocks, or the group-blind plan scored as `group` (every table needed), resident. */
  private async switchGroup(group: number, blindPlan: boolean): Promise<void> {
    await this.loadBlockTables(blindPlan ? this.allGroups() : [group], undefined);
    await this.loadSelection(this.select(group, this.decision.bytes, blindPlan), undefined);
    this.schedulePromote();
  }

  private async filesOfOtherVersions(own: string, cached: CachedModel | undefined, versions: ReadonlySet<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const v of versions) {
      if (v === own) continue;
      const files = cached?.contentHash === v ? cached.files : await this.store.storedFiles(v).catch(() => new Map<string, number>());
      for (const [sha, n] of files) out.set(sha, n);
    }
    return out;
  }

  /** Verified bytes of each job: committed cache entries first, the rest from the network (then queued for storage). */
  private async fetchFiles(jobs: readonly FileJob[], signal: AbortSignal | undefined): Promise<void> {
    if (!jobs.length) return;
    if (!this.manifestChecked) {
      for (const j of jobs) {
        if (!FileRefSchema.safeParse(j.ref).success) throw new ManifestError(`Manifest file ref is invalid: ${JSON.stringify(j.ref)}`);
      }
    }
    const total = jobs.reduce((n, j) => n + j.ref.byteLength, 0);
    // During creation every fetch adds to one set of totals; later loads (budget, group) each have their own.
    const progress = this.creationProgress ?? new ProgressTracker(0, 0, (p: LoadProgress) => this.reportProgress(p));
    progress.add(total, jobs.length);
    const remote: FileJob[] = [];
    // Bytes still waiting to be written (verified when they arrived) are used as they are, not downloaded again.
    const held = new Map(jobs.map((j) => [j, this.queue.bytesOf(j.ref.sha256)] as const).filter(([, b]) => b !== undefined));
    // In the cache for this version, or committed by another stored version (then stored for this one too, below).
    const lacking = jobs.some((j) => !held.has(j) && !this.queue.committed.has(j.ref.sha256));
    const elsewhere = lacking ? await this.otherVersionsFiles() : undefined;
    const inCache = (sha: string) => this.queue.committed.has(sha) || (elsewhere?.has(sha) ?? false);
    // Committed files in one IndexedDB transaction, their SHA-256 checks concurrently.
    const wanted = jobs.filter((j) => !held.has(j) && inCache(j.ref.sha256) && !this.prefetched.has(j.ref.sha256));
    const many = this.store.readMany(wanted.map((j) => j.ref.sha256));
    const index = new Map(wanted.map((j, i) => [j, i]));
    const reads = jobs.map((j) => {
      if (held.has(j)) return Promise.resolve(held.get(j));
      const early = inCache(j.ref.sha256) ? this.prefetched.get(j.ref.sha256) : undefined;
      if (early) return early;
      const i = index.get(j);
      return i === undefined ? Promise.resolve(undefined) : many.then((all) => all[i]);
    });
    for (const r of reads) awaitedLater(r); // each in order below
    for (const [i, job] of jobs.entries()) {
      throwIfAborted(signal);
      const bytes = await reads[i]!;
      if (!bytes) {
        if (this.queue.committed.delete(job.ref.sha256)) this.events.emit('eviction', { files: [refName(job.ref)], bytes: job.ref.byteLength, reason: 'quota' });
        remote.push(job);
        continue;
      }
      this.cached += bytes.byteLength;
      progress.report('cached', refName(job.ref), bytes.byteLength, bytes.byteLength, bytes.byteLength);
      job.use(bytes);
      // Another version's file: committed for this one as well (the store keeps one copy), so that promoting this
      // version keeps it when the other goes.
      if (!this.queue.committed.has(job.ref.sha256)) this.queue.enqueue(job.ref.sha256, refName(job.ref), bytes, job.weight);
    }
    const byRef = new Map(remote.map((j) => [j.ref, j]));
    await downloadFiles(
      remote.map((j) => j.ref),
      {
        baseUrl: this.url,
        fetch: this.fetchFn,
        signal,
        concurrency: this.options.concurrency ?? DEFAULT_CONCURRENCY,
        retries: this.options.retries ?? 3,
        retryDelayMs: RETRY_BASE_MS,
        progress,
        onIntegrity: (e) => this.events.emit('integrity', e),
        stallMs: this.options.timeouts?.stallMs,
      },
      (ref, bytes) => {
        const job = byRef.get(ref)!;
        this.downloaded += bytes.byteLength;
        job.use(bytes);
        this.queue.enqueue(ref.sha256, refName(ref), bytes, job.weight);
      },
    );
  }

  /** Once the current selection (and the item files) are all committed, this version becomes the cached one and older ones go. */
  private schedulePromote(): void {
    const m = this.manifestValue;
    const tables = isBlind(this.selection) ? m.blockTables : [m.blockTables[this.selection.userGroup]!];
    const required = [m.items.ids, ...(this.metadata && m.items.metadata ? [m.items.metadata] : []), ...tables, ...this.selection.blocks.map((b) => b.file)].map((r) => r.sha256);
    this.promoting = this.promoting
      .then(() => this.queue.idle())
      .then(async () => {
        if (this.store.mode !== 'indexeddb' || this.queue.stoppedReason) return;
        if (!required.every((s) => this.queue.committed.has(s))) return;
        const removed = await this.store.promote(this.url.href, m.model.contentHash);
        if (removed.files.length) this.events.emit('eviction', { files: removed.files, bytes: removed.bytes, reason: 'replaced' });
      })
      .catch((e) => {
        this.events.emit('storage', { mode: this.store.mode, reason: `could not mark the model version complete: ${(e as Error)?.message ?? e}` });
      })
      .then(() => {
        if (!this.disposed) this.events.emit('persisted', this.storageInfo());
      });
  }

  private reportProgress(p: LoadProgress): void {
    this.options.onProgress?.(p);
    this.events.emit('progress', p);
  }

  private setItemIds(bytes: Uint8Array): void {
    const ids = parseJsonArray(bytes, this.manifestValue.items.ids.url);
    if (ids.length !== this.manifestValue.items.count || !ids.every((v) => typeof v === 'string')) {
      throw new ManifestError(`${this.manifestValue.items.ids.url}: expected ${this.manifestValue.items.count} string ids`);
    }
    this.itemIds = ids as string[];
    this.positionIndex = undefined;
  }

  /** External id → artifact position, built on first use (exclusions, histories): 40k map entries cost ~10 ms that start-up need not pay. */
  private positionOf(): Map<string, number> {
    return (this.positionIndex ??= new Map(this.itemIds.map((id, i) => [id, i])));
  }

  private setMetadata(bytes: Uint8Array): void {
    const rows = parseJsonArray(bytes, this.manifestValue.items.metadata!.url);
    if (rows.length !== this.manifestValue.items.count) throw new ManifestError(`${this.manifestValue.items.metadata!.url}: expected ${this.manifestValue.items.count} entries`);
    this.metadata = rows.map((r) => {
      const o = (r ?? {}) as Record<string, unknown>;
      return { ...(typeof o.name === 'string' && { name: o.name }), ...(typeof o.category === 'string' && { category: o.category }) };
    });
  }

  // ---- users ----

  private async resolveUser(user: UserInput, signal: AbortSignal | undefined): Promise<ResolvedUser> {
    const m = this.manifestValue;
    const { fullDim, blockDim } = m.dims;
    if (user && 'id' in user) return this.known.resolve(String(user.id), signal);
    if (user && 'vector' in user) {
      if (user.vector.length !== fullDim) throw new UserError(`user vector has ${user.vector.length} dims, expected ${fullDim}`);
      // The constructor copies a typed array in one go; Float32Array.from and every() walk it through iterators and callbacks (µs per request).
      const vector = new Float32Array(user.vector as ArrayLike<number>);
      for (let i = 0; i < vector.length; i++) if (!Number.isFinite(vector[i])) throw new UserError('user vector has non-finite values');
      if (!Number.isInteger(user.group) || user.group < 0 || user.group >= m.userGroups.count) {
        throw new UserError(`user group ${user.group} out of range [0, ${m.userGroups.count})`);
      }
      return { vector, group: user.group };
    }
    if (user && 'history' in user) {
      const positionOf = this.positionOf();
      const history = [...new Set(user.history.map((id) => positionOf.get(id)).filter((p): p is number => p !== undefined))];
      if (!history.length) throw new UserError('none of the history items is in the catalog');
      // Group-blind (the default): the plan is in place before the history is looked at, so the group it folds into
      // only reweights resident blocks and is never requested.
      const blindPlan = this.options.groupBlind !== false;
      if (blindPlan && !isBlind(this.selection)) await this.switchGroup(this.selection.userGroup, true);
      let folded = await this.fold(history);
      const group = nearestCentroid(folded.vector, folded.known, blockDim, m.userGroups.centroids);
      if (group !== this.selection.userGroup) {
        // The group's refined item table (or, group-blind, its weights) gives the vector we score with.
        await this.switchGroup(group, blindPlan);
        folded = await this.fold(history);
      }
      return { vector: folded.vector, group, history };
    }
    throw new UserError('user must be { id }, { vector, group } or { history }');
  }

  private async fold(history: readonly number[]) {
    const { blockDim, blocksPerItem } = this.manifestValue.dims;
    const items = await this.scorer.itemVectors(history);
    return foldIn(items.vectors, items.known, blockDim, blocksPerItem);
  }

  // ---- plumbing ----

  private storageInfo(): StorageInfo {
    const requested = this.options.storage ?? 'indexeddb';
    const stopped = this.queue?.stoppedReason;
    const mode = this.store.mode === 'indexeddb' && !stopped ? 'indexeddb' : 'memory';
    const reason = this.storageReason ?? stopped;
    return { requested, mode, ...(reason && { reason }), storedBytes: this.queue?.storedBytes ?? 0, pendingWrites: this.queue?.pendingWrites ?? 0 };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(() => {
      if (this.disposed) throw new DisposedError();
      return fn();
    });
    this.lock = settled(run);
    return run;
  }
}

/** Yields to the event loop (a task, not a microtask), so that pending work such as issuing requests runs first. */
function nextTask(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/** Whether the backend may end up WebGPU (so the budget must wait for its limits): asked for, or offered a hardware adapter in 'auto'. */
async function mayUseWebGpu(preference: BackendPreference, ms: number | undefined): Promise<boolean> {
  if (preference === 'webgpu') return true;
  if (preference !== 'auto') return false;
  const probe = await probeWebGpu(ms);
  return probe.adapter !== undefined && !probe.adapter.isFallbackAdapter;
}
