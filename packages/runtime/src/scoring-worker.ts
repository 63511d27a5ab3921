/**
 * The scoring worker: a dedicated module Worker that loads and serves one recommender (fresh-recommender.ts, the
 * in-thread path) for the page's {@link WorkerRecommender}. Everything that can run long runs here: fetching,
 * verifying (SHA-256), IndexedDB, parsing the item ids and building their id → position index, the tfjs backend,
 * the scorer and group switches. The page decided the options (the budget inputs included) and keeps the events.
 */
import { adoptWebGpuProbe } from './backend.js';
import { packCatalog } from './catalog.js';
import { createHere } from './fresh-recommender.js';
import { indexItemsAtLoad, indexLoadedItems } from './loaded-items.js';
import type { AnyManifest } from '@peelrec/format';
import type { Recommender, RecommenderEventName } from './types.js';
import { sendDetail, sendError, type PageMessage, type Snapshot, type WorkerMessage } from './worker-protocol.js';

const EVENTS: readonly RecommenderEventName[] = ['progress', 'fallback', 'integrity', 'quota', 'eviction', 'storage', 'budget', 'selection', 'persisted', 'revalidated', 'updated', 'updatefailed'];

const scope = globalThis as unknown as { postMessage(m: WorkerMessage, transfer?: Transferable[]): void; onmessage: ((ev: MessageEvent<PageMessage>) => void) | null };
const post = (m: WorkerMessage, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

/** One recommender of the page (a page shares one worker, as it shares one tfjs in-thread). */
class Hosted {
  rec: Recommender | undefined;
  readonly abort = new AbortController();
  private sentManifest: AnyManifest | undefined;

  constructor(readonly rid: number) {}

  /** `info` always (small); the manifest only when another object serves (a group's table loaded, a new version). */
  snapshot(): Snapshot | undefined {
    const rec = this.rec;
    if (!rec) return undefined;
    const manifest = rec.manifest === this.sentManifest ? undefined : (this.sentManifest = rec.manifest);
    return { info: rec.info, ...(manifest && { manifest }) };
  }

  /** The serving version's catalog, packed (catalog.ts); the page swaps it in whole. */
  sendItems(): void {
    const { packed, transfer } = packCatalog(this.rec!.items);
    post({ type: 'items', rid: this.rid, catalog: packed }, transfer);
  }
}

const hosted = new Map<number, Hosted>();

indexItemsAtLoad();
post({ type: 'started' });

async function create({ rid, options, noWebGpu }: Extract<PageMessage, { type: 'create' }>): Promise<void> {
  if (noWebGpu) adoptWebGpuProbe({ unavailable: noWebGpu });
  const h = new Hosted(rid);
  hosted.set(rid, h);
  const on = Object.fromEntries(
    EVENTS.map((event) => [
      event,
      (detail: unknown) => {
        if (event === 'updated') h.sendItems(); // the new version's catalog is in the page before its listeners run
        post({ type: 'event', rid, event, detail: sendDetail(detail), snapshot: h.snapshot() });
        if (event === 'updated') indexLoadedItems();
      },
    ]),
  );
  try {
    h.rec = await createHere({ ...options, signal: h.abort.signal, on });
  } catch (e) {
    hosted.delete(rid);
    post({ type: 'failed', rid, error: sendError(e) });
    return;
  }
  h.sendItems();
  post({ type: 'ready', rid, snapshot: h.snapshot()! });
  indexLoadedItems();
}

async function call(m: Extract<PageMessage, { type: 'call' }>): Promise<void> {
  const h = hosted.get(m.rid);
  try {
    const rec = h?.rec;
    if (!rec) throw new Error('the scoring worker has no such recommender');
    let value: unknown;
    if (m.method === 'recommend') value = await rec.recommend(m.args[0]);
    else if (m.method === 'setBudget') value = await rec.setBudget(m.args[0]);
    else if (m.method === 'users') value = await rec.users();
    else if (m.method === 'persisted') value = await rec.persisted();
    else if (m.method === 'checkForUpdate') value = await rec.checkForUpdate();
    else {
      value = await rec.dispose();
      hosted.delete(m.rid);
    }
    post({ type: 'result', rid: m.rid, id: m.id, value, snapshot: m.method === 'dispose' ? undefined : h.snapshot() });
  } catch (e) {
    post({ type: 'error', rid: m.rid, id: m.id, error: sendError(e), snapshot: h?.snapshot() });
  }
}

scope.onmessage = (ev) => {
  const m = ev.data;
  if (m.type === 'create') void create(m);
  else if (m.type === 'abort') hosted.get(m.rid)?.abort.abort();
  else void call(m);
};
