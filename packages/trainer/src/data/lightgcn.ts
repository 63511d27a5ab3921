import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '@peelrec/format';
import { PairBuilder, subtract } from './csr.js';
import { DataError } from './errors.js';
import type { LoadReport } from './report.js';
import type { Dataset } from './types.js';

/** Ids beyond this are certainly a malformed file, and would make dense arrays of gigabytes. */
export const MAX_ID = 50_000_000;

interface Parsed {
  builder: PairBuilder;
  maxUser: number;
  maxItem: number;
  lines: number;
  blank: number;
  sha256: string;
}

/** Parses `uid iid iid ...` lines (whitespace separated, non-negative integers). */
async function parseAdjacency(path: string, limits?: { nUsers: number; nItems: number; source: string }): Promise<Parsed> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new DataError(path, undefined, `cannot read file (${(cause as Error).message})`);
  }
  const text = new TextDecoder().decode(bytes);
  const builder = new PairBuilder();
  let maxUser = -1;
  let maxItem = -1;
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
    const user = ids[0]!;
    if (limits) {
      if (user >= limits.nUsers) {
        throw new DataError(path, ln + 1, `user id ${user} out of range (${limits.source} has users 0..${limits.nUsers - 1})`);
      }
      const bad = ids.slice(1).find((i) => i >= limits.nItems);
      if (bad !== undefined) {
        throw new DataError(path, ln + 1, `item id ${bad} out of range (${limits.source} has items 0..${limits.nItems - 1})`);
      }
    }
    maxUser = Math.max(maxUser, user);
    for (let k = 1; k < ids.length; k++) {
      builder.add(user, ids[k]!);
      maxItem = Math.max(maxItem, ids[k]!);
    }
  }
  if (builder.size === 0) throw new DataError(path, undefined, 'no interactions (empty file?)');
  return { builder, maxUser, maxItem, lines: lines.length, blank, sha256: await sha256Hex(bytes) };
}

/**
 * Loads the LightGCN/NGCF layout: `dir/train.txt` and `dir/test.txt`, each
 * line `uid iid iid ...` with dense 0-based ids. The catalog is defined by
 * train; a test id beyond it is an error (it could never be learned).
 */
export async function loadLightGCN(dir: string, name = dirName(dir)): Promise<{ dataset: Dataset; report: LoadReport }> {
  const trainPath = join(dir, 'train.txt');
  const testPath = join(dir, 'test.txt');
  const train = await parseAdjacency(trainPath);
  const nUsers = train.maxUser + 1;
  const nItems = train.maxItem + 1;
  const test = await parseAdjacency(testPath, { nUsers, nItems, source: 'train.txt' });

  const trainCsr = train.builder.build(nUsers);
  const testBuilt = test.builder.build(nUsers);
  const testCsr = subtract(testBuilt.csr, trainCsr.csr);
  const dataset: Dataset = {
    name,
    nUsers,
    nItems,
    train: trainCsr.csr,
    test: testCsr.csr,
    userIds: Array.from({ length: nUsers }, (_, i) => String(i)),
    itemIds: Array.from({ length: nItems }, (_, i) => String(i)),
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
