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
