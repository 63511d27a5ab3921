/**
 * The scoring worker: a dedicated module Worker that loads and serves one recommender (fresh-recommender.ts, the
 * in-thread path) for the page's {@link WorkerRecommender}. Everything that can run long runs here: fetching,
 * verifying (SHA-256), IndexedDB, parsing the item ids and building their id → position index, the tfjs backend,
 * the scorer and group switches. The page decided the options (the budget inputs included) and keeps the events.
 */
import { adoptWebGpuProbe } from './backend.js';
import { createRecommender } from './fresh-recommender.js';
import { indexItemsAtLoad } from './loaded-items.js';
import type { Manifest } from '@peelrec/format';
import type { Recommender, RecommenderEventName } from './types.js';
import { sendDetail, sendError, type PageMessage, type Snapshot, type WorkerMessage } from './worker-protocol.js';

const EVENTS: readonly RecommenderEventName[] = ['progress', 'fallback', 'integrity', 'quota', 'eviction', 'storage', 'budget', 'selection', 'persisted', 'revalidated', 'updated', 'updatefailed'];
/** Ids per `items` message: a chunk deserialises in a few ms on the page (64k ids took 10–60 ms on a loaded core, 16k up to 64 ms with a collection). */
const ID_CHUNK = 8_192;

const scope = globalThis as unknown as { postMessage(m: WorkerMessage): void; onmessage: ((ev: MessageEvent<PageMessage>) => void) | null };
const post = (m: WorkerMessage) => scope.postMessage(m);
const abort = new AbortController();
let rec: Recommender | undefined;
let sentManifest: Manifest | undefined;

indexItemsAtLoad();
post({ type: 'started' });

/** `info` always (small); the manifest only when another object serves (a group's table loaded, a new version). */
function snapshot(): Snapshot | undefined {
  if (!rec) return undefined;
  const manifest = rec.manifest === sentManifest ? undefined : (sentManifest = rec.manifest);
  return { info: rec.info, ...(manifest && { manifest }) };
}

async function create({ options, noWebGpu }: Extract<PageMessage, { type: 'create' }>): Promise<void> {
  if (noWebGpu) adoptWebGpuProbe({ unavailable: noWebGpu });
  const on = Object.fromEntries(
    EVENTS.map((event) => [
      event,
      (detail: unknown) => {
        if (event === 'updated') sendItems(); // the new version's catalog is in the page before its listeners run
        post({ type: 'event', event, detail: sendDetail(detail), snapshot: snapshot() });
      },
    ]),
  );
  try {
    rec = await createRecommender({ ...options, signal: abort.signal, on });
  } catch (e) {
    post({ type: 'failed', error: sendError(e) });
    return;
  }
  sendItems();
  post({ type: 'ready', snapshot: snapshot()! });
}

/** The serving version's catalog, in chunks; the page swaps it in on the last one. */
function sendItems(): void {
  const { ids, metadata } = rec!.items;
  const chunks = Math.max(1, Math.ceil(ids.length / ID_CHUNK));
  for (let c = 0; c < chunks; c++) {
    const [a, b] = [c * ID_CHUNK, (c + 1) * ID_CHUNK];
    post({ type: 'items', ids: ids.slice(a, b), ...(metadata && { metadata: metadata.slice(a, b) }), first: c === 0, last: c === chunks - 1 });
  }
}

async function call(m: Extract<PageMessage, { type: 'call' }>): Promise<void> {
  try {
    if (!rec) throw new Error('the scoring worker has no recommender');
    let value: unknown;
    if (m.method === 'recommend') value = await rec.recommend(m.args[0]);
    else if (m.method === 'setBudget') value = await rec.setBudget(m.args[0]);
    else if (m.method === 'users') value = await rec.users();
    else if (m.method === 'persisted') value = await rec.persisted();
    else value = await rec.dispose();
    post({ type: 'result', id: m.id, value, snapshot: m.method === 'dispose' ? undefined : snapshot() });
  } catch (e) {
    post({ type: 'error', id: m.id, error: sendError(e), snapshot: snapshot() });
  }
}

scope.onmessage = (ev) => {
  const m = ev.data;
  if (m.type === 'create') void create(m);
  else if (m.type === 'abort') abort.abort();
  else void call(m);
};
