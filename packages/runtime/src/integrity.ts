/**
 * The one gate between bytes and storage. Every file's bytes are checked here against the SHA-256 and byte length
 * the manifest pins: from the network as each ref's last byte arrives (range-fetch.ts), and as read back from
 * IndexedDB (store.ts). Bytes that passed are handed to storage here too ({@link keep}); unverified bytes never
 * reach the store, the scorer or a parser.
 *
 * Why bytes read back are hashed on every start, not once per stored version (issue 26): bytes at rest change
 * in storage that no checksum covers (Chromium writes IndexedDB values over 64 KiB, f32 blocks and item ids among
 * them, to blob files outside LevelDB's checksummed blocks), by any same-origin code writing this database (an app
 * bug, another library, an extension), and by our own writer's bugs (a view stored with its whole buffer). Each
 * can happen after a first verified read, and a changed block scores silently wrong. A "verified" mark per
 * version catches only what changed before the mark was set, and what writes the database can write the mark
 * too. The cost: 4.9 MB (255 i8 blocks) hash in 5–8 ms on WebCrypto's threads, after ~25–45 ms of reads; warm
 * starts without the check were ~11 ms faster (median of 16 interleaved pairs, 2-core bench machine), and hashing
 * each record while the next ones were read gained nothing measurable there (both cores were busy).
 */
import { IntegrityError, refName, sha256Hex, type FileRef } from '@peelrec/format';
import type { PersistQueue } from './persist.js';

/** What a file's bytes are pinned to: its SHA-256, and its length where the reader knows it (a stored record keeps only the hash). */
export interface Pin {
  readonly sha256: string;
  readonly byteLength?: number;
}

/** How a length mismatch reads as the `actual` of a check (and of the `integrity` event). */
export function byteCount(received: number): string {
  return `${received} bytes`;
}

/**
 * Checks the `received` bytes of a file against its pin: undefined when they are the file, else what they are
 * instead, their SHA-256 or (when the length is off, then nothing is hashed) their {@link byteCount}.
 */
export function mismatch(bytes: Uint8Array, pin: Pin, received = bytes.byteLength): Promise<string | undefined> {
  if (pin.byteLength !== undefined && received !== pin.byteLength) return Promise.resolve(byteCount(received));
  return sha256Hex(bytes).then((actual) => (actual === pin.sha256 ? undefined : actual));
}

/** The error for a ref whose bytes failed their check once more after a refetch: a length or a hash mismatch. */
export function integrityError(ref: FileRef, actual: string): IntegrityError {
  return /^\d+ bytes$/.test(actual) ? new IntegrityError(refName(ref), String(ref.byteLength), actual.split(' ')[0]!, 'byteLength') : new IntegrityError(refName(ref), ref.sha256, actual);
}

/** Hands bytes that passed their check to storage, queued for this version (the queue skips a file already committed). */
export function keep(queue: PersistQueue, ref: FileRef, bytes: Uint8Array, weight: number): void {
  queue.enqueue(ref.sha256, refName(ref), bytes, weight);
}

/**
 * SHA-256 (hex) of a manifest text as UTF-8: stored with a version's record when the text passed its full check, so
 * a cache-first start whose stored text still hashes to it trusts the text without checking it again.
 */
export function manifestTextHash(text: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(text));
}
