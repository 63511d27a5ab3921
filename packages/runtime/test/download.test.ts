import { describe, expect, it } from 'vitest';
import { IntegrityError, sha256Hex, type FileRef } from '@peelrec/format';
import { AbortError, DownloadError, type LoadProgress } from '../src/index.js';
import { downloadFiles, ProgressTracker, type DownloadOptions } from '../src/download.js';
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
    expect(integrity).toEqual(expect.arrayContaining([
      expect.objectContaining({ file: 'f0.bin', willRetry: true }),
      expect.objectContaining({ file: 'f1.bin', willRetry: true }),
      expect.objectContaining({ file: 'f1.bin', willRetry: false }),
    ]));
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

  it('reports progress per file with running totals that add up', async () => {
    const { map, refs } = await files(4, 5000);
    const s = serve(map);
    s.fault = (path, n) => (path === 'f3.bin' && n === 0 ? 'http500' : undefined);
    const events: LoadProgress[] = [];
    const progress = new ProgressTracker(20_000, 4, (p) => events.push(p));
    await downloadFiles(refs, opts(s.fetch, { progress }), () => {});
    const last = events.at(-1)!;
    expect(last.aggregate).toEqual({ loaded: 20_000, total: 20_000, files: 4, filesDone: 4 });
    expect(events.filter((e) => e.status === 'done').map((e) => e.file).sort()).toEqual(['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin']);
    expect(events.some((e) => e.status === 'retry' && e.file === 'f3.bin')).toBe(true);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['aggregate', 'file', 'loaded', 'status', 'total']);
      expect(e.aggregate.loaded).toBeLessThanOrEqual(e.aggregate.total);
    }
  });
});
