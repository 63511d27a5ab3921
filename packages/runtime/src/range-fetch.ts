/**
 * One HTTP request of a download and its body. A request fetches a whole file, or one byte range spanning adjacent
 * refs of a packed file (HTTP Range); the body streams into one buffer per ref, and each ref is checked
 * (integrity.ts) the moment its last byte arrived, while the rest streams in. A server that ignores Range (200,
 * the whole file) still works: the first such answer serves every range of that file from the one body.
 */
import { refName, type FileRef } from '@peelrec/format';
import type { StallGuard } from './bounded.js';
import { DownloadError } from './errors.js';
import { byteCount, mismatch } from './integrity.js';
import type { ProgressTracker } from './progress.js';
import { stallGuarded } from './retry.js';
import { settled } from './settle.js';

/** What one request needs: where files are, how to fetch them, and where its progress goes. */
export interface RequestOptions {
  /** The manifest's URL: file URLs resolve against it. */
  readonly baseUrl: URL;
  readonly fetch: typeof fetch;
  readonly signal?: AbortSignal;
  readonly progress?: ProgressTracker;
  /** A request without a response or new body bytes for this long is cut and retried (default {@link STALL_MS}). */
  readonly stallMs?: number;
}

/** One request: a whole file (`ranged` false, one ref) or adjacent byte ranges of one file. */
export interface Task {
  readonly url: string;
  readonly ranged: boolean;
  readonly refs: readonly FileRef[];
}

/** What the requests of one download share: which refs arrived verified, and which file is being read whole by whom. */
export interface Shared {
  /** Refs whose bytes verified (first verifier wins; that request hands them on). */
  readonly verified: Set<FileRef>;
  /** Every ref of each file in this download. */
  readonly refsOf: Map<string, FileRef[]>;
  /** A file whose server answered a Range request with the whole file (200): the request reading it for everyone. */
  readonly wholeReaders: Map<string, Promise<void>>;
}

/** What the requests of one task report back: bytes received per ref, refs verified (to hand on), refs that failed their check (this attempt). */
export interface Ledger {
  readonly received: Map<FileRef, number>;
  readonly verified: { ref: FileRef; bytes: Uint8Array }[];
  corrupt: { ref: FileRef; actual: string }[];
}

/** Splits refs (of one file) into runs of adjacent byte ranges. */
export function adjacentRuns(refs: readonly FileRef[]): FileRef[][] {
  const sorted = [...refs].sort((a, b) => a.offset! - b.offset!);
  const out: FileRef[][] = [];
  for (const r of sorted) {
    const run = out.at(-1);
    const last = run?.at(-1);
    if (run && last!.offset! + last!.byteLength === r.offset) run.push(r);
    else out.push([r]);
  }
  return out;
}

/**
 * One request: a whole file, or the byte range spanning `run`. Streams the
 * body into one buffer per ref; each ref is hashed the moment it is complete,
 * concurrently with the rest of the stream. Verified refs go to the ledger's
 * `verified`, failed ones to its `corrupt`. When the server ignores Range (200, the whole
 * file), the first such answer serves every range of that file not yet
 * delivered, and the file's other requests drop their bodies and wait for it.
 */
export async function fetchRun(task: Task, run: readonly FileRef[], shared: Shared, bypassCache: boolean, options: RequestOptions, ledger: Ledger): Promise<void> {
  const url = new URL(task.url, options.baseUrl);
  const start = task.ranged ? run[0]!.offset! : 0;
  const last = run.at(-1)!;
  const end = task.ranged ? last.offset! + last.byteLength : last.byteLength;
  for (const r of run) options.progress?.report('start', refName(r), 0, r.byteLength);
  const headers: Record<string, string> = task.ranged ? { Range: `bytes=${start}-${end - 1}` } : {};
  return stallGuarded(refName(run[0]!), 'no response or no new bytes', options, async (guard) => {
    const res = await guard.race(options.fetch(url, { signal: guard.signal, cache: bypassCache ? 'reload' : 'default', headers }));
    guard.touch();
    if (!res.ok) throw new DownloadError(refName(run[0]!), res.status, `HTTP ${res.status} ${res.statusText}`.trim());
    const partial = task.ranged && res.status === 206;
    const whole = task.ranged && !partial;
    let finishWhole: (() => void) | undefined;
    if (whole) {
      const reader = shared.wholeReaders.get(task.url);
      if (reader) {
        guard.done(); // waiting on another request, which has its own guard
        if (res.body) await settled(res.body.cancel()); // dropping a body we do not need
        await reader; // what it could not deliver is fetched again by the caller
        return;
      }
      shared.wholeReaders.set(task.url, new Promise((r) => (finishWhole = r)));
    }
    try {
      await readBody(task, run, res, whole ? shared.refsOf.get(task.url)!.filter((r) => !shared.verified.has(r)) : run, start, end, partial, shared, options, ledger, guard);
    } finally {
      if (finishWhole) {
        shared.wholeReaders.delete(task.url);
        finishWhole();
      }
    }
  });
}

/** Streams `res` into one buffer per target ref, checking each as soon as it is complete. */
async function readBody(
  task: Task,
  run: readonly FileRef[],
  res: Response,
  targetRefs: readonly FileRef[],
  start: number,
  end: number,
  partial: boolean,
  shared: Shared,
  options: RequestOptions,
  ledger: Ledger,
  guard: StallGuard,
): Promise<void> {
  const { received, verified, corrupt } = ledger;
  const whole = task.ranged && !partial;
  // Where the body starts in the file. A Content-Range the page may read must agree with what was asked.
  const contentRange = partial ? /^bytes (\d+)-/.exec(res.headers.get('Content-Range') ?? '') : null;
  const bodyStart = partial ? (contentRange ? Number(contentRange[1]) : start) : 0;
  const targets = whole ? [...targetRefs].sort((a, b) => a.offset! - b.offset!) : run;
  const readEnd = whole ? Math.max(...targets.map((r) => r.offset! + r.byteLength)) : end;
  const buffers = targets.map((r) => new Uint8Array(r.byteLength));
  const filled = targets.map(() => 0);
  const checks: Promise<void>[] = [];
  const check = (i: number, bytes: Uint8Array, length: number) => {
    const ref = targets[i]!;
    checks.push(
      mismatch(bytes, ref, length).then((actual) => {
        if (actual === undefined) {
          if (shared.verified.has(ref)) return; // another request verified it first
          shared.verified.add(ref);
          options.progress?.report('done', refName(ref), ref.byteLength, ref.byteLength);
          verified.push({ ref, bytes });
        } else {
          corrupt.push({ ref, actual });
        }
      }),
    );
  };
  let overflow = false;
  let surplus = false;
  let seen = 0;
  if (bodyStart !== start && partial) {
    // A range that is not the one asked for: nothing in it can be trusted to be where we expect.
    await res.body?.cancel();
    targets.forEach((_, i) => check(i, buffers[i]!, 0));
  } else {
    const offsetOf = (r: FileRef) => (task.ranged ? r.offset! : 0);
    let pos = bodyStart; // file offset of the next body byte
    let k = 0; // first target not yet complete
    const take = (chunk: Uint8Array) => {
      let c = 0;
      // One progress event per chunk (for the ref it ends in), carrying every byte of the chunk: a chunk spans a few
      // 32 KB blocks, and an event per block and chunk cost more main-thread time than the copying.
      let moved = 0;
      let lastRef: FileRef | undefined;
      while (c < chunk.byteLength && k < targets.length) {
        const r = targets[k]!;
        const at = offsetOf(r);
        if (pos < at) {
          const skip = Math.min(at - pos, chunk.byteLength - c);
          c += skip;
          pos += skip;
          continue;
        }
        const n = Math.min(r.byteLength - filled[k]!, chunk.byteLength - c);
        buffers[k]!.set(chunk.subarray(c, c + n), filled[k]!);
        filled[k]! += n;
        c += n;
        pos += n;
        received.set(r, (received.get(r) ?? 0) + n);
        moved += n;
        lastRef = r;
        if (filled[k] === r.byteLength) check(k++, buffers[k - 1]!, r.byteLength); // its 'done' comes after the hash, so after this chunk's event
      }
      if (lastRef) options.progress?.report('progress', refName(lastRef), received.get(lastRef) ?? 0, lastRef.byteLength, moved);
      if (!task.ranged && c < chunk.byteLength) {
        overflow = true; // a whole file longer than promised
        pos += chunk.byteLength - c;
      } else if (c < chunk.byteLength) {
        surplus = true; // bytes past the last range wanted: the rest of a whole file, or a server sending too much
      }
    };
    try {
      if (!res.body) {
        take(new Uint8Array(await guard.race(res.arrayBuffer())));
      } else {
        const reader = res.body.getReader();
        try {
          // Read to the end of the body: cancelling a response whose last byte has arrived shows as an aborted
          // request. Only a whole file sent for a range, or a body longer than promised, is cut short.
          for (;;) {
            if (overflow || surplus || (whole && pos >= readEnd)) {
              await settled(reader.cancel()); // cut short on purpose
              break;
            }
            const { done, value } = await guard.race(reader.read());
            if (done) break;
            guard.touch();
            take(value);
          }
        } finally {
          try {
            reader.releaseLock();
          } catch {
            // Older streams throw while a read is pending (a stalled body): the request is cut either way.
          }
        }
      }
    } catch (e) {
      await Promise.all(checks); // the refs completed before the failure are verified and kept
      throw e;
    }
    // Short body: the refs it did not complete fail their length check (and are refetched once).
    for (let i = k; i < targets.length; i++) check(i, buffers[i]!, filled[i]!);
    seen = pos - bodyStart;
  }
  await Promise.all(checks);
  if (overflow) {
    // A whole file longer than promised is not the file the manifest pins, whatever its first bytes hash to.
    const ref = targets[0]!;
    const i = verified.findIndex((v) => v.ref === ref);
    if (i >= 0) {
      verified.splice(i, 1);
      shared.verified.delete(ref);
    }
    if (!corrupt.some((c) => c.ref === ref)) corrupt.push({ ref, actual: byteCount(seen) });
  }
}
