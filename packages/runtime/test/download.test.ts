import { describe, expect, it } from 'vitest';
import { IntegrityError, sha256Hex, type FileRef } from '@peelrec/format';
import { AbortError, DownloadError, type LoadProgress } from '../src/index.js';
import { refName } from '@peelrec/format';
import { downloadFiles, planRequests, type DownloadOptions } from '../src/download.js';
import { ProgressTracker } from '../src/progress.js';
import { BASE, serve, type Fault } from './fixtures/serve.js';

async function files(n: number, size = 1000) {
  const map = new Map<string, Uint8Array>();
  const refs: FileRef[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = Uint8Array.from({ length: size }, (_, j) => (i * 31 + j * 7) & 255);
    map.set(`f${i}.bin`, bytes);
    refs.push({ url: `f${i}.bin`, byteLength: size, sha256: await sha256Hex(bytes) });
  }
  return { map, refs };
}

/** One packed file of `n` parts of `size` bytes, and a ref per part (byte ranges). */
async function pack(n: number, size = 1000) {
  const whole = Uint8Array.from({ length: n * size }, (_, j) => (j * 13 + (j >> 8)) & 255);
  const refs: FileRef[] = [];
  for (let i = 0; i < n; i++) {
    const part = whole.subarray(i * size, (i + 1) * size);
    refs.push({ url: 'pack.bin', offset: i * size, byteLength: size, sha256: await sha256Hex(part) });
  }
  return { map: new Map([['pack.bin', whole]]), refs, whole };
}

const opts = (fetch: typeof globalThis.fetch, extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  baseUrl: new URL(BASE),
  fetch,
  concurrency: 2,
  retries: 3,
  retryDelayMs: 1,
  ...extra,
});

describe('downloadFiles', () => {
  it('retries transient failures (network, 5xx) and delivers verified bytes', async () => {
    const { map, refs } = await files(3);
    const s = serve(map);
    const faults: Record<string, Fault[]> = { 'f0.bin': ['network', 'http500'], 'f2.bin': ['http500'] };
    s.fault = (path, n) => faults[path]?.[n];
    const got = new Map<string, Uint8Array>();
    await downloadFiles(refs, opts(s.fetch), (ref, bytes) => void got.set(ref.url, bytes));
    expect([...got.keys()].sort()).toEqual(['f0.bin', 'f1.bin', 'f2.bin']);
    for (const [k, v] of got) expect(v).toEqual(map.get(k));
    expect(s.requests.filter((p) => p === 'f0.bin')).toHaveLength(3);
    expect(s.requests.filter((p) => p === 'f2.bin')).toHaveLength(2);
  });

  it('gives up after the retry limit with DownloadError', async () => {
    const { map, refs } = await files(1);
    const s = serve(map);
    s.fault = () => 'http500';
    const err = await downloadFiles(refs, opts(s.fetch, { retries: 2 }), () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.status).toBe(500);
    expect(s.requests).toHaveLength(3);
  });

  it('does not retry a 404', async () => {
    const { map, refs } = await files(1);
    const s = serve(map);
    s.fault = () => 'http404';
    await expect(downloadFiles(refs, opts(s.fetch), () => {})).rejects.toMatchObject({ name: 'DownloadError', status: 404 });
    expect(s.requests).toHaveLength(1);
  });

  it('refetches once on a hash or length mismatch and never hands out bad bytes', async () => {
    const { map, refs } = await files(2);
    const s = serve(map);
    s.fault = (path, n) => (path === 'f0.bin' && n === 0 ? 'truncate' : path === 'f1.bin' ? 'corrupt' : undefined);
    const delivered: string[] = [];
    const integrity: { file: string; willRetry: boolean }[] = [];
    const err = await downloadFiles(refs, opts(s.fetch, { onIntegrity: (e) => integrity.push(e) }), (ref) => void delivered.push(ref.url)).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.url).toBe('f1.bin');
    expect(delivered).toEqual(['f0.bin']);
    expect(integrity).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'f0.bin', willRetry: true }),
        expect.objectContaining({ file: 'f1.bin', willRetry: true }),
        expect.objectContaining({ file: 'f1.bin', willRetry: false }),
      ]),
    );
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const { map, refs } = await files(8);
    const s = serve(map);
    let inFlight = 0;
    let peak = 0;
    const slow: typeof fetch = async (input, init) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      try {
        return await s.fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    await downloadFiles(refs, opts(slow, { concurrency: 3 }), () => {});
    expect(peak).toBe(3);
  });

  it('aborts in flight and while backing off', async () => {
    const { map, refs } = await files(2);
    const s = serve(map);
    s.fault = (path) => (path === 'f1.bin' ? 'hang' : undefined);
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 10);
    await expect(downloadFiles(refs, opts(s.fetch, { signal: ctrl.signal }), () => {})).rejects.toBeInstanceOf(AbortError);

    const s2 = serve(map);
    s2.fault = () => 'http500';
    const ctrl2 = new AbortController();
    setTimeout(() => ctrl2.abort(), 30);
    const t0 = Date.now();
    await expect(downloadFiles(refs, opts(s2.fetch, { signal: ctrl2.signal, retryDelayMs: 60_000 }), () => {})).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - t0).toBeLessThan(10_000); // the backoff sleep was interrupted, not waited out
  });

  it('a transport failure named AbortError that the caller did not ask for is a network failure: retried, then DownloadError', async () => {
    const { map, refs } = await files(1);
    const s = serve(map);
    // Firefox can fail a body read with a DOMException named AbortError when the connection drops.
    const dropped =
      (fails: number): typeof globalThis.fetch =>
      async (input, init) => {
        const res = await s.fetch(input, init);
        if (s.requests.length > fails) return res;
        const body = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new DOMException('The operation was aborted.', 'AbortError')) });
        return new Response(body, { status: res.status });
      };
    const got: Uint8Array[] = [];
    await downloadFiles(refs, opts(dropped(1)), (_, bytes) => void got.push(bytes));
    expect(got).toEqual([map.get('f0.bin')]);
    const err = await downloadFiles(refs, opts(dropped(Infinity), { retries: 1 }), () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toMatchObject({ name: 'DownloadError', url: 'f0.bin', status: undefined, message: 'Download of f0.bin failed: The operation was aborted.' });
  });

  it('reports progress per file with running totals that add up', async () => {
    const { map, refs } = await files(4, 5000);
    const s = serve(map);
    s.fault = (path, n) => (path === 'f3.bin' && n === 0 ? 'http500' : undefined);
    const events: LoadProgress[] = [];
    const progress = new ProgressTracker(20_000, 4, (p) => events.push(p));
    await downloadFiles(refs, opts(s.fetch, { progress }), () => {});
    const last = events.at(-1)!;
    expect(last.aggregate).toEqual({ loaded: 20_000, total: 20_000, files: 4, filesDone: 4 });
    expect(
      events
        .filter((e) => e.status === 'done')
        .map((e) => e.file)
        .sort(),
    ).toEqual(['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin']);
    expect(events.some((e) => e.status === 'retry' && e.file === 'f3.bin')).toBe(true);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['aggregate', 'file', 'loaded', 'status', 'total']);
      expect(e.aggregate.loaded).toBeLessThanOrEqual(e.aggregate.total);
    }
  });
});

describe('downloadFiles: byte ranges of packed files', () => {
  it('plans adjacent ranges of one file as one request, cut at maxRangeBytes, in the order asked', async () => {
    const { refs } = await pack(6);
    const plan = (list: FileRef[], max: number) => planRequests(list, max).map((t) => t.refs.map((r) => r.offset! / 1000));
    expect(plan(refs, 1e9)).toEqual([[0, 1, 2, 3, 4, 5]]);
    expect(plan(refs, 2000)).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(plan([refs[4]!, refs[0]!, refs[1]!, refs[5]!], 1e9)).toEqual([
      [4, 5],
      [0, 1],
    ]); // a hole splits a run; the first asked goes first
    const whole = { url: 'ids.json', byteLength: 5, sha256: '0'.repeat(64) };
    expect(planRequests([refs[3]!, whole, refs[2]!], 1e9).map((t) => [t.url, t.ranged])).toEqual([
      ['pack.bin', true],
      ['ids.json', false],
    ]);
  });

  it('fetches each range with Range requests and verifies every part', async () => {
    const { map, refs, whole } = await pack(8);
    const s = serve(map);
    const got = new Map<number, Uint8Array>();
    await downloadFiles(refs, opts(s.fetch, { concurrency: 3, maxRangeBytes: 3000 }), (ref, bytes) => void got.set(ref.offset!, bytes));
    expect([...got.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => i * 1000));
    for (const [o, b] of got) expect(b).toEqual(whole.subarray(o, o + 1000));
    expect(s.log.map((l) => l.range)).toEqual([
      [0, 2999],
      [3000, 5999],
      [6000, 7999],
    ]);
    // Each part is its own buffer (IndexedDB clones a view's whole buffer).
    for (const b of got.values()) expect(b.buffer.byteLength).toBe(1000);
  });

  it('a server that ignores Range: the first whole-file answer serves every range; requests sent with it drop their bodies', async () => {
    const { map, refs, whole } = await pack(8);
    const s = serve(map);
    s.ranges = false;
    const got: number[] = [];
    const wanted = [refs[0]!, refs[1]!, refs[4]!, refs[5]!, refs[7]!];
    await downloadFiles(wanted, opts(s.fetch, { concurrency: 3, maxRangeBytes: 1000 }), (ref, bytes) => {
      expect(bytes).toEqual(whole.subarray(ref.offset!, ref.offset! + 1000));
      got.push(ref.offset!);
    });
    expect(got.sort((a, b) => a - b)).toEqual([0, 1000, 4000, 5000, 7000]); // each once
    // Five ranges, but only the requests already in flight with the first (concurrency 3): none after it answered.
    expect(s.requests.length).toBeLessThanOrEqual(3);
  });

  it('keeps the parts verified before a connection drops and fetches only the rest', async () => {
    const { map, refs } = await pack(4);
    const s = serve(map);
    s.fault = (_, n) => (n === 0 ? 'cut' : undefined);
    const delivered: number[] = [];
    await downloadFiles(refs, opts(s.fetch), (ref) => void delivered.push(ref.offset!));
    expect(delivered.sort((a, b) => a - b)).toEqual([0, 1000, 2000, 3000]);
    expect(s.log.map((l) => l.range)).toEqual([
      [0, 3999],
      [2000, 3999],
    ]);
  });

  it('a part that fails its hash is refetched alone, bypassing the cache; twice is an IntegrityError naming the range', async () => {
    const { map, refs } = await pack(3);
    const s = serve(map);
    const caches: (RequestCache | undefined)[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => (caches.push(init?.cache), s.fetch(input, init));
    s.fault = (_, n) => (n === 0 ? 'corrupt' : undefined); // flips the first byte of the first response: part 0
    const integrity: { file: string; willRetry: boolean }[] = [];
    await downloadFiles(refs, opts(fetch, { onIntegrity: (e) => integrity.push(e) }), () => {});
    expect(integrity).toEqual([expect.objectContaining({ file: refName(refs[0]!), willRetry: true })]);
    expect(s.log.map((l) => l.range)).toEqual([
      [0, 2999],
      [0, 999],
    ]);
    expect(caches).toEqual(['default', 'reload']);

    const s2 = serve(map);
    s2.fault = () => 'corrupt';
    const err = await downloadFiles(refs, opts(s2.fetch), () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.url).toBe(refName(refs[0]!));
    expect(err.url).toBe('pack.bin#bytes=0-999');
  });

  it('reports progress per part with totals that add up', async () => {
    const { map, refs } = await pack(5);
    const s = serve(map);
    const events: LoadProgress[] = [];
    await downloadFiles(refs, opts(s.fetch, { progress: new ProgressTracker(5000, 5, (p) => events.push(p)) }), () => {});
    expect(events.at(-1)!.aggregate).toEqual({ loaded: 5000, total: 5000, files: 5, filesDone: 5 });
    expect(
      events
        .filter((e) => e.status === 'done')
        .map((e) => e.file)
        .sort(),
    ).toEqual(refs.map(refName).sort());
  });
});
