/**
 * Warm start: what the last complete version needs, read from IndexedDB (item files, the user's shard, the group's
 * block table and every stored block of it, or the group-blind plan's tables and blocks; a table kind's stored
 * variant files) while the manifest is revalidated over the network. Reads are keyed by SHA-256, so whatever version
 * the network names, only bytes it pins are used; a failed or useless read costs nothing but the read.
 */
import { decodeUserShard, isKindManifest, variantRefs, type AnyManifestFile, type BlockTable, type FileRef } from '@peelrec/format';
import { blindGroupOf, startsBlind } from './group-blind.js';
import type { CachedModel } from './store.js';
import type { RecommenderOptions } from './types.js';

/** Starts reads of `refs` (those stored) and resolves with each one's verified bytes, undefined where there are none. */
export type ReadAhead = (refs: readonly (FileRef | undefined)[]) => Promise<(Uint8Array | undefined)[]>;

/** Reads ahead what a load with `options` needs of `cached`: each step's reads once the step before told what it needs. */
export async function readAheadCached(cached: CachedModel, options: RecommenderOptions, read: ReadAhead, signal: AbortSignal | undefined): Promise<void> {
  const m = JSON.parse(cached.manifest) as AnyManifestFile; // validated when it was stored
  void read([m.items.ids, options.metadata !== false ? m.items.metadata : undefined]);
  // A table kind: the variant the budget picks is not known yet, but only the variants this version served are stored.
  if (isKindManifest(m)) {
    await read(m.variants.flatMap(variantRefs));
    return;
  }
  let group = options.userGroup ?? 0;
  const user = options.user;
  if (user && 'id' in user && !m.users.ids && /^(0|[1-9]\d*)$/.test(String(user.id))) {
    const index = Number(user.id);
    const shard = m.users.shards.find((s) => index >= s.start && index < s.start + s.count);
    const [bytes] = await read([shard?.file]);
    if (!shard || !bytes) return;
    group = decodeUserShard(bytes, m.dims.fullDim, shard.count).groups[index - shard.start]!;
  }
  if (signal?.aborted) return;
  const entriesOf = (table: Uint8Array) => (JSON.parse(new TextDecoder().decode(table)) as BlockTable).blocks;
  if (startsBlind(options)) {
    // The group-blind plan: every table, then the blocks of the group the plan takes them from.
    const tables = await read(m.blockTables ?? []);
    if (!tables.length || !tables.every((t) => t !== undefined)) return;
    const entries = tables.map((t) => entriesOf(t!));
    await read(entries[blindGroupOf(entries)]!.flatMap((e) => e.files));
    return;
  }
  const [table] = await read([m.blockTables?.[group]]);
  if (!table) return;
  await read(entriesOf(table).flatMap((e) => e.files));
}
