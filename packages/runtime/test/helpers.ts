import { IDBFactory } from 'fake-indexeddb';
import { assertPeelManifest, decodeBlock } from '@peelrec/format';
import { createRecommender, scoreReference, type Recommender, type RecommenderOptions } from '../src/index.js';
import { buildFixture, bytesOf, type Fixture, type FixtureOptions } from './fixtures/artifact.js';
import { recording } from './error-contract.js';
import { MANIFEST_URL, serve, type ServedFetch } from './fixtures/serve.js';

export interface Harness {
  readonly fixture: Fixture;
  readonly server: ServedFetch;
  readonly idb: IDBFactory;
  open(extra?: Partial<RecommenderOptions>): Promise<Recommender>;
}

/** A fixture served over a fake fetch, with a fresh fake IndexedDB, opening recommenders on the cpu backend. */
export async function harness(options: FixtureOptions = {}): Promise<Harness> {
  const fixture = await buildFixture(options);
  const server = serve(fixture.files);
  const idb = new IDBFactory();
  return {
    fixture,
    server,
    idb,
    open: (extra = {}) =>
      recording(
        createRecommender({
          manifestUrl: MANIFEST_URL,
          backend: 'cpu',
          fetch: server.fetch,
          indexedDB: idb,
          budgetInputs: { deviceMemory: 4, storage: { quota: 1e9, usage: 0 } },
          ...extra,
        }),
      ).then(recorded),
  };
}

/** The recommender with every rejection of its public calls recorded for the error contract (test/setup.ts). */
function recorded(rec: Recommender): Recommender {
  return new Proxy(rec, {
    get(target, key) {
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const out = (v as (...a: unknown[]) => unknown).apply(target, args);
        return out instanceof Promise ? recording(out) : out;
      };
    },
  });
}

/** scoreReference over the recommender's own selection, with blocks decoded from the artifact files. */
export function reference(rec: Recommender, files: Map<string, Uint8Array>, vector: ArrayLike<number>, k: number, exclude: number[] = []) {
  const selection = rec.info.selection;
  const byKey = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b]));
  return scoreReference({
    manifest: assertPeelManifest(rec.manifest),
    selection,
    vector,
    k,
    exclude,
    block: (g, b) => {
      const sel = byKey.get(`${g}/${b}`)!;
      return decodeBlock(bytesOf(files, sel.file), sel.file.dtype);
    },
  });
}

export const flush = () => new Promise((r) => setTimeout(r, 0));
