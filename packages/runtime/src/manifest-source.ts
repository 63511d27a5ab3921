/**
 * Where one load's manifest text comes from, and how far it is trusted before its full check: the plan's source
 * (the network, the cache first, or a text already fetched), the last complete cached version when the network
 * fails, and trust, without the check, for a text that passed it when it was stored (manifest-trust.ts).
 */
import type { AnyManifestFile } from '@peelrec/format';
import type { DownloadError } from './errors.js';
import { manifestTextHash } from './integrity.js';
import { fetchManifestText } from './manifest-fetch.js';
import { earlyManifest, schemaChecks, trustedManifest } from './manifest-trust.js';
import type { CachedModel } from './store.js';
import type { RecommenderOptions } from './types.js';

/** Where a model version's manifest comes from: the network (then the cache when offline), the cache first, or a text already fetched. */
export type ManifestPlan = { readonly from: 'network' } | { readonly from: 'cache' } | { readonly from: 'text'; readonly text: string };

/** A load's manifest text, parsed as far as it is trusted, with the cache records the decision read. */
export interface LoadedManifest {
  readonly text: string;
  /** Fully checked when `trusted`; else a plain parse, whose full check runs while the first downloads do. */
  readonly file: AnyManifestFile;
  readonly trusted: boolean;
  /** The cached version the text was read from (cache-first), if it was. */
  readonly fromCache: CachedModel | undefined;
  /** The last complete cached version of this URL, if any. */
  readonly cached: CachedModel | undefined;
  /** SHA-256 of a text read from the cache. */
  readonly textSha: string | undefined;
}

export class ManifestSource {
  /** Where the manifest came from: known before the load finishes (openModel reads it to fall back). */
  from: 'network' | 'cache' = 'network';

  constructor(
    private readonly url: URL,
    private readonly fetchFn: typeof fetch,
    private readonly options: RecommenderOptions,
    private readonly plan: ManifestPlan,
  ) {}

  /**
   * The manifest text, `cachedVersion` being the last complete version read from the store meanwhile. A text
   * that does not even parse fails here, with the full check's error.
   */
  async load(cachedVersion: Promise<CachedModel | undefined>, signal: AbortSignal | undefined): Promise<LoadedManifest> {
    // Cache-first: the last complete version serves at once; the caller revalidates the manifest once ready.
    const fromCache = this.plan.from === 'cache' ? await cachedVersion : undefined;
    if (fromCache) this.from = 'cache';
    const text = fromCache?.manifest ?? (this.plan.from === 'text' ? this.plan.text : await this.fetchText(signal, cachedVersion));
    const cached = await cachedVersion;
    // A cached text still hashing to what it hashed to when it passed the full check is trusted like an identical
    // network copy (the schema walk and the content hash cost tens of ms of a warm start on a slow core).
    const textSha = fromCache ? await manifestTextHash(text) : undefined;
    const checkedCopy = fromCache && fromCache.manifestSha256 === textSha ? trustedManifest(text, fromCache.contentHash) : undefined;
    // A manifest byte-identical to the cached version was fully checked when it was stored. Any other is checked in
    // full (schema, invariants, content hash), but while the first group-independent downloads are in flight: they
    // start from a plain parse, each ref they fetch checked on its own, and nothing they bring is used or stored
    // before the whole manifest passed.
    const trusted = checkedCopy ?? this.trustedCopy(text, cached);
    const file = trusted ?? earlyManifest(text) ?? (await (await schemaChecks()).checkManifest(text));
    return { text, file, trusted: trusted !== undefined, fromCache, cached, textSha };
  }

  /**
   * The network copy when reachable (so a new version is seen), else the last
   * complete cached version. A transport failure with a cached version falls
   * back at once (offline); server errors and a cold cache are retried.
   */
  private fetchText(signal: AbortSignal | undefined, cachedVersion: Promise<CachedModel | undefined>): Promise<string> {
    // Offline (a transport failure), or the server keeps failing: the last complete cached version serves (the
    // record the load already reads for its prefetch, not a second read).
    const cachedInstead = async (error: DownloadError, willRetry: boolean): Promise<string | undefined> => {
      if (error.status !== undefined && willRetry) return undefined;
      const cached = await cachedVersion;
      if (cached) this.from = 'cache';
      return cached?.manifest;
    };
    return fetchManifestText(this.url, this.fetchFn, signal, this.options.retries ?? 3, this.options.timeouts?.stallMs, cachedInstead);
  }

  /**
   * Byte-identical to the cached version, which passed parseManifest and the content-hash check before it was
   * stored: trusted without either (the schema walk and the canonical hash cost tens of ms on a slow core). Only a
   * network copy is compared: a copy read back from IndexedDB alone (offline) is always fully checked.
   */
  private trustedCopy(text: string, cached: CachedModel | undefined): AnyManifestFile | undefined {
    if (this.from !== 'network' || cached?.manifest !== text) return undefined;
    return trustedManifest(text, cached.contentHash);
  }
}
