/**
 * Inputs for the runtime's plain-TypeScript reference (`scoreReference`),
 * fetched independently of the runtime: the selected block files and the
 * user's vector from its shard, each verified against the manifest's hash.
 */
import { decodeBlock, decodeUserShard, fetchSource, readVerified, type FileRef, type ManifestFile, type Selection } from '@peelrec/format';
import { scoreReference, type ScoredPosition } from '@peelrec/runtime';

/** The bytes of `ref` (a Range request for a packed block), verified against its hash. */
function fetchVerified(base: URL, ref: FileRef): Promise<Uint8Array> {
  return readVerified(
    fetchSource(base, (input, init) => fetch(input, { ...init, cache: 'no-store' })),
    ref,
  );
}

export async function userVector(manifestUrl: URL, m: ManifestFile, position: number): Promise<{ vector: Float32Array; group: number }> {
  const shard = m.users.shards.find((s) => position >= s.start && position < s.start + s.count);
  if (!shard) throw new RangeError(`user position ${position} is in no shard`);
  const { vectors, groups } = decodeUserShard(await fetchVerified(manifestUrl, shard.file), m.dims.fullDim, shard.count);
  const i = position - shard.start;
  return { vector: vectors.slice(i * m.dims.fullDim, (i + 1) * m.dims.fullDim), group: groups[i]! };
}

/** The reference top-k for `vector` under `selection` (blocks fetched and decoded here). */
export async function referenceTopK(manifestUrl: URL, m: ManifestFile, selection: Selection, vector: ArrayLike<number>, k: number): Promise<ScoredPosition[]> {
  const blocks = new Map<string, Float32Array>();
  await Promise.all(
    selection.blocks.map(async (b) => {
      blocks.set(`${b.itemGroup}/${b.block}`, decodeBlock(await fetchVerified(manifestUrl, b.file), b.file.dtype));
    }),
  );
  return scoreReference({ manifest: m, selection, vector, k, block: (g, b) => blocks.get(`${g}/${b}`)! });
}
