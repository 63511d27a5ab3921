/**
 * Where each file's bytes come from: bytes still waiting to be written, the cache (this version's files, or another
 * stored version's, then committed for this one too), a read the warm start began early, else the network. Every
 * path yields bytes that passed their check, and files new to this version go to storage (integrity.ts).
 */
import { refName, type FileRef } from '@peelrec/format';
import { DEFAULT_CONCURRENCY, downloadFiles } from './download.js';
import { throwIfAborted } from './errors.js';
import type { RecommenderEventTarget } from './events.js';
import { keep } from './integrity.js';
import { schemaChecks } from './manifest-trust.js';
import { ProgressTracker } from './progress.js';
import { RETRY_BASE_MS } from './retry.js';
import { awaitedLater } from './settle.js';
import type { LoadProgress, RecommenderOptions } from './types.js';
import type { VersionLifecycle } from './version-lifecycle.js';

/** A file a load needs: its ref, the weight eviction ranks it by, and what to do with its verified bytes. */
export interface FileJob {
  readonly ref: FileRef;
  readonly weight: number;
  readonly use: (bytes: Uint8Array) => void;
}

/** Weight for files every selection needs (ids, metadata): never evicted for a block. */
export const ESSENTIAL = Number.MAX_VALUE;
/** Weight for user shards: the first thing to go when space runs out. */
export const DISPOSABLE = 0;

export class FileRouter {
  /** Bytes this version downloaded. */
  downloaded = 0;
  /** Bytes this version read from the cache. */
  cached = 0;
  /** False while the creation's first downloads run ahead of the manifest's full check: each ref is checked before it is fetched. */
  manifestChecked = true;
  /** Cache reads started for the last complete version while the network manifest loads (creation only): sha256 → verified bytes. */
  private readonly prefetched = new Map<string, Promise<Uint8Array | undefined>>();
  private prefetching = true;
  /** The progress totals of the creation, while it runs. */
  private creationProgress: ProgressTracker | undefined;

  constructor(
    private readonly baseUrl: URL,
    private readonly fetchFn: typeof fetch,
    private readonly options: RecommenderOptions,
    private readonly events: RecommenderEventTarget,
    private readonly version: VersionLifecycle,
  ) {}

  /** The creation starts: every fetch until {@link endCreation} adds to one set of progress totals. */
  startCreation(): void {
    this.creationProgress = new ProgressTracker(0, 0, (p) => this.report(p));
  }

  /** The creation is over: reads started early are dropped (nobody would use them), and each later load has its own totals. */
  endCreation(): void {
    this.prefetching = false;
    this.prefetched.clear();
    this.creationProgress = undefined;
  }

  /**
   * Starts reading `refs` that are among `stored` (the last complete version's committed files) from IndexedDB, for
   * {@link fetch} to use; resolves with each ref's verified bytes (undefined where not stored or not read). Reads
   * no longer start once the creation is over.
   */
  readAhead(refs: readonly (FileRef | undefined)[], stored: ReadonlyMap<string, number>): Promise<(Uint8Array | undefined)[]> {
    if (!this.prefetching) return Promise.resolve(refs.map(() => undefined)); // creation is over: nobody would use them
    const want = refs.filter((r): r is FileRef => r !== undefined && stored.has(r.sha256) && !this.prefetched.has(r.sha256));
    const all = this.version.store.readMany(want.map((r) => r.sha256));
    awaitedLater(all);
    want.forEach((r, i) =>
      this.prefetched.set(
        r.sha256,
        all.then(
          (b) => b[i],
          () => undefined,
        ),
      ),
    );
    return Promise.all(refs.map((r) => (r ? (this.prefetched.get(r.sha256) ?? Promise.resolve(undefined)) : Promise.resolve(undefined))));
  }

  /** Verified bytes of each job: committed cache entries first, the rest from the network (then queued for storage). */
  async fetch(jobs: readonly FileJob[], signal: AbortSignal | undefined): Promise<void> {
    if (!jobs.length) return;
    if (!this.manifestChecked) {
      const { checkEarlyRef } = await schemaChecks();
      for (const j of jobs) checkEarlyRef(j.ref);
    }
    const queue = this.version.queue!;
    const total = jobs.reduce((n, j) => n + j.ref.byteLength, 0);
    // During creation every fetch adds to one set of totals; later loads (budget, group) each have their own.
    const progress = this.creationProgress ?? new ProgressTracker(0, 0, (p: LoadProgress) => this.report(p));
    progress.add(total, jobs.length);
    const remote: FileJob[] = [];
    // Bytes still waiting to be written (verified when they arrived) are used as they are, not downloaded again.
    const held = new Map(jobs.map((j) => [j, queue.bytesOf(j.ref.sha256)] as const).filter(([, b]) => b !== undefined));
    // In the cache for this version, or committed by another stored version (then stored for this one too, below).
    const lacking = jobs.some((j) => !held.has(j) && !queue.committed.has(j.ref.sha256));
    const elsewhere = lacking ? await this.version.otherVersionsFiles() : undefined;
    const inCache = (sha: string) => queue.committed.has(sha) || (elsewhere?.has(sha) ?? false);
    // Committed files in one IndexedDB transaction, their SHA-256 checks concurrently.
    const wanted = jobs.filter((j) => !held.has(j) && inCache(j.ref.sha256) && !this.prefetched.has(j.ref.sha256));
    const many = this.version.store.readMany(wanted.map((j) => j.ref.sha256));
    const index = new Map(wanted.map((j, i) => [j, i]));
    const reads = jobs.map((j) => {
      if (held.has(j)) return Promise.resolve(held.get(j));
      const early = inCache(j.ref.sha256) ? this.prefetched.get(j.ref.sha256) : undefined;
      if (early) return early;
      const i = index.get(j);
      return i === undefined ? Promise.resolve(undefined) : many.then((all) => all[i]);
    });
    for (const r of reads) awaitedLater(r); // each in order below
    for (const [i, job] of jobs.entries()) {
      throwIfAborted(signal);
      const bytes = await reads[i]!;
      if (!bytes) {
        if (queue.committed.delete(job.ref.sha256)) this.events.emit('eviction', { files: [refName(job.ref)], bytes: job.ref.byteLength, reason: 'quota' });
        remote.push(job);
        continue;
      }
      this.cached += bytes.byteLength;
      progress.report('cached', refName(job.ref), bytes.byteLength, bytes.byteLength, bytes.byteLength);
      job.use(bytes);
      // Another version's file: committed for this one as well (the store keeps one copy), so that promoting this
      // version keeps it when the other goes.
      keep(queue, job.ref, bytes, job.weight);
    }
    const byRef = new Map(remote.map((j) => [j.ref, j]));
    await downloadFiles(
      remote.map((j) => j.ref),
      {
        baseUrl: this.baseUrl,
        fetch: this.fetchFn,
        signal,
        concurrency: this.options.concurrency ?? DEFAULT_CONCURRENCY,
        retries: this.options.retries ?? 3,
        retryDelayMs: RETRY_BASE_MS,
        progress,
        onIntegrity: (e) => this.events.emit('integrity', e),
        stallMs: this.options.timeouts?.stallMs,
      },
      (ref, bytes) => {
        const job = byRef.get(ref)!;
        this.downloaded += bytes.byteLength;
        job.use(bytes);
        keep(queue, ref, bytes, job.weight);
      },
    );
  }

  /** A file step of a load, to the app's `onProgress` and as a `progress` event. */
  private report(p: LoadProgress): void {
    this.options.onProgress?.(p);
    this.events.emit('progress', p);
  }
}
