/**
 * `stream --out <dir>`: every segment's served SCALL table as an artifact version, `<dir>/segment-<t>`, so that a
 * runtime can follow the stream as a sequence of versions of one model (issue 24). Each is a format v3 `mixed`
 * artifact with one variant, the segment's item sizes in f16, items in size order (largest first, then by
 * training frequency, so that no permutation is stored), and the segment's user table as SCALL masked it. Its
 * metrics are the segment's test figures.
 *
 * What a runtime that already holds the previous version must fetch is measured here too: the stored files are
 * content-addressed (runtime/version-lifecycle.ts), so a file whose SHA-256 the previous version also pinned is not
 * downloaded again. `newBytes` counts the other ones, against `bytes`, the whole artifact.
 */
import { join } from 'node:path';
import { type KindManifest, type Manifest, variantRefs } from '@peelrec/format';
import type { Dataset } from '../data/types.js';
import { exportKindArtifact } from '../export/write-kinds.js';
import type { Tables } from './model.js';

/** Users a shard holds (the pipeline's default). */
const USERS_PER_SHARD = 64;

export interface SegmentArtifact {
  dir: string;
  /** Bytes of every file the manifest pins (the manifest itself not counted), and of those the previous segment's did not. */
  bytes: number;
  newBytes: number;
  files: number;
  newFiles: number;
  /** Of the new bytes, the item table's (the variant's permutation and columns). */
  newTableBytes: number;
}

export interface SegmentExport {
  out: string;
  segment: number;
  dataset: string;
  /** Ids of the segment's users and items, by their index in `served`. */
  userIds: readonly string[];
  itemIds: readonly string[];
  served: Tables;
  itemSizes: Uint16Array;
  /** Training interactions of each item this segment (orders equal sizes). */
  itemFreq: Float64Array;
  metrics: { recall20: number; ndcg20: number };
  provenance: Omit<Manifest['provenance'], 'createdAt' | 'dataset'>;
  /** SHA-256 → byte length of the files the previous segment's artifact pinned. */
  previous?: ReadonlyMap<string, number>;
}

/** The folder of segment `t`'s artifact under `out`. */
export const segmentDir = (out: string, t: number) => join(out, `segment-${t}`);

/** Every file a mixed manifest pins, SHA-256 → byte length, and the item table's among them. */
export function pinnedFiles(m: KindManifest): { all: Map<string, number>; table: Set<string> } {
  const all = new Map<string, number>();
  const table = new Set<string>();
  const add = (r: { sha256: string; byteLength: number } | undefined) => r && all.set(r.sha256, r.byteLength);
  add(m.items.ids);
  add(m.items.metadata);
  add(m.users.ids);
  for (const s of m.users.shards) add(s.file);
  for (const v of m.variants)
    for (const r of variantRefs(v)) {
      add(r);
      table.add(r.sha256);
    }
  return { all, table };
}

/** Writes segment `x.segment`'s artifact; returns what it pins and what a holder of the previous one must fetch. */
export async function exportSegment(x: SegmentExport): Promise<{ artifact: SegmentArtifact; files: Map<string, number> }> {
  const nItems = x.itemSizes.length;
  const dim = x.served.dim;
  const order = Uint32Array.from({ length: nItems }, (_, i) => i).sort((a, b) => x.itemSizes[b]! - x.itemSizes[a]! || x.itemFreq[b]! - x.itemFreq[a]! || a - b);
  const nUsers = x.userIds.length;
  const dataset: Pick<Dataset, 'nUsers' | 'nItems' | 'userIds' | 'itemIds'> = { nUsers, nItems, userIds: x.userIds, itemIds: x.itemIds };
  const values = x.itemSizes.reduce((s, d) => s + d, 0);
  const fraction = values / (nItems * dim);
  const dir = segmentDir(x.out, x.segment);
  const manifest = await exportKindArtifact(dir, {
    kind: 'mixed',
    modelId: `${x.dataset}-scall-${dim}-segment-${x.segment}`,
    dataset,
    order,
    users: x.served.users,
    dim,
    dtype: 'f16',
    tables: [{ fraction, items: x.served.items, sizes: x.itemSizes }],
    usersPerShard: USERS_PER_SHARD,
    metrics: {
      dataset: `${x.dataset} segment ${x.segment}`,
      split: 'the segment’s last 20 % of interactions, users and items seen in training',
      budgets: [{ fraction, bytes: values * 2, dtype: 'f16', recall20: x.metrics.recall20, ndcg20: x.metrics.ndcg20 }],
    },
    provenance: { ...x.provenance, dataset: x.dataset, createdAt: new Date().toISOString() },
  });
  const { all, table } = pinnedFiles(manifest);
  let bytes = 0;
  let newBytes = 0;
  let newFiles = 0;
  let newTableBytes = 0;
  for (const [sha, n] of all) {
    bytes += n;
    if (x.previous?.has(sha)) continue;
    newBytes += n;
    newFiles++;
    if (table.has(sha)) newTableBytes += n;
  }
  return { artifact: { dir, bytes, newBytes, files: all.size, newFiles, newTableBytes }, files: all };
}
