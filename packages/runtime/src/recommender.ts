/**
 * createRecommender: manifest → backend → budget → selection → blocks (cache
 * or network) → resident tensors, then recommendations. Every state change
 * (recommend, setBudget, a user-group switch, a lost GPU) runs one at a time
 * so no request ever sees half-swapped tensors.
 */
import {
  computeContentHash,
  decodeBlock,
  decodeUserShard,
  ManifestError,
  parseManifest,
  selectBlocks,
  SUPPORTED_VERSIONS,
  type FileRef,
  type Manifest,
  type Selection,
} from '@peelrec/format';
import { budgetFromDevice, type BudgetDecision, type BudgetInputs } from './budget.js';
import { initBackend, type ActiveBackend } from './backend.js';
import { downloadFiles, ProgressTracker, RETRY_BASE_MS, sleep, TRANSIENT_STATUS } from './download.js';
import { readBudgetInputs } from './environment.js';
import { AbortError, DisposedError, DownloadError, StorageError, throwIfAborted, UserError } from './errors.js';
import { RecommenderEventTarget } from './events.js';
import { foldIn, nearestCentroid } from './fold-in.js';
import { PersistQueue } from './persist.js';
import type { ScoredPosition } from './reference.js';
import { Scorer } from './scorer.js';
import { runtimeTuning } from './tuning.js';
import { MemoryStore, openIndexedDbStore, type ModelStore } from './store.js';
import type {
  BackendName,
  ItemMeta,
  LoadProgress,
  Recommendation,
  RecommendRequest,
  Recommender,
  RecommenderEventName,
  RecommenderEvents,
  RecommenderInfo,
  RecommenderOptions,
  StorageInfo,
  UserInput,
} from './types.js';

/** Loads a model for this device's budget and returns a ready recommender (warmed up). */
export async function createRecommender(options: RecommenderOptions): Promise<Recommender> {
  const rec = new PeelRecommender(options);
  try {
    await rec.init();
  } catch (e) {
    await rec.teardown();
    throw e;
  }
  return rec;
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
const SHARDS_KEPT = 2;

class PeelRecommender implements Recommender {
  private readonly events = new RecommenderEventTarget();
  private readonly fetchFn: typeof fetch;
  private readonly url: URL;
  private manifestValue!: Manifest;
  private manifestText = '';
  private manifestSource: 'network' | 'cache' = 'network';
  private store: ModelStore = new MemoryStore();
  private storageReason: string | undefined;
  private queue!: PersistQueue;
  private backend!: ActiveBackend;
  private readonly skip = new Map<BackendName, string>();
  private scorer!: Scorer;
  private budgetRequest: number | 'auto';
  private decision!: BudgetDecision;
  private selection!: Selection;
  private itemIds: string[] = [];
  private positionOf = new Map<string, number>();
  private metadata: ItemMeta[] | undefined;
  private userIndex: Map<string, number> | undefined;
  private readonly shards = new Map<number, { vectors: Float32Array; groups: Uint16Array }>();
  private downloaded = 0;
  private cached = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private promoting: Promise<void> = Promise.resolve();
  private disposed = false;
  private lostReason: string | undefined;

  constructor(private readonly options: RecommenderOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.budgetRequest = options.budget ?? 'auto';
    const base = (globalThis as { location?: { href: string } }).location?.href;
    try {
      this.url = new URL(String(options.manifestUrl), base);
    } catch (cause) {
      throw new ManifestError(`manifestUrl ${JSON.stringify(String(options.manifestUrl))} is not a valid URL${base ? '' : ' (relative URLs need a page location)'}`, [], { cause });
    }
    for (const [event, listener] of Object.entries(options.on ?? {})) {
      if (listener) this.events.on(event as RecommenderEventName, listener as (d: unknown) => void);
    }
  }

  get manifest(): Manifest {
    return this.manifestValue;
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
    };
  }

  async init(): Promise<void> {
    const signal = this.options.signal;
    // The store, the manifest and the backend (WASM fetch + compile) load side by side.
    const storeOpen = this.options.storage !== 'memory' ? this.openStore() : Promise.resolve();
    const backendReady = runtimeTuning.parallelBackend ? this.startBackend() : undefined;
    backendReady?.catch(() => {}); // awaited below; an earlier failure must not surface as unhandled
    if (!runtimeTuning.parallelBackend) await storeOpen;
    throwIfAborted(signal);
    await this.loadManifest(signal, storeOpen);
    const m = this.manifestValue;
    this.scorer = new Scorer(m);
    const stored = await this.store.storedFiles(m.model.contentHash);
    const sizes = new Map<string, number>();
    for (const ref of this.allRefs()) if (stored.has(ref.sha256)) sizes.set(ref.sha256, ref.byteLength);
    this.queue = new PersistQueue(this.store, { contentHash: m.model.contentHash, manifestUrl: this.url.href, manifest: this.manifestText }, this.events, sizes);
    await (backendReady ?? this.startBackend());
    await this.scorer.prepare();
    throwIfAborted(signal);

    // The first group: explicit, else the prepared user's, else 0.
    let group = this.options.userGroup ?? 0;
    let user: ResolvedUser | undefined;
    if (this.options.user && !('history' in this.options.user)) {
      user = await this.resolveUser(this.options.user, signal);
      group = user.group;
    }
    if (!Number.isInteger(group) || group < 0 || group >= m.userGroups.count) {
      throw new RangeError(`userGroup ${group} out of range [0, ${m.userGroups.count})`);
    }
    this.decision = await this.decide(this.budgetRequest);
    const selection = this.select(group, this.decision.bytes);

    const jobs: FileJob[] = [
      { ref: m.items.ids, weight: ESSENTIAL, use: (b) => this.setItemIds(b) },
      ...(m.items.metadata && this.options.metadata !== false ? [{ ref: m.items.metadata, weight: ESSENTIAL, use: (b: Uint8Array) => this.setMetadata(b) }] : []),
    ];
    await this.loadSelection(selection, signal, jobs);
    await this.scorer.warmUp();
    this.schedulePromote();
  }

  recommend(request: RecommendRequest): Promise<Recommendation[]> {
    return this.serial(async () => {
      const k = request.k ?? 20;
      if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be an integer ≥ 0, got ${k}`);
      const user = await this.resolveUser(request.user, undefined);
      if (user.group !== this.selection.userGroup) await this.switchGroup(user.group);
      const exclude = new Set<number>();
      for (const id of request.exclude ?? []) {
        const p = this.positionOf.get(id);
        if (p !== undefined) exclude.add(p);
      }
      if (request.excludeHistory !== false) for (const p of user.history ?? []) exclude.add(p);
      return (await this.topFor(user.vector, k, exclude)).map(({ position, score }) => {
        const meta = this.metadata?.[position];
        return { itemId: this.itemIds[position]!, score, position, ...(meta && { meta }) };
      });
    });
  }

  setBudget(budget: number | 'auto'): Promise<RecommenderInfo> {
    return this.serial(async () => {
      const decision = await this.decide(budget);
      // Selecting first means a BudgetTooSmallError leaves everything as it was.
      const selection = this.select(this.selection.userGroup, decision.bytes);
      await this.loadSelection(selection, undefined);
      this.budgetRequest = budget;
      this.decision = decision;
      this.events.emit('budget', decision);
      this.schedulePromote();
      return this.info;
    });
  }

  async persisted(): Promise<StorageInfo> {
    await this.lock.catch(() => {});
    await this.queue?.idle();
    await this.promoting;
    return this.storageInfo();
  }

  on<E extends RecommenderEventName>(event: E, listener: (detail: RecommenderEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  addEventListener<E extends RecommenderEventName>(event: E, listener: (ev: CustomEvent<RecommenderEvents[E]>) => void): void {
    this.events.addEventListener(event, listener as EventListener);
  }

  removeEventListener<E extends RecommenderEventName>(event: E, listener: (ev: CustomEvent<RecommenderEvents[E]>) => void): void {
    this.events.removeEventListener(event, listener as EventListener);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.serial(async () => {
      this.disposed = true;
    }).catch(() => {});
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
      this.store = await openIndexedDbStore(this.options.indexedDB);
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
  private async loadManifest(signal: AbortSignal | undefined, storeOpen: Promise<void>): Promise<void> {
    let text: string | undefined;
    let networkError: unknown;
    const retries = this.options.retries ?? 3;
    // The last complete version, read while the network answers: an identical manifest was verified when it was stored.
    const cachedVersion = storeOpen.then(() => this.store.current(this.url.href)).catch(() => undefined);
    for (let attempt = 0; text === undefined; attempt++) {
      try {
        const res = await this.fetchFn(this.url, { signal, cache: 'no-cache' });
        if (!res.ok) throw new DownloadError(this.url.href, res.status, `HTTP ${res.status} ${res.statusText}`.trim());
        text = await res.text();
      } catch (e) {
        await storeOpen;
        if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
        networkError = e;
        const status = e instanceof DownloadError ? e.status : undefined;
        const transient = status === undefined || TRANSIENT_STATUS.has(status);
        const cachedModel = await this.store.current(this.url.href);
        if (cachedModel && (status === undefined || !transient || attempt >= retries)) {
          text = cachedModel.manifest;
          this.manifestSource = 'cache';
          break;
        }
        if (!transient || attempt >= retries) break;
        await sleep(RETRY_BASE_MS * 2 ** attempt, signal);
      }
    }
    if (text === undefined) {
      throw networkError instanceof DownloadError ? networkError : new DownloadError(this.url.href, undefined, String((networkError as Error)?.message ?? networkError), { cause: networkError });
    }
    const cached = await cachedVersion;
    // Byte-identical to the cached version, which passed parseManifest and the content-hash check before it was
    // stored: skip both (the schema walk and the canonical hash of a 1 MB manifest cost ~100 ms on a slow core).
    // Only a network copy is compared: a copy read back from IndexedDB alone (offline) is always fully checked.
    const trusted = runtimeTuning.trustCachedManifest && this.manifestSource === 'network' && cached?.manifest === text ? trustedManifest(text, cached.contentHash) : undefined;
    const manifest = trusted ?? parseManifest(text);
    const hash = trusted ? manifest.model.contentHash : await computeContentHash(manifest);
    if (hash !== manifest.model.contentHash) {
      throw new ManifestError(`model.contentHash is ${manifest.model.contentHash}, but the manifest hashes to ${hash} (edited or corrupted manifest)`);
    }
    this.manifestValue = manifest;
    this.manifestText = text;
  }

  private async startBackend(): Promise<void> {
    this.backend = await initBackend(this.options.backend ?? 'auto', this.options, (from, to, reason) => this.events.emit('fallback', { from, to, reason }), this.skip);
    const active = this.backend;
    void active.lost.then((reason) => {
      if (this.disposed || this.backend !== active) return;
      this.lostReason = reason;
      void this.serial(() => this.recoverIfLost()).catch(() => {});
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
    const decision = await this.decide(this.budgetRequest);
    const selection = this.select(this.selection.userGroup, decision.bytes);
    this.decision = decision;
    await this.loadSelection(selection, undefined);
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
    const env = await readBudgetInputs();
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

  private select(userGroup: number, bytes: number): Selection {
    return selectBlocks(this.manifestValue, userGroup, bytes, { dtype: this.options.dtype ?? 'auto', residentDtype: 'f32' });
  }

  /** Makes `selection` resident, fetching only blocks not resident yet (plus `extra` files in the same progress totals). */
  private async loadSelection(selection: Selection, signal: AbortSignal | undefined, extra: FileJob[] = []): Promise<void> {
    const decoded = new Map<string, Float32Array>();
    const jobs: FileJob[] = [...extra];
    // Heaviest blocks first: they matter most if the load is cut short or storage runs out.
    for (const b of [...selection.blocks].sort((x, y) => y.weight - x.weight)) {
      if (this.scorer.has(selection.userGroup, b.itemGroup, b.block)) continue;
      jobs.push({ ref: b.file, weight: b.weight, use: (bytes) => decoded.set(`${b.itemGroup}/${b.block}`, decodeBlock(bytes, b.file.dtype)) });
    }
    await this.fetchFiles(jobs, signal);
    throwIfAborted(signal);
    this.scorer.apply(selection, (g, b) => decoded.get(`${g}/${b}`)!);
    const changed = this.selection !== undefined;
    this.selection = selection;
    if (changed) this.events.emit('selection', { selection, residentBytes: this.scorer.residentBytes });
  }

  private async switchGroup(group: number): Promise<void> {
    await this.loadSelection(this.select(group, this.decision.bytes), undefined);
    this.schedulePromote();
  }

  /** Verified bytes of each job: committed cache entries first, the rest from the network (then queued for storage). */
  private async fetchFiles(jobs: readonly FileJob[], signal: AbortSignal | undefined): Promise<void> {
    if (!jobs.length) return;
    const total = jobs.reduce((n, j) => n + j.ref.byteLength, 0);
    const progress = new ProgressTracker(total, jobs.length, (p: LoadProgress) => {
      this.options.onProgress?.(p);
      this.events.emit('progress', p);
    });
    const remote: FileJob[] = [];
    const read = (job: FileJob) => (this.queue.committed.has(job.ref.sha256) ? this.store.read(job.ref.sha256) : Promise.resolve(undefined));
    // Committed files in one IndexedDB transaction, their SHA-256 checks concurrently.
    let reads: Promise<Uint8Array | undefined>[] | undefined;
    if (runtimeTuning.batchCacheReads) {
      const wanted = jobs.filter((j) => this.queue.committed.has(j.ref.sha256));
      const many = this.store.readMany(wanted.map((j) => j.ref.sha256));
      reads = jobs.map((j) => {
        const i = wanted.indexOf(j);
        return i < 0 ? Promise.resolve(undefined) : many.then((all) => all[i]);
      });
      reads.forEach((r) => r.catch(() => {})); // each is awaited in order below
    }
    for (const [i, job] of jobs.entries()) {
      throwIfAborted(signal);
      const bytes = await (reads ? reads[i]! : read(job));
      if (!bytes) {
        if (this.queue.committed.delete(job.ref.sha256)) this.events.emit('eviction', { files: [job.ref.url], bytes: job.ref.byteLength, reason: 'quota' });
        remote.push(job);
        continue;
      }
      this.cached += bytes.byteLength;
      progress.report('cached', job.ref.url, bytes.byteLength, bytes.byteLength, bytes.byteLength);
      job.use(bytes);
    }
    const byRef = new Map(remote.map((j) => [j.ref, j]));
    await downloadFiles(
      remote.map((j) => j.ref),
      {
        baseUrl: this.url,
        fetch: this.fetchFn,
        signal,
        concurrency: this.options.concurrency ?? 4,
        retries: this.options.retries ?? 3,
        retryDelayMs: RETRY_BASE_MS,
        progress,
        onIntegrity: (e) => this.events.emit('integrity', e),
      },
      (ref, bytes) => {
        const job = byRef.get(ref)!;
        this.downloaded += bytes.byteLength;
        job.use(bytes);
        this.queue.enqueue(ref.sha256, ref.url, bytes, job.weight);
      },
    );
  }

  /** Once the current selection (and the item files) are all committed, this version becomes the cached one and older ones go. */
  private schedulePromote(): void {
    const m = this.manifestValue;
    const required = [m.items.ids, ...(this.metadata && m.items.metadata ? [m.items.metadata] : []), ...this.selection.blocks.map((b) => b.file)].map((r) => r.sha256);
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
      });
  }

  private setItemIds(bytes: Uint8Array): void {
    const ids = parseJsonArray(bytes, this.manifestValue.items.ids.url);
    if (ids.length !== this.manifestValue.items.count || !ids.every((v) => typeof v === 'string')) {
      throw new ManifestError(`${this.manifestValue.items.ids.url}: expected ${this.manifestValue.items.count} string ids`);
    }
    this.itemIds = ids as string[];
    this.positionOf = new Map(this.itemIds.map((id, i) => [id, i]));
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
    if (user && 'id' in user) {
      const index = await this.userIndexOf(String(user.id), signal);
      const s = m.users.shards.findIndex((sh) => index >= sh.start && index < sh.start + sh.count);
      if (s < 0) throw new UserError(`user index ${index} is in no user shard`);
      const shard = await this.shard(s, signal);
      const row = index - m.users.shards[s]!.start;
      const group = shard.groups[row]!;
      if (group >= m.userGroups.count) throw new UserError(`user ${user.id} has group ${group}, but the model has ${m.userGroups.count} groups`);
      return { vector: shard.vectors.slice(row * fullDim, (row + 1) * fullDim), group };
    }
    if (user && 'vector' in user) {
      if (user.vector.length !== fullDim) throw new UserError(`user vector has ${user.vector.length} dims, expected ${fullDim}`);
      const vector = Float32Array.from(user.vector);
      if (!vector.every(Number.isFinite)) throw new UserError('user vector has non-finite values');
      if (!Number.isInteger(user.group) || user.group < 0 || user.group >= m.userGroups.count) {
        throw new UserError(`user group ${user.group} out of range [0, ${m.userGroups.count})`);
      }
      return { vector, group: user.group };
    }
    if (user && 'history' in user) {
      const history = [...new Set(user.history.map((id) => this.positionOf.get(id)).filter((p): p is number => p !== undefined))];
      if (!history.length) throw new UserError('none of the history items is in the catalog');
      let folded = await this.fold(history);
      const group = nearestCentroid(folded.vector, folded.known, blockDim, m.userGroups.centroids);
      if (group !== this.selection.userGroup) {
        // The group's own refined item table gives the vector we score with.
        await this.switchGroup(group);
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

  private async userIndexOf(id: string, signal: AbortSignal | undefined): Promise<number> {
    const m = this.manifestValue;
    if (m.users.ids) {
      if (!this.userIndex) {
        let ids: unknown[] = [];
        await this.fetchFiles([{ ref: m.users.ids, weight: DISPOSABLE, use: (b) => (ids = parseJsonArray(b, m.users.ids!.url)) }], signal);
        this.userIndex = new Map(ids.map((v, i) => [String(v), i]));
      }
      const i = this.userIndex.get(id);
      if (i === undefined) throw new UserError(`unknown user id ${JSON.stringify(id)}`);
      return i;
    }
    if (!/^(0|[1-9]\d*)$/.test(id) || Number(id) >= m.users.count) {
      throw new UserError(`unknown user id ${JSON.stringify(id)}: this artifact's users are "0" … "${m.users.count - 1}"`);
    }
    return Number(id);
  }

  /** Only the shard holding the user is fetched (verified, cached); the last few stay in memory. */
  private async shard(index: number, signal: AbortSignal | undefined) {
    const hit = this.shards.get(index);
    if (hit) {
      this.shards.delete(index);
      this.shards.set(index, hit);
      return hit;
    }
    const m = this.manifestValue;
    const s = m.users.shards[index]!;
    let decoded: { vectors: Float32Array; groups: Uint16Array } | undefined;
    await this.fetchFiles([{ ref: s.file, weight: DISPOSABLE, use: (b) => (decoded = decodeUserShard(b, m.dims.fullDim, s.count)) }], signal);
    this.shards.set(index, decoded!);
    while (this.shards.size > SHARDS_KEPT) this.shards.delete(this.shards.keys().next().value!);
    return decoded!;
  }

  // ---- plumbing ----

  private allRefs(): FileRef[] {
    const m = this.manifestValue;
    return [m.items.ids, ...(m.items.metadata ? [m.items.metadata] : []), ...(m.users.ids ? [m.users.ids] : []), ...m.users.shards.map((s) => s.file), ...m.blocks.flatMap((b) => b.files)];
  }

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
    this.lock = run.catch(() => {});
    return run;
  }
}

function parseJsonArray(bytes: Uint8Array, url: string): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new ManifestError(`${url} is not valid JSON`, [], { cause });
  }
  if (!Array.isArray(v)) throw new ManifestError(`${url} must hold a JSON array`);
  return v;
}

/** A manifest text that was validated when cached, parsed without the schema walk; undefined if anything looks off. */
function trustedManifest(text: string, contentHash: string): Manifest | undefined {
  try {
    const m = JSON.parse(text) as Manifest;
    return m?.format === 'peelrec' && SUPPORTED_VERSIONS.includes(m.formatVersion) && m.model?.contentHash === contentHash ? m : undefined;
  } catch {
    return undefined;
  }
}
