/**
 * The catalog as one load holds it: the item ids and metadata parsed from their verified files, the id → position
 * index (built on first use), and the frozen catalog apps read (catalog.ts).
 */
import { ManifestError, type AnyManifestFile } from '@peelrec/format';
import { itemCatalog, parseJsonArray } from './catalog.js';
import { ESSENTIAL, type FileJob } from './file-router.js';
import type { ItemCatalog, ItemMeta, Recommendation } from './types.js';

let indexAtLoad = false;
/** Loads whose index is still to be built (the scoring worker's, until {@link indexLoadedItems}). */
const unindexed = new Set<LoadedItems>();
/** Ids a background slice adds to the index: ~1 ms, so a call that arrives meanwhile waits that long at most. */
const SLICE = 4096;

/** Makes every later load build the id → position index once it is ready (the scoring worker: no page waits on it). */
export function indexItemsAtLoad(): void {
  indexAtLoad = true;
}

/**
 * Builds the index of every load parsed since the last call, a slice a task: called once a load is ready, so that
 * the 10–15 ms of 40k ids (300+ ms for 1M) are off its critical path and the first exclusions do not pay them.
 */
export function indexLoadedItems(): void {
  for (const items of unindexed) items.indexInBackground();
  unindexed.clear();
}

export class LoadedItems {
  private ids: string[] = [];
  /** The index of the first `indexed` ids (built on first use, or a slice a task in the worker). */
  private positionIndex: Map<string, number> | undefined;
  private indexed = 0;
  private metadata: ItemMeta[] | undefined;
  private catalogValue: ItemCatalog | undefined;
  private readonly bytes: { ids?: Uint8Array; metadata?: Uint8Array } = {};

  /** Whether the metadata file was loaded. */
  get hasMetadata(): boolean {
    return this.metadata !== undefined;
  }

  get catalog(): ItemCatalog {
    return (this.catalogValue ??= itemCatalog(this.ids, this.metadata));
  }

  /** The item files to fetch (the metadata unless `withMetadata` is false): their bytes wait for {@link parse}. */
  jobs(m: AnyManifestFile, withMetadata: boolean): FileJob[] {
    return [
      { ref: m.items.ids, weight: ESSENTIAL, use: (b) => void (this.bytes.ids = b) },
      ...(m.items.metadata && withMetadata ? [{ ref: m.items.metadata, weight: ESSENTIAL, use: (b: Uint8Array) => void (this.bytes.metadata = b) }] : []),
    ];
  }

  /** Parses the fetched item files against the checked manifest. @throws ManifestError when they do not match it */
  parse(m: AnyManifestFile): void {
    this.setIds(this.bytes.ids!, m);
    if (this.bytes.metadata) this.setMetadata(this.bytes.metadata, m);
    if (indexAtLoad) unindexed.add(this);
  }

  /** Adds the ids to the index a slice a task; {@link positionOf} finishes it at once when asked first. */
  indexInBackground(): void {
    const ids = this.ids;
    const step = () => {
      if (this.ids !== ids) return; // new ids: their index starts over, on use
      this.indexUpTo(Math.min(this.indexed + SLICE, ids.length));
      if (this.indexed < ids.length) setTimeout(step, 0);
    };
    setTimeout(step, 0);
  }

  private indexUpTo(end: number): Map<string, number> {
    const index = (this.positionIndex ??= new Map());
    // In order, so a repeated id maps to its last position, as a Map built in one go would.
    for (let i = this.indexed; i < end; i++) index.set(this.ids[i]!, i);
    this.indexed = Math.max(this.indexed, end);
    return index;
  }

  /** External id → artifact position, built on first use (exclusions, histories): 40k map entries cost ~10 ms that start-up need not pay. */
  private positionOf(): Map<string, number> {
    return this.indexUpTo(this.ids.length);
  }

  /** The catalog positions of `ids`, in their order; ids not in the catalog are left out (no ids: no index built). */
  positionsOf(ids: Iterable<string>): number[] {
    const out: number[] = [];
    for (const id of ids) {
      const p = this.positionOf().get(id);
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  /** The recommendation of the item at `position`. */
  recommendation(position: number, score: number): Recommendation {
    const meta = this.metadata?.[position];
    return { itemId: this.ids[position]!, score, position, ...(meta && { meta }) };
  }

  private setIds(bytes: Uint8Array, m: AnyManifestFile): void {
    const ids = parseJsonArray(bytes, m.items.ids.url);
    if (ids.length !== m.items.count || !ids.every((v) => typeof v === 'string')) {
      throw new ManifestError(`${m.items.ids.url}: expected ${m.items.count} string ids`);
    }
    this.ids = ids as string[];
    this.positionIndex = undefined;
    this.indexed = 0;
  }

  private setMetadata(bytes: Uint8Array, m: AnyManifestFile): void {
    const rows = parseJsonArray(bytes, m.items.metadata!.url);
    if (rows.length !== m.items.count) throw new ManifestError(`${m.items.metadata!.url}: expected ${m.items.count} entries`);
    this.metadata = rows.map((r) => {
      const o = (r ?? {}) as Record<string, unknown>;
      return { ...(typeof o.name === 'string' && { name: o.name }), ...(typeof o.category === 'string' && { category: o.category }) };
    });
  }
}
