/**
 * createRecommender, the SDK's entry. The options are checked here; the model then loads in the page's scoring
 * worker (worker-recommender.ts) or, where there is none, on this thread. The in-thread loader (tfjs, the format's
 * schemas, IndexedDB) is a chunk of its own, imported only when it runs: a page served by the worker does not
 * download, parse or compile it (issue 26: it was most of the bench page's 324 KB start-up script).
 */
import { DownloadError } from './errors.js';
import { eventsOf, type RecommenderEventTarget } from './events.js';
import { checkOptions } from './options.js';
import type { Recommender, RecommenderOptions } from './types.js';
import { createInWorker, useWorker } from './worker-recommender.js';

/** Loads a model for this device's budget and returns a ready recommender (warmed up). */
export async function createRecommender(options: RecommenderOptions): Promise<Recommender> {
  checkOptions(options); // the app's object is kept as given (a key set to undefined means "absent" in budgetInputs)
  const events = eventsOf(options);
  if (useWorker(options)) {
    // The page's onProgress is a listener of the worker's progress events, which are the load's own.
    if (options.onProgress) events.on('progress', options.onProgress);
    const { onProgress: _listening, ...rest } = options; // a fallback to this thread must not call it twice
    return createInWorker(options, events, () => inThread(rest, events));
  }
  return inThread(options, events);
}

async function inThread(options: RecommenderOptions, events: RecommenderEventTarget): Promise<Recommender> {
  let loader: typeof import('./fresh-recommender.js');
  try {
    loader = await import('./fresh-recommender.js');
  } catch (e) {
    // A chunk of the app's build that did not arrive (offline, a deploy that removed it): nothing was loaded.
    throw new DownloadError("@peelrec/runtime's in-thread loader", undefined, (e as Error)?.message ?? String(e), { cause: e });
  }
  return loader.createInThread(options, events);
}
