import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '@peelrec/format';
import { csrFromPairs, subtract } from './csr.js';
import { DataError } from './errors.js';
import type { LoadReport } from './report.js';
import type { Dataset } from './types.js';

/** Ids beyond this are certainly a malformed file. */
export const MAX_ID = 50_000_000;

interface Parsed {
  /** Pairs as read: raw ids from the file, or dense indices when `known` was given. */
  rows: number[];
  cols: number[];
  /** Every user id that heads a line, items or not (raw ids). */
  users: Set<number>;
  lines: number;
  blank: number;
  sha256: string;
}

/** The dense index of each id that train.txt names. */
interface Known {
  users: Map<number, number>;
  items: Map<number, number>;
  source: string;
}

/**
 * Parses `uid iid iid ...` lines (whitespace separated, non-negative integers). With `known`, each id must
 * be one of those, and pairs come back as dense indices.
 */
async function parseAdjacency(path: string, known?: Known): Promise<Parsed> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new DataError(path, undefined, `cannot read file (${(cause as Error).message})`);
  }
  const text = new TextDecoder().decode(bytes);
  const rows: number[] = [];
  const cols: number[] = [];
  const users = new Set<number>();
  let blank = 0;
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (!line) {
      blank++;
      continue;
    }
    const tokens = line.split(/\s+/);
    const ids = tokens.map((t) => {
      if (!/^\d+$/.test(t)) throw new DataError(path, ln + 1, `bad token ${JSON.stringify(t)} (expected a non-negative integer id)`);
      const v = Number(t);
      if (v > MAX_ID) throw new DataError(path, ln + 1, `id ${t} out of range (ids must be ≤ ${MAX_ID})`);
      return v;
    });
    let user = ids[0]!;
    users.add(user);
    if (known) {
      const u = known.users.get(user);
      if (u === undefined) throw new DataError(path, ln + 1, `user id ${user} out of range (not in ${known.source}: it was never trained)`);
      user = u;
    }
    for (let k = 1; k < ids.length; k++) {
      let item = ids[k]!;
      if (known) {
        const i = known.items.get(item);
        if (i === undefined) throw new DataError(path, ln + 1, `item id ${item} out of range (not in ${known.source}: it was never trained, so it cannot be ranked)`);
        item = i;
      }
      rows.push(user);
      cols.push(item);
    }
  }
  if (rows.length === 0) throw new DataError(path, undefined, 'no interactions (empty file?)');
  return { rows, cols, users, lines: lines.length, blank, sha256: await sha256Hex(bytes) };
}

/** Ascending ids → dense indices. Ids 0..n-1 with no gap map to themselves. */
function denseIndex(ids: Iterable<number>): { ids: number[]; index: Map<number, number> } {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  return { ids: sorted, index: new Map(sorted.map((id, k) => [id, k])) };
}

/**
 * Loads the LightGCN/NGCF layout: `dir/train.txt` and `dir/test.txt`, each line `uid iid iid ...`.
 * The catalog is the item ids that train.txt names, and the users are the ids that head its lines. Both are
 * numbered densely in ascending order. The original ids are kept as `itemIds`/`userIds`, and the artifact
 * exports them. Dense ids (Gowalla, Yelp2018, Amazon-book) therefore map to themselves. An id with a gap
 * below it never becomes a phantom item or user. A test id that is not in train.txt is an error: it could
 * never be learned.
 */
export async function loadLightGCN(dir: string, name = dirName(dir)): Promise<{ dataset: Dataset; report: LoadReport }> {
  const trainPath = join(dir, 'train.txt');
  const testPath = join(dir, 'test.txt');
  const train = await parseAdjacency(trainPath);
  const users = denseIndex(train.users);
  const items = denseIndex(train.cols);
  const nUsers = users.ids.length;
  const nItems = items.ids.length;
  const test = await parseAdjacency(testPath, { users: users.index, items: items.index, source: 'train.txt' });

  const trainCsr = csrFromPairs(
    nUsers,
    Uint32Array.from(train.rows, (u) => users.index.get(u)!),
    Uint32Array.from(train.cols, (i) => items.index.get(i)!),
  );
  const testBuilt = csrFromPairs(nUsers, Uint32Array.from(test.rows), Uint32Array.from(test.cols));
  const testCsr = subtract(testBuilt.csr, trainCsr.csr);
  const dataset: Dataset = {
    name,
    nUsers,
    nItems,
    train: trainCsr.csr,
    test: testCsr.csr,
    userIds: users.ids.map(String),
    itemIds: items.ids.map(String),
  };
  const report: LoadReport = {
    files: [
      { path: trainPath, sha256: train.sha256, lines: train.lines },
      { path: testPath, sha256: test.sha256, lines: test.lines },
    ],
    users: nUsers,
    items: nItems,
    trainInteractions: trainCsr.csr.indices.length,
    testInteractions: testCsr.csr.indices.length,
    duplicates: trainCsr.duplicates + testBuilt.duplicates,
    trainTestOverlap: testCsr.removed,
    skippedLines: train.blank + test.blank,
  };
  return { dataset, report };
}

function dirName(dir: string): string {
  const parts = dir.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || 'dataset';
}
