/**
 * The catalog as one load holds it: the item ids and metadata parsed from their verified files, the id → position
 * index (built on first use), and the frozen catalog apps read (catalog.ts).
 */
import { ManifestError, type AnyManifestFile } from '@peelrec/format';
import { itemCatalog, parseJsonArray } from './catalog.js';
import { ESSENTIAL, type FileJob } from './file-router.js';
import type { ItemCatalog, ItemMeta, Recommendation } from './types.js';

let indexAtLoad = false;

/** Makes every later load build the id → position index as it parses the ids (the scoring worker: a long task there blocks no page). */
export function indexItemsAtLoad(): void {
  indexAtLoad = true;
}

export class LoadedItems {
  private ids: string[] = [];
  private positionIndex: Map<string, number> | undefined;
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
    // Off the main thread the load builds the index, so the first exclusions do not (1M ids: 300+ ms).
    if (indexAtLoad) this.positionOf();
  }

  /** External id → artifact position, built on first use (exclusions, histories): 40k map entries cost ~10 ms that start-up need not pay. */
  private positionOf(): Map<string, number> {
    return (this.positionIndex ??= new Map(this.ids.map((id, i) => [id, i])));
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
