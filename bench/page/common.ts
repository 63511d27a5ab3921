/** What every benchmark page shares: the tfjs wasm binaries, artifact loading, statistics. */
import { decodeBlock, decodeUserShard, fetchSource, readVerified, type ManifestFile, type Selection } from '@peelrec/format';
import type { GroupMatrix } from './impl/onnx-graph.js';

export { TFJS_WASM_PATHS } from './wasm-paths.js';

export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The first user of `group` in the first shard that has one. */
export async function userOfGroup(manifest: ManifestFile, manifestUrl: string, group: number): Promise<{ id: string; vector: Float32Array }> {
  const { fullDim } = manifest.dims;
  for (const shard of manifest.users.shards) {
    const { vectors, groups } = decodeUserShard(await fetchBytes(new URL(shard.file.url, manifestUrl)), fullDim, shard.count);
    const i = groups.indexOf(group);
    if (i >= 0) return { id: String(shard.start + i), vector: vectors.slice(i * fullDim, (i + 1) * fullDim) };
  }
  throw new Error(`no user of group ${group} in the artifact`);
}

/** The verified file bytes of the selected blocks, keyed `g/b`. */
export async function loadSelectedFiles(selection: Selection, manifestUrl: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  await Promise.all(
    selection.blocks.map(async (b) => {
      out.set(`${b.itemGroup}/${b.block}`, await readVerified(fetchSource(manifestUrl), b.file));
    }),
  );
  return out;
}

/** Decoded (f32, dim-major) payloads of the selected blocks, keyed `g/b`. */
export async function loadSelectedBlocks(selection: Selection, manifestUrl: string): Promise<Map<string, Float32Array>> {
  const files = await loadSelectedFiles(selection, manifestUrl);
  return new Map([...files].map(([key, bytes]) => [key, decodeBlock(bytes, selection.dtype)]));
}

/** Per item group: the selected blocks stacked row-wise, with each row's user dim and weight. */
export function groupMatrices(manifest: ManifestFile, selection: Selection, blocks: Map<string, Float32Array>): GroupMatrix[] {
  const { blockDim } = manifest.dims;
  return manifest.itemGroups.map((g, gi) => {
    const chosen = selection.blocks.filter((b) => b.itemGroup === gi);
    const rows = chosen.length * blockDim;
    const matrix = new Float32Array(rows * g.count);
    const dims = new Int32Array(rows);
    const weights = new Float32Array(rows);
    chosen.forEach((b, j) => {
      matrix.set(blocks.get(`${gi}/${b.block}`)!, j * blockDim * g.count);
      for (let r = 0; r < blockDim; r++) {
        dims[j * blockDim + r] = b.block * blockDim + r;
        weights[j * blockDim + r] = b.scoreWeight;
      }
    });
    return { dims, weights, matrix, items: g.count };
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Timing {
  readonly p50ms: number;
  readonly p95ms: number;
  /** The fastest sample: on a loaded machine, the best estimate of the uncontended cost. */
  readonly minms: number;
  readonly samples: number;
}

export function summarise(samples: readonly number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  return { p50ms: round(percentile(s, 50)), p95ms: round(percentile(s, 95)), minms: round(s[0] ?? NaN), samples: s.length };
}

export function round(x: number, digits = 4): number {
  return Number(x.toFixed(digits));
}
