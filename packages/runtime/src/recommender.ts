/**
 * createRecommender: manifest → backend → budget → selection → blocks (cache
 * or network) → resident tensors, then recommendations. Every state change
 * (recommend, setBudget, a user-group switch, a lost GPU) runs one at a time
 * so no request ever sees half-swapped tensors.
 *
 * This class keeps the public surface and the order of a load; each step has a module of its own: the manifest's
 * source and trust (manifest-source.ts), where each file comes from (file-router.ts), checks and storage
 * (integrity.ts), this version in the cache (version-lifecycle.ts), and what is resident: PEEL's blocks
 * (selection-loader.ts), or a table kind's variant (kind-loader.ts), asked once when the manifest arrives.
 */
import { isKindManifest, ManifestError, type AnyManifest, type AnyManifestFile } from '@peelrec/format';
import type { BudgetDecision } from './budget.js';
import { readBudgetInputs } from './environment.js';
import { AbortError, DisposedError, OptionError, throwIfAborted } from './errors.js';
import type { RecommenderEventTarget } from './events.js';
import { DISPOSABLE, FileRouter } from './file-router.js';
import { isBlind } from './group-blind.js';
import { KindLoader, selectionView } from './kind-loader.js';
import { resolveKindUser, type KindUserSource } from './kind-users.js';
import { KnownUsers } from './known-users.js';
import { LoadedItems } from './loaded-items.js';
import { ManifestSource, type ManifestPlan } from './manifest-source.js';
import { schemaChecks } from './manifest-trust.js';
import type { ScoredPosition } from './reference.js';
import { Scorer } from './scorer.js';
import { mayUseWebGpu, ScoringBackend } from './scoring-backend.js';
import { SelectionLoader } from './selection-loader.js';
import { awaitedLater, bestEffort, settled } from './settle.js';
import type { ItemCatalog, Recommendation, RecommendRequest, Recommender, RecommenderInfo, RecommenderOptions, StorageInfo, UserInput } from './types.js';
import { UserResolver, type ResolvedUser } from './user-resolver.js';
import { requiredFiles, VersionLifecycle } from './version-lifecycle.js';
import { readAheadCached } from './warm-start.js';

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

/**
 * One model version, loaded and served (a {@link FreshRecommender} swaps them when the server publishes a new one).
 * Listeners are registered on the FreshRecommender, which owns the event target this version emits on.
 */
export class PeelRecommender implements Omit<Recommender, 'on' | 'addEventListener' | 'removeEventListener' | 'checkForUpdate'> {
  private readonly url: URL;
  private readonly source: ManifestSource;
  private readonly version: VersionLifecycle;
  private readonly files: FileRouter;
  private readonly loader: SelectionLoader;
  /** A table kind's (format v3) loader, created once the manifest says so; undefined for PEEL blocks. */
  private kind: KindLoader | undefined;
  private readonly loaded = new LoadedItems();
  private readonly backend: ScoringBackend;
  private readonly resolver: UserResolver;
  private manifestText = '';
  private budgetRequest: number | 'auto';
  /** Known users' ids and shards, fetched through the file router (verified, cached) as they are needed. */
  private readonly known = new KnownUsers(
    () => this.kind?.manifest ?? this.loader.manifest,
    (ref, use, signal) => this.files.fetch([{ ref, weight: DISPOSABLE, use }], signal),
  );
  private lock: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private backendStarting: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: RecommenderOptions,
    private readonly events: RecommenderEventTarget,
    plan: ManifestPlan = { from: 'network' },
  ) {
    const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.budgetRequest = options.budget ?? 'auto';
    const base = (globalThis as { location?: { href: string } }).location?.href;
    try {
      this.url = new URL(String(options.manifestUrl), base);
    } catch (cause) {
      throw new ManifestError(`manifestUrl ${JSON.stringify(String(options.manifestUrl))} is not a valid URL${base ? '' : ' (relative URLs need a page location)'}`, [], { cause });
    }
    this.source = new ManifestSource(this.url, fetchFn, options, plan);
    this.version = new VersionLifecycle(this.url.href, options, events, () => this.disposed);
    this.files = new FileRouter(this.url, fetchFn, options, events, this.version);
    // A failed recovery fails the next request, which reports it; a device lost after dispose changes nothing.
    this.backend = new ScoringBackend(options, events, () => {
      if (!this.disposed) bestEffort(this.serial(() => this.recoverIfLost()));
    });
    this.loader = new SelectionLoader(options, events, this.files, this.version, () => this.backend.active);
    this.resolver = new UserResolver(options, this.loader, this.known, this.loaded, (group, blindPlan) => this.switchGroup(group, blindPlan));
  }

  /** Where the manifest came from: known before the load finishes (openModel reads it to fall back; info needs the selection). */
  get manifestSource(): 'network' | 'cache' {
    return this.source.from;
  }

  /** The manifest text this version was loaded from (revalidation compares the network's copy with it). */
  get manifestTextLoaded(): string {
    return this.manifestText;
  }

  /** PEEL's manifest with its loaded block tables; a table kind's v3 manifest (README, "Table kinds"). */
  get manifest(): AnyManifest {
    return this.kind?.manifest ?? this.loader.manifest;
  }

  get items(): ItemCatalog {
    return this.loaded.catalog;
  }

  users(): Promise<readonly string[]> {
    return this.serial(() => this.known.list(undefined));
  }

  get info(): RecommenderInfo {
    const { kind, loader } = this;
    const { model } = kind?.manifest ?? loader.manifest;
    const resident = kind
      ? { budget: kind.decision, selection: selectionView(kind.selection), table: kind.selection, userGroup: 0, residentBytes: kind.residentBytes, groupBlind: false }
      : { budget: loader.decision, selection: loader.selection, userGroup: loader.selection.userGroup, residentBytes: loader.scorer.residentBytes, groupBlind: isBlind(loader.selection) };
    return {
      manifestUrl: this.url.href,
      model: { id: model.id, contentHash: model.contentHash },
      manifestSource: this.source.from,
      ...resident,
      backend: this.backend.active!.info,
      storage: this.version.info(),
      downloadedBytes: this.files.downloaded,
      cachedBytes: this.files.cached,
    };
  }

  async init(): Promise<void> {
    const { signal } = this.options;
    const loader = this.loader;
    // The store, the manifest, the budget inputs and the backend (WASM fetch + compile) load side by side.
    const storeOpen = this.version.open();
    const backendReady = this.backend.start();
    awaitedLater(backendReady);
    this.backendStarting = backendReady;
    loader.envAtStart = readBudgetInputs(this.options.timeouts?.browserApiMs);
    // Whether WebGPU may be chosen (then the budget waits for the backend), asked now so that the answer is ready.
    const webGpuPossible = mayUseWebGpu(this.options.backend ?? 'auto', this.options.timeouts?.browserApiMs);
    throwIfAborted(signal);
    // The last complete version, read while the network answers: an identical manifest was verified when it was stored,
    // and what that version needs is read from IndexedDB meanwhile (revalidation and cache reads overlap).
    const { cachedVersion, versions } = this.version.records(storeOpen);
    // No stored version: the manifest will be checked, so its schemas load while it downloads.
    bestEffort(cachedVersion.then((c) => (c === undefined ? schemaChecks() : undefined)));
    bestEffort(cachedVersion.then((c) => c && readAheadCached(c, this.options, (refs) => this.files.readAhead(refs, c.files), signal)));
    const { text, file, trusted, fromCache, cached, textSha } = await this.source.load(cachedVersion, signal);
    if (trusted && cached) loader.trustedFiles = new Set(cached.files.keys());
    this.adopt(file);
    this.manifestText = text;
    this.files.manifestChecked = trusted;
    const queue = await this.version.begin(file, text, cached, versions);
    this.files.startCreation();
    // The item ids (and metadata) do not depend on the user group: they load while the group's files do, and are
    // parsed (~20 ms for 40k ids on a slow core) while the blocks stream in rather than between the group's requests.
    const itemFiles = this.files.fetch(this.loaded.jobs(file, this.options.metadata !== false), signal);
    awaitedLater(itemFiles);
    // The first group: explicit, else the prepared user's (from their user shard), else 0. Only its block table is fetched.
    const user = this.options.user && !('history' in this.options.user) ? this.options.user : undefined;
    const kind = this.kind;
    const prepared = user && (kind ? resolveKindUser(user, this.kindUsers(kind), signal).then(() => ({ group: 0 })) : this.resolver.resolve(user, signal));
    awaitedLater(prepared); // after the manifest check, whose error comes first
    // The full check runs in the next task, once the requests above have reached the network.
    const validated = trusted ? Promise.resolve(file) : nextTask().then(async () => (await schemaChecks()).checkManifest(text));
    awaitedLater(validated);
    try {
      if (!this.files.manifestChecked) {
        const checked = await validated;
        this.adopt(checked);
        this.files.manifestChecked = true;
        this.version.keepCheckedText(checked, text, fromCache, cached, textSha);
      }
      const ready = { backendReady, webGpuPossible, itemFiles };
      await (kind ? this.loadVariant(kind, prepared, ready, signal) : this.loadBlocks(prepared, ready, signal));
    } catch (e) {
      // Nothing of a manifest that fails its check is kept, and its error is the one reported.
      const invalid = await validated.then(
        () => undefined,
        (v: unknown) => v,
      );
      if (invalid !== undefined) queue.discard();
      throw invalid ?? e;
    } finally {
      this.files.endCreation();
      await settled(itemFiles); // before teardown: nothing is written after dispose
      queue.release();
    }
    this.schedulePromote();
  }

  /** The manifest (a plain parse, then the checked copy) goes to the loader of its kind: asked here, once per version. */
  private adopt(m: AnyManifestFile): void {
    if (!isKindManifest(m)) {
      this.loader.setManifest(m);
    } else if (this.kind) {
      this.kind.manifest = m;
    } else {
      this.kind = new KindLoader(m, this.options, this.events, this.files, this.version, () => this.backend.active);
      this.kind.envAtStart = this.loader.envAtStart;
    }
  }

  /** PEEL: the first group's block table, the budget, then its blocks, scored once the item files are parsed. */
  private async loadBlocks(prepared: Promise<{ readonly group: number }> | undefined, ready: FirstLoad, signal: AbortSignal | undefined): Promise<void> {
    const loader = this.loader;
    loader.scorer = new Scorer(loader.manifest);
    const { group, blindStart } = await loader.firstGroup(prepared, signal);
    // The budget depends on the backend only through WebGPU's binding limit: unless WebGPU may be chosen, the
    // blocks download while the backend (WASM fetch, compile, glue code) still initialises.
    const backend = ready.backendReady.then(() => loader.scorer.prepare());
    awaitedLater(backend);
    if (await ready.webGpuPossible) await backend;
    throwIfAborted(signal);
    const { decision, selection } = await loader.budgeted(this.budgetRequest, group, blindStart);
    loader.decision = decision;
    const blocks = loader.loadSelection(selection, signal, [], backend);
    awaitedLater(blocks);
    await nextTask(); // the block requests reach the network first
    await ready.itemFiles;
    this.loaded.parse(loader.manifest);
    await blocks;
    await loader.scorer.warmUp();
  }

  /** A table kind: the budget, then the variant it picks (downloaded while the backend starts, unless WebGPU may be chosen). */
  private async loadVariant(kind: KindLoader, prepared: Promise<unknown> | undefined, ready: FirstLoad, signal: AbortSignal | undefined): Promise<void> {
    const group = this.options.userGroup;
    if (group !== undefined && group !== 0) throw new OptionError('userGroup', group, 'absent or 0 (this model has one table for every user)');
    await prepared;
    const backend = ready.backendReady.then(() => kind.prepare());
    awaitedLater(backend);
    if (await ready.webGpuPossible) await backend;
    throwIfAborted(signal);
    const { decision, selection } = await kind.budgeted(this.budgetRequest);
    kind.decision = decision;
    const variant = kind.load(selection, signal, backend);
    awaitedLater(variant);
    await nextTask(); // the variant's requests reach the network first
    await ready.itemFiles;
    this.loaded.parse(kind.manifest);
    await variant;
    await kind.warmUp();
  }

  /** What resolving a table kind's users reads of this version. */
  private kindUsers(kind: KindLoader): KindUserSource {
    return { fullDim: kind.manifest.dims.fullDim, known: this.known, items: this.loaded, itemVectors: (positions) => kind.itemVectors(positions) };
  }

  recommend(request: RecommendRequest): Promise<Recommendation[]> {
    return this.serial(async () => {
      const user = this.kind ? await resolveKindUser(request.user, this.kindUsers(this.kind), undefined) : await this.peelUser(request.user);
      const exclude = new Set(this.loaded.positionsOf(request.exclude ?? []));
      if (request.excludeHistory !== false) for (const p of user.history ?? []) exclude.add(p);
      // Scorer.top caps k at the catalog (the kernels size their heaps by it); exclusions leave the rest unfilled.
      return (await this.topFor(user.vector, request.k ?? 20, exclude)).map(({ position, score }) => this.loaded.recommendation(position, score));
    });
  }

  /** PEEL: the selection `budget` allows in the resident plan, made resident. @returns the budget decision */
  private async setBlocksBudget(budget: number | 'auto'): Promise<BudgetDecision> {
    // Selecting first means a BudgetTooSmallError leaves everything as it was.
    const { decision, selection } = await this.loader.budgeted(budget, this.loader.selection.userGroup, isBlind(this.loader.selection));
    // The decision becomes `info.budget` together with the selection, before any event about either fires.
    await this.loader.loadSelection(selection, undefined, [], undefined, decision);
    return decision;
  }

  /** PEEL: the user's vector and group, with the plan that scores them resident (a group switch when needed). */
  private async peelUser(input: UserInput): Promise<ResolvedUser> {
    const user = await this.resolver.resolve(input, undefined);
    const plan = this.loader.planFor(user.group, user.history !== undefined);
    if (plan) await this.switchGroup(user.group, plan.blindPlan);
    return user;
  }

  setBudget(budget: number | 'auto'): Promise<RecommenderInfo> {
    return this.serial(async () => {
      const decision = this.kind ? await this.kind.setBudget(budget) : await this.setBlocksBudget(budget);
      this.budgetRequest = budget;
      this.events.emit('budget', decision);
      this.schedulePromote();
      return this.info;
    });
  }

  async persisted(): Promise<StorageInfo> {
    await settled(this.lock);
    await this.version.settle();
    return this.version.info();
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
    // A load that failed early leaves no backend start behind: tfjs is shared (a page's, or the scoring worker's),
    // and a start finishing after the next load prepared its scorer would swap the backend under it.
    await settled(this.backendStarting);
    this.kind?.dispose();
    this.loader.scorer?.dispose();
    await this.version.close();
  }

  /** Makes `group`'s own blocks, or the group-blind plan scored as `group` (every table needed), resident. */
  private async switchGroup(group: number, blindPlan: boolean): Promise<void> {
    const loader = this.loader;
    await loader.loadBlockTables(blindPlan ? loader.allGroups() : [group], undefined);
    await loader.loadSelection(loader.select(group, loader.decision.bytes, blindPlan), undefined);
    this.schedulePromote();
  }

  /** Promotes this version once what the current selection needs is committed (version-lifecycle.ts). */
  private schedulePromote(): void {
    const withMetadata = this.loaded.hasMetadata;
    this.version.schedulePromote(this.kind ? this.kind.requiredFiles(withMetadata) : requiredFiles(this.loader.manifest, this.loader.selection, withMetadata));
  }

  /**
   * A lost GPU device takes its tensors with it: move to the next backend and
   * reload the selection (from the cache when stored). Runs inside `serial`,
   * either queued by the lost-device callback or from a request that failed
   * because the device went away under it.
   */
  private async recoverIfLost(): Promise<void> {
    if (this.backend.takeLost()) await (this.kind ?? this.loader).reloadOn(() => this.backend.start(), this.budgetRequest);
  }

  /** Top-k, recovering once if the GPU device was lost during the request. */
  private async topFor(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    const scorer = () => this.kind ?? this.loader.scorer;
    try {
      return await scorer().top(vector, k, exclude);
    } catch (e) {
      if (!this.backend.lost) throw e;
      await this.recoverIfLost();
      return scorer().top(vector, k, exclude);
    }
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

/** What the first load waits on besides its own files: the backend, whether WebGPU may be chosen, the item files. */
interface FirstLoad {
  readonly backendReady: Promise<void>;
  readonly webGpuPossible: Promise<boolean>;
  readonly itemFiles: Promise<void>;
}

/** Yields to the event loop (a task, not a microtask), so that pending work such as issuing requests runs first. */
function nextTask(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
