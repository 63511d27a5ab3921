/** Load progress: an event per file step (`onProgress` and the `progress` event), each with the totals of its load. */
import type { LoadProgress } from './types.js';

/**
 * Running totals over one load; files served from the cache are reported too,
 * so totals always add up. A load whose files become known step by step (a
 * creation: the user shard, the block table, then the blocks) `add`s them.
 */
export class ProgressTracker {
  private loadedBytes = 0;
  private filesDone = 0;

  constructor(
    private totalBytes: number,
    private files: number,
    private readonly sink: ((p: LoadProgress) => void) | undefined,
  ) {}

  add(bytes: number, files: number): void {
    this.totalBytes += bytes;
    this.files += files;
  }

  report(status: LoadProgress['status'], file: string, loaded: number, total: number, delta = 0): void {
    this.loadedBytes += delta;
    if (status === 'done' || status === 'cached') this.filesDone++;
    this.sink?.({
      status,
      file,
      loaded,
      total,
      aggregate: { loaded: this.loadedBytes, total: this.totalBytes, files: this.files, filesDone: this.filesDone },
    });
  }
}
