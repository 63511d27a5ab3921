import { describe, expect, it } from 'vitest';
import { FormatDataError } from '@peelrec/format';
import { ManifestError, PeelrecError } from '../src/index.js';
import { receiveDetail, receiveError, sendDetail, sendError } from '../src/worker-protocol.js';
import { useWorker } from '../src/worker-recommender.js';
import { exportedErrorClasses, buildError } from './error-contract.js';

/** Through structured clone, as a postMessage carries it. */
const across = <T>(v: T): T => structuredClone(v);

describe('errors across the worker boundary', () => {
  it('every exported error comes back as its own class, with its name, message and fields', () => {
    for (const [name, Class] of exportedErrorClasses()) {
      const sent = buildError(name, Class);
      const back = receiveError(across(sendError(sent)));
      expect(back, name).toBeInstanceOf(Class);
      expect(back, name).toBeInstanceOf(PeelrecError);
      expect(back.name).toBe(name);
      expect(back.message).toBe(sent.message);
      expect({ ...back }).toEqual({ ...sent });
    }
  });

  it("a table kind's FormatDataError (thrown by the format's checks, not exported here) keeps its class, a ManifestError", () => {
    const back = receiveError(across(sendError(new FormatDataError('sparse payload', ['row 3: indices out of order']))));
    expect(back).toBeInstanceOf(FormatDataError);
    expect(back).toBeInstanceOf(ManifestError);
    expect({ ...back }).toEqual({ ...new FormatDataError('sparse payload', ['row 3: indices out of order']) });
  });

  it('a cause that is a PeelrecError keeps its class too', () => {
    const [, Timeout] = [...exportedErrorClasses()].find(([n]) => n === 'TimeoutError')!;
    const [, Download] = [...exportedErrorClasses()].find(([n]) => n === 'DownloadError')!;
    const cause = new (Timeout as unknown as new (...a: unknown[]) => Error)('a request', 20);
    const e = new (Download as unknown as new (...a: unknown[]) => Error)('a.bin', undefined, 'stalled', { cause });
    const back = receiveError(across(sendError(e)));
    expect(back.cause).toBeInstanceOf(Timeout);
    expect((back.cause as Error).message).toBe(cause.message);
  });

  it("an event's error (updatefailed) is rebuilt; other details pass as they are", () => {
    const [, Download] = [...exportedErrorClasses()].find(([n]) => n === 'DownloadError')!;
    const error = new (Download as unknown as new (...a: unknown[]) => Error)('m.json', 503, 'HTTP 503');
    const detail = receiveDetail(across(sendDetail({ stage: 'manifest', error, reason: error.message }))) as { error: Error; stage: string };
    expect(detail.error).toBeInstanceOf(Download);
    expect(detail.stage).toBe('manifest');
    const plain = { file: 'a.bin', action: 'memory', error: 'QuotaExceededError' };
    expect(receiveDetail(across(sendDetail(plain)))).toEqual(plain);
  });
});

describe('where a recommender runs', () => {
  it('in-thread without Worker (Node), with worker: false, or with an injected fetch or indexedDB', () => {
    const g = globalThis as { Worker?: unknown; document?: unknown };
    expect(useWorker({ manifestUrl: '/m.json' })).toBe(false); // no Worker here
    const saved = { Worker: g.Worker, document: g.document };
    g.Worker = class {};
    g.document = {};
    try {
      expect(useWorker({ manifestUrl: '/m.json' })).toBe(true);
      expect(useWorker({ manifestUrl: '/m.json', worker: false })).toBe(false);
      expect(useWorker({ manifestUrl: '/m.json', fetch: globalThis.fetch })).toBe(false);
      expect(useWorker({ manifestUrl: '/m.json', indexedDB: {} as IDBFactory })).toBe(false);
    } finally {
      g.Worker = saved.Worker;
      g.document = saved.document;
    }
  });
});
