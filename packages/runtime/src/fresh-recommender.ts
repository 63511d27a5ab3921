/**
 * The in-thread load (create.ts imports it only when it runs) and the stale-while-revalidate layer over one loaded model
 * version ({@link PeelRecommender}).
 *
 * Cache-first (default): a warm start serves the last complete version in
 * IndexedDB without waiting for the manifest request (on a loaded device that
 * round trip was 20–140 ms of a ~230 ms warm start). Once ready, the manifest
 * is revalidated in the background; a new version is loaded as a second,
 * separate PeelRecommender (downloaded, verified, persisted and promoted by
 * the same rules as any load: the old version stays in IndexedDB until the new
 * one is complete), then swapped in between two requests. A request therefore
 * runs entirely on one version, never on a half-loaded one. Failures while
 * revalidating are `updatefailed` events; the serving version is untouched.
 */
import { AbortError, DisposedError } from './errors.js';
import { fetchManifestText } from './manifest-fetch.js';
import { EventSurface, eventsOf, RecommenderEventTarget } from './events.js';
import { bestEffort, settled } from './settle.js';
import { checkBudget, checkOptions, checkRequest } from './options.js';
import { schemaChecks } from './manifest-trust.js';
import { openModel, type PeelRecommender } from './recommender.js';
import type { AnyManifest } from '@peelrec/format';
import type {
  Freshness,
  ItemCatalog,
  Recommendation,
  RecommendRequest,
  Recommender,
  RecommenderEventName,
  RecommenderEvents,
  RecommenderInfo,
  RecommenderOptions,
  StorageInfo,
  UpdateCheck,
} from './types.js';

/** Loads a model on this thread (the scoring worker's, or a page without one): the options are checked here. */
export function createHere(options: RecommenderOptions): Promise<Recommender> {
  checkOptions(options);
  return createInThread(options, eventsOf(options));
}

/** Loads a model on this thread, `options` checked and `events` listened to by the caller. */
export async function createInThread(options: RecommenderOptions, events: RecommenderEventTarget): Promise<Recommender> {
  const freshness = options.freshness ?? 'cache-first';
  const model = await openModel(options, events, { from: freshness === 'cache-first' ? 'cache' : 'network' });
  const rec = new FreshRecommender(options, events, model, freshness);
  if (model.info.manifestSource === 'cache' && freshness === 'cache-first') rec.revalidate();
  return rec;
}

/** Events of a background load that reach the app: its progress, selection and persisted events describe a version not serving yet. */
const FORWARDED: readonly RecommenderEventName[] = ['fallback', 'integrity', 'quota', 'eviction', 'storage'];

class FreshRecommender extends EventSurface implements Recommender {
  private lock: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private budgetRequest: number | 'auto';
  private readonly background = new AbortController();
  private revalidation: Promise<void> = Promise.resolve();
  /** The check running now, shared by the calls made while it runs. */
  private checking: Promise<UpdateCheck> | undefined;

  constructor(
    private readonly options: RecommenderOptions,
    events: RecommenderEventTarget,
    private model: PeelRecommender,
    readonly freshness: Freshness,
  ) {
    super(events);
    this.budgetRequest = options.budget ?? 'auto';
  }

  get info(): RecommenderInfo {
    return this.model.info;
  }

  get manifest(): AnyManifest {
    return this.model.manifest;
  }

  get items(): ItemCatalog {
    return this.model.items;
  }

  /** On the version serving when the call runs (a swap waits for it). */
  users(): Promise<readonly string[]> {
    return this.serial(() => this.model.users());
  }

  async recommend(request: RecommendRequest): Promise<Recommendation[]> {
    const checked = checkRequest(request); // before queueing: a bad request changes nothing
    return this.serial(() => this.model.recommend(checked));
  }

  async setBudget(budget: number | 'auto'): Promise<RecommenderInfo> {
    checkBudget(budget);
    return this.serial(async () => {
      const info = await this.model.setBudget(budget);
      this.budgetRequest = budget;
      return info;
    });
  }

  async persisted(): Promise<StorageInfo> {
    await settled(this.lock);
    return this.model.persisted();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.background.abort(new AbortError('the recommender was disposed'));
    await this.revalidation;
    await settled(this.lock);
    await this.model.dispose();
  }

  /** Starts the background revalidation (after a cache-first load): a check whose failure only the events report. */
  revalidate(): void {
    bestEffort(this.checkForUpdate()); // update() reports its own failures as `updatefailed`
  }

  checkForUpdate(): Promise<UpdateCheck> {
    if (this.disposed) return Promise.reject(new DisposedError());
    if (this.checking) return this.checking;
    const check = this.update().finally(() => {
      this.checking = undefined;
    });
    this.checking = check;
    this.revalidation = settled(check);
    return check;
  }

  private async update(): Promise<UpdateCheck> {
    const signal = this.background.signal;
    const url = new URL(this.info.manifestUrl);
    let stage: RecommenderEvents['updatefailed']['stage'] = 'manifest';
    let next: PeelRecommender | undefined;
    try {
      const fetchFn = this.options.fetch ?? globalThis.fetch.bind(globalThis);
      const text = await fetchManifestText(url, fetchFn, signal, this.options.retries ?? 3, this.options.timeouts?.stallMs);
      const from = this.info.model;
      const to = text === this.model.manifestTextLoaded ? from : (await (await schemaChecks()).checkManifest(text)).model;
      if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
      const changed = to.contentHash !== from.contentHash;
      this.events.emit('revalidated', { changed, contentHash: to.contentHash });
      if (!changed) return { changed, contentHash: to.contentHash, updated: false };
      stage = 'download';
      // The new version loads for the group and budget serving now; its events of interest reach the app.
      const relay = new RecommenderEventTarget();
      for (const name of FORWARDED) relay.on(name, (d) => this.events.emit(name, d as never));
      const { user: _user, onProgress: _onProgress, on: _on, userGroup: _userGroup, ...rest } = this.options;
      // A group-blind version loads the new one group-blind: naming the group would tell the server (issue 27).
      const group = this.info.groupBlind ? {} : { userGroup: this.info.userGroup };
      const options: RecommenderOptions = { ...rest, ...group, budget: this.budgetRequest, signal, freshness: 'network-first' };
      if (this.options.updates === 'within-budget') {
        await this.serial(() => this.swapWithinBudget(options, relay, text, from, to));
        return { changed, contentHash: to.contentHash, updated: true };
      }
      next = await openModel(options, relay, { from: 'text', text });
      // Stored (and promoted to current) before it serves, so that a reload after `updated` starts from it.
      await next.persisted();
      await this.serial(async () => {
        if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
        // A budget set while the new version loaded applies to it too.
        if (this.budgetRequest !== (options.budget ?? 'auto')) await next!.setBudget(this.budgetRequest);
        const old = this.model;
        this.model = next!;
        next = undefined;
        this.events.emit('updated', { from, to: { id: to.id, contentHash: to.contentHash } });
        await old.dispose();
      });
      return { changed, contentHash: to.contentHash, updated: true };
    } catch (e) {
      await next?.dispose();
      if (signal.aborted || this.disposed) throw new DisposedError();
      const error = e instanceof Error ? e : new Error(String(e));
      this.events.emit('updatefailed', { stage, error, reason: error.message });
      throw error;
    }
  }

  /**
   * `updates: 'within-budget'`, between two requests: the serving version's tables are released before the new
   * version's load, so that the two are never resident together. The new one is stored and made current before it
   * serves; if it fails, the stored version (still current) is loaded again and the error goes on to `updatefailed`.
   */
  private async swapWithinBudget(options: RecommenderOptions, relay: RecommenderEventTarget, text: string, from: RecommenderInfo['model'], to: { id: string; contentHash: string }): Promise<void> {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    await this.model.dispose();
    let next: PeelRecommender | undefined;
    try {
      next = await openModel({ ...options, budget: this.budgetRequest }, relay, { from: 'text', text });
      await next.persisted();
    } catch (e) {
      await next?.dispose();
      // Disposed meanwhile: nothing is to serve. Else the stored version, still current, serves again.
      if (!options.signal?.aborted) this.model = await openModel({ ...options, budget: this.budgetRequest, freshness: 'cache-first' }, relay, { from: 'cache' });
      throw e;
    }
    this.model = next;
    this.events.emit('updated', { from, to: { id: to.id, contentHash: to.contentHash } });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = settled(run);
    return run;
  }
}
