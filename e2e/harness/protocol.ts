/** Messages between the harness page and its worker (structured-clone friendly). */
import type { BackendPreference, RecommenderInfo, StorageMode } from '@peelrec/runtime';

export interface WorkerRequest {
  readonly manifestUrl: string;
  /** Bytes, or 'auto' to let the runtime read the worker's own environment. */
  readonly budget: number | 'auto';
  readonly backend?: BackendPreference;
  readonly storage?: StorageMode;
  readonly userId: string;
  readonly k?: number;
}

export interface WorkerReply {
  readonly ok: boolean;
  readonly error?: string;
  /** `navigator.deviceMemory` as the worker sees it. */
  readonly deviceMemory?: number | null;
  readonly info?: Pick<RecommenderInfo, 'budget' | 'selection' | 'residentBytes' | 'backend' | 'storage' | 'downloadedBytes'>;
  readonly itemIds?: string[];
}
