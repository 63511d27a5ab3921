/**
 * The page's side of a recommender that runs in the scoring worker (scoring-worker.ts): the same {@link Recommender}
 * API, each call a message. The page keeps what must be decided or seen here: the checked options, the budget inputs
 * (a page's deviceMemory override does not reach a worker, so they are read here and passed in), the events and
 * their listeners, and synchronous mirrors of `info`, `manifest` and `items` that the worker refreshes.
 */
import type { AnyManifest } from '@peelrec/format';
import { pageWorker, type PageWorker, type RoutedMessage } from './page-worker.js';
import { readBudgetInputs } from './environment.js';
import { AbortError, DisposedError } from './errors.js';
import { EventSurface, type RecommenderEventTarget } from './events.js';
import { itemCatalog, unpackCatalog } from './catalog.js';
import { checkBudget, checkRequest } from './options.js';
import type { ItemCatalog, Recommendation, Recommender, RecommenderInfo, RecommenderOptions, RecommendRequest, StorageInfo, UpdateCheck } from './types.js';
import { receiveDetail, receiveError, type PageMessage, type Snapshot, type WorkerOptions } from './worker-protocol.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** Whether this load runs in the scoring worker: by default where module Workers exist, unless the app injects what cannot cross (fetch, indexedDB). */
export function useWorker(options: RecommenderOptions): boolean {
  if (options.worker === false || options.fetch || options.indexedDB) return false;
  return typeof Worker === 'function' && typeof (globalThis as { document?: unknown }).document === 'object';
}

/**
 * Starts the worker and loads the model there; resolves once it is ready to score. A worker whose script cannot
 * start (offline without a cached copy, a CSP without worker-src) leaves the load to `inThread`.
 */
export async function createInWorker(options: RecommenderOptions, events: RecommenderEventTarget, inThread: () => Promise<Recommender>): Promise<Recommender> {
  let channel: PageWorker;
  try {
    channel = pageWorker();
  } catch (e) {
    return startFailed(e, inThread);
  }
  const prepared = workerOptions(options);
  if (!(await channel.started)) return startFailed(undefined, inThread);
  const rec = new WorkerRecommender(channel, events);
  await rec.load(await prepared, pageHasNoWebGpu(options), options.signal);
  return rec;
}

function startFailed(cause: unknown, inThread: () => Promise<Recommender>): Promise<Recommender> {
  console.debug(`[peelrec] the scoring worker did not start${cause ? ` (${(cause as Error)?.message ?? cause})` : ''}; loading on this thread`);
  return inThread();
}

/**
 * Whether the page has switched WebGPU off (no `navigator.gpu`): then the worker asks for no adapter either. The page
 * never requests an adapter itself: `requestAdapter` makes synchronous IPC on the calling thread (Chromium:
 * GpuDataManager::Are3DAPIsBlockedForUrl, GpuChannel::CreateCommandBuffer), a 75–160 ms main-thread task on a
 * loaded machine (trace, issue 26). The worker asks once for the page: it is shared by the page's recommenders.
 */
function pageHasNoWebGpu(options: RecommenderOptions): string | undefined {
  const preference = options.backend ?? 'auto';
  if (preference !== 'auto' && preference !== 'webgpu') return undefined;
  return (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu ? undefined : 'navigator.gpu is not available on the page (WebGPU unsupported or disabled)';
}

/** The options as the worker needs them: absolute URLs (its base is the script's), the page's budget inputs. */
async function workerOptions(options: RecommenderOptions): Promise<WorkerOptions> {
  const { signal: _s, onProgress: _p, on: _o, fetch: _f, indexedDB: _i, worker: _w, ...rest } = options;
  const base = globalThis.location?.href;
  const abs = (u: string | URL) => new URL(String(u), base).href;
  const wasmPaths =
    rest.wasmPaths === undefined
      ? undefined
      : typeof rest.wasmPaths === 'string'
        ? abs(rest.wasmPaths)
        : (Object.fromEntries(Object.entries(rest.wasmPaths).map(([k, v]) => [k, abs(v)])) as typeof rest.wasmPaths);
  // The app's keys win, including a key set to undefined ("absent"); the rest is what this page reports.
  const env = await readBudgetInputs(options.timeouts?.browserApiMs);
  return { ...rest, manifestUrl: abs(rest.manifestUrl), ...(wasmPaths && { wasmPaths }), budgetInputs: { ...env, ...rest.budgetInputs } };
}

class WorkerRecommender extends EventSurface implements Recommender {
  private snapshot: Snapshot | undefined;
  private manifestValue: AnyManifest | undefined;
  private catalog: ItemCatalog = itemCatalog([], undefined);
  private readonly pending = new Map<number, Pending>();
  private loading: Pending | undefined;
  private nextId = 0;
  private disposed = false;
  private readonly rid: number;

  constructor(
    private readonly channel: PageWorker,
    events: RecommenderEventTarget,
  ) {
    super(events);
    this.rid = channel.attach({ receive: (m) => this.receive(m), fail: (e) => this.fail(e) });
  }

  load(options: WorkerOptions, noWebGpu: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.loading = {
        resolve: () => resolve(),
        reject: (e) => {
          this.channel.detach(this.rid);
          reject(e);
        },
      };
      const onAbort = () => {
        this.send({ type: 'abort', rid: this.rid });
        this.loading?.reject(new AbortError(undefined, { cause: signal?.reason }));
        this.loading = undefined;
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ type: 'create', rid: this.rid, options, ...(noWebGpu && { noWebGpu }) });
    });
  }

  get info(): RecommenderInfo {
    return this.snapshot!.info;
  }

  get manifest(): AnyManifest {
    return this.manifestValue!;
  }

  get items(): ItemCatalog {
    return this.catalog;
  }

  users(): Promise<readonly string[]> {
    return this.call('users', []) as Promise<readonly string[]>;
  }

  async recommend(request: RecommendRequest): Promise<Recommendation[]> {
    const checked = checkRequest(request); // here: a bad request changes nothing and costs no message
    return (await this.call('recommend', [checked])) as Recommendation[];
  }

  async setBudget(budget: number | 'auto'): Promise<RecommenderInfo> {
    checkBudget(budget);
    return (await this.call('setBudget', [budget])) as RecommenderInfo;
  }

  persisted(): Promise<StorageInfo> {
    return this.call('persisted', []) as Promise<StorageInfo>;
  }

  checkForUpdate(): Promise<UpdateCheck> {
    return this.call('checkForUpdate', []) as Promise<UpdateCheck>;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    const done = this.call('dispose', []);
    this.disposed = true;
    try {
      await done;
    } finally {
      this.channel.detach(this.rid); // the worker stays for the page's other and later recommenders
    }
  }

  private call(method: Extract<PageMessage, { type: 'call' }>['method'], args: readonly unknown[]): Promise<unknown> {
    if (this.disposed) return Promise.reject(new DisposedError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'call', rid: this.rid, id, method, args } as PageMessage);
    });
  }

  private send(m: PageMessage): void {
    this.channel.send(m);
  }

  private mirror(s: Snapshot | undefined): void {
    if (!s) return;
    this.snapshot = s;
    if (s.manifest) this.manifestValue = s.manifest;
  }

  private receive(m: RoutedMessage): void {
    if (m.type === 'items') {
      this.catalog = unpackCatalog(m.catalog);
      return;
    }
    if (m.type === 'event') {
      this.mirror(m.snapshot);
      this.events.emit(m.event, receiveDetail(m.detail) as never);
      return;
    }
    if (m.type === 'ready') {
      this.mirror(m.snapshot);
      this.loading?.resolve(undefined);
      this.loading = undefined;
      return;
    }
    if (m.type === 'failed') {
      this.loading?.reject(receiveError(m.error));
      this.loading = undefined;
      return;
    }
    this.mirror(m.snapshot);
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (m.type === 'result') p?.resolve(m.value);
    else p?.reject(receiveError(m.error));
  }

  private fail(e: Error): void {
    this.loading?.reject(e);
    this.loading = undefined;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
