/**
 * What an app shows and asks about: the catalog's item ids and metadata, and the training-set users' ids. The
 * recommender holds the item files from its load on; the user ids are fetched on first use (`users.ids` can be
 * large, and scoring a known user needs only their shard).
 */
import { ManifestError } from '@peelrec/format';
import type { ItemCatalog, ItemMeta } from './types.js';

/** The recommender's own arrays, frozen, not copied: an app cannot change what `recommend` returns through them. */
export function itemCatalog(ids: string[], metadata: ItemMeta[] | undefined): ItemCatalog {
  return { ids: Object.freeze(ids), ...(metadata && { metadata: Object.freeze(metadata) }) };
}

/**
 * The catalog as it crosses from the scoring worker: every id's UTF-16 code units in one buffer and where each id
 * ends, both transferred, not copied. Code units, not UTF-8: ids are JSON strings and may hold lone surrogates,
 * which a UTF-8 round trip would replace.
 */
export interface PackedCatalog {
  readonly units: Uint16Array;
  readonly ends: Uint32Array;
  /** The metadata array as JSON, when the artifact has it. */
  readonly metadataJson?: string;
}

/** Packs a catalog (in the worker); `transfer` lists the buffers to hand over with the message. */
export function packCatalog({ ids, metadata }: ItemCatalog): { packed: PackedCatalog; transfer: ArrayBuffer[] } {
  const ends = new Uint32Array(ids.length);
  let end = 0;
  ids.forEach((id, i) => {
    end += id.length;
    ends[i] = end;
  });
  const units = new Uint16Array(end);
  let at = 0;
  for (const id of ids) for (let j = 0; j < id.length; j++) units[at++] = id.charCodeAt(j);
  const packed = { units, ends, ...(metadata && { metadataJson: JSON.stringify(metadata) }) };
  return { packed, transfer: [units.buffer as ArrayBuffer, ends.buffer as ArrayBuffer] };
}

/** Code units → one string, 8k units a call (an argument list has a length limit). */
function decodeUnits(units: Uint16Array): string {
  const parts: string[] = [];
  for (let a = 0; a < units.length; a += 8192) parts.push(String.fromCharCode.apply(null, units.subarray(a, a + 8192) as unknown as number[]));
  return parts.join('');
}

/**
 * The page's catalog of a worker-served recommender: `ids` and `metadata` are built on first read and kept. 1M id
 * strings arriving with the load cost the page 7–9 young-generation collections during creation (long tasks of
 * 50–257 ms on a loaded machine), and a copied 1M-id message a 100 ms task to deserialise; transferred buffers cost
 * neither, and an app that never reads `ids` pays nothing (at 1M ids the first read is one task of a few hundred ms).
 */
export function unpackCatalog({ units, ends, metadataJson }: PackedCatalog): ItemCatalog {
  let ids: readonly string[] | undefined;
  let metadata: readonly ItemMeta[] | undefined;
  const catalog = {
    get ids(): readonly string[] {
      if (!ids) {
        const joined = decodeUnits(units);
        const out = new Array<string>(ends.length);
        for (let i = 0, start = 0; i < ends.length; start = ends[i]!, i++) out[i] = joined.slice(start, ends[i]);
        ids = Object.freeze(out);
      }
      return ids;
    },
  };
  if (metadataJson === undefined) return Object.freeze(catalog);
  return Object.freeze(
    Object.defineProperty(catalog, 'metadata', {
      enumerable: true,
      get: (): readonly ItemMeta[] => (metadata ??= Object.freeze(JSON.parse(metadataJson) as ItemMeta[])),
    }) as ItemCatalog,
  );
}

/**
 * The users' ids in artifact order: the parsed `users.ids` file, or `"0"` … `"count-1"` when the artifact has none.
 * @throws ManifestError when the file lists another number of users than the manifest.
 */
export function userIdList(count: number, ids: { readonly url: string; readonly values: readonly unknown[] } | undefined): readonly string[] {
  if (!ids) return Object.freeze(Array.from({ length: count }, (_, i) => String(i)));
  if (ids.values.length !== count) throw new ManifestError(`${ids.url}: expected ${count} user ids, found ${ids.values.length}`);
  return Object.freeze(ids.values.map(String));
}

/** A catalog file's bytes as a JSON array. @throws ManifestError when they are not one */
export function parseJsonArray(bytes: Uint8Array, url: string): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new ManifestError(`${url} is not valid JSON`, [], { cause });
  }
  if (!Array.isArray(v)) throw new ManifestError(`${url} must hold a JSON array`);
  return v;
}
