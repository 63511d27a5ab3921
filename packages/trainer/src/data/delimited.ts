import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { sha256Hex } from '@peelrec/format';
import { keepTrainedItems } from './catalog.js';
import { csrFromPairs } from './csr.js';
import { DataError } from './errors.js';
import type { LoadReport } from './report.js';
import { splitInteractions, type Interaction, type SplitStrategy } from './split.js';
import type { CSR, Dataset, TimedInteractions } from './types.js';

export interface DelimitedOptions {
  /** Field separator: `,` (default), `\t` for MovieLens u.data, `::` for ratings.dat, or any string. */
  delimiter?: string;
  /** Skip the first non-blank line. */
  header?: boolean;
  /** Zero-based columns; the rating and timestamp columns are optional. Default user 0, item 1, rating 2, timestamp 3 when present. */
  columns?: { user?: number; item?: number; rating?: number | null; timestamp?: number | null };
  /** Implicit feedback: keep rows with rating ≥ this (needs a rating column). */
  ratingThreshold?: number;
  /** Split of this single file; ignored when `testFile` is given. Default: seeded random 80/20 per user. */
  split?: SplitStrategy;
  /** A separate test file in the same layout (its users/items must appear in the main file). */
  testFile?: string;
  name?: string;
}

interface Row extends Interaction {
  rating: number;
}

/**
 * Loads `user<sep>item[<sep>rating][<sep>timestamp]` rows. External ids are
 * strings mapped to dense indices in order of first appearance (deterministic).
 * A repeated (user, item) pair is collapsed to its latest occurrence and counted.
 * The catalog is the items that occur in train: see keepTrainedItems.
 */
export async function loadDelimited(file: string, options: DelimitedOptions = {}): Promise<{ dataset: Dataset; report: LoadReport }> {
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const main = await parseFile(file, options, users, items, false);
  let trainRows = main.rows;
  let testRows: Row[] | undefined;
  const files = [main.file];
  let skipped = main.skipped;
  let below = main.below;
  if (options.testFile) {
    const t = await parseFile(options.testFile, options, users, items, true);
    files.push(t.file);
    testRows = t.rows;
    skipped += t.skipped;
    below += t.below;
  }

  const dedupTrain = collapse(trainRows);
  let duplicates = dedupTrain.duplicates;
  trainRows = dedupTrain.rows;
  const nUsers = users.size;
  const nItems = items.size;
  let train: CSR;
  let test: CSR;
  let overlap = 0;
  if (testRows) {
    const dedupTest = collapse(testRows);
    duplicates += dedupTest.duplicates;
    const inTrain = new Set(trainRows.map((r) => r.user * nItems + r.item));
    const kept = dedupTest.rows.filter((r) => !inTrain.has(r.user * nItems + r.item));
    overlap = dedupTest.rows.length - kept.length;
    train = toCsr(nUsers, trainRows);
    test = toCsr(nUsers, kept);
  } else {
    const strategy = options.split ?? { kind: 'random', testFraction: 0.2, seed: 1 };
    if (strategy.kind === 'leave-last-out' && timestampColumn(options) === null) {
      throw new DataError(file, undefined, 'leave-last-out split needs a timestamp column');
    }
    ({ train, test } = splitInteractions(nUsers, trainRows, strategy));
  }
  if (train.indices.length === 0) throw new DataError(file, undefined, 'no interactions left to train on');

  // A split made here can leave an item only in test: it leaves the catalog, and its test pairs count as misses.
  const { dataset, untrainedItems, testUnranked } = keepTrainedItems({
    name: options.name ?? basename(file).replace(/\.[^.]+$/, ''),
    nUsers,
    nItems,
    train,
    test,
    userIds: [...users.keys()],
    itemIds: [...items.keys()],
  });
  const report: LoadReport = {
    files,
    users: nUsers,
    items: dataset.nItems,
    trainInteractions: train.indices.length,
    testInteractions: test.indices.length,
    ...(untrainedItems ? { untrainedItems, testUnranked } : {}),
    duplicates,
    trainTestOverlap: overlap,
    belowThreshold: options.ratingThreshold === undefined ? undefined : below,
    skippedLines: skipped,
  };
  return { dataset, report };
}

/**
 * The rows of one file with their timestamps and no split (the streaming protocol cuts by time itself): the same
 * parsing, rating threshold and collapse of repeated pairs (latest kept) as `loadDelimited`.
 */
export async function readTimedInteractions(file: string, options: DelimitedOptions = {}): Promise<TimedInteractions> {
  if (timestampColumn(options) === null) throw new DataError(file, undefined, 'a stream needs a timestamp column');
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const { rows } = await parseFile(file, options, users, items, false);
  return {
    name: options.name ?? basename(file).replace(/\.[^.]+$/, ''),
    nUsers: users.size,
    nItems: items.size,
    rows: collapse(rows).rows.map(({ user, item, time }) => ({ user, item, time })),
    userIds: [...users.keys()],
    itemIds: [...items.keys()],
  };
}

function ratingColumn(o: DelimitedOptions): number | null {
  return o.columns?.rating === undefined ? 2 : o.columns.rating;
}
function timestampColumn(o: DelimitedOptions): number | null {
  return o.columns?.timestamp === undefined ? 3 : o.columns.timestamp;
}

async function parseFile(
  path: string,
  o: DelimitedOptions,
  users: Map<string, number>,
  items: Map<string, number>,
  isTest: boolean,
): Promise<{ rows: Row[]; file: LoadReport['files'][number]; skipped: number; below: number }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new DataError(path, undefined, `cannot read file (${(cause as Error).message})`);
  }
  const delimiter = o.delimiter ?? ',';
  if (delimiter === '') throw new DataError(path, undefined, 'empty delimiter');
  const uCol = o.columns?.user ?? 0;
  const iCol = o.columns?.item ?? 1;
  const rCol = ratingColumn(o);
  const tCol = timestampColumn(o);
  const threshold = o.ratingThreshold;
  if (threshold !== undefined && rCol === null) throw new DataError(path, undefined, 'a rating threshold needs a rating column');

  const lines = new TextDecoder().decode(bytes).split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const rows: Row[] = [];
  let skipped = 0;
  let below = 0;
  let headerPending = o.header ?? false;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.replace(/\r$/, '');
    if (!line.trim()) {
      skipped++;
      continue;
    }
    if (headerPending) {
      headerPending = false;
      skipped++;
      continue;
    }
    const f = line.split(delimiter).map((s) => s.trim());
    const need = Math.max(uCol, iCol);
    if (f.length <= need) {
      throw new DataError(path, ln + 1, `expected at least ${need + 1} fields separated by ${JSON.stringify(delimiter)}, found ${f.length}`);
    }
    const uk = f[uCol]!;
    const ik = f[iCol]!;
    if (!uk) throw new DataError(path, ln + 1, 'empty user id');
    if (!ik) throw new DataError(path, ln + 1, 'empty item id');
    const rating = rCol !== null && f.length > rCol ? numberField(path, ln, f[rCol]!, 'rating') : 1;
    if (threshold !== undefined && rCol !== null && f.length <= rCol) {
      throw new DataError(path, ln + 1, `no rating column (${rCol + 1}) for the rating threshold`);
    }
    const time = tCol !== null && f.length > tCol ? numberField(path, ln, f[tCol]!, 'timestamp') : ln;
    if (threshold !== undefined && rating < threshold) {
      below++;
      continue;
    }
    let user = users.get(uk);
    let item = items.get(ik);
    if (isTest) {
      if (user === undefined) throw new DataError(path, ln + 1, `user ${JSON.stringify(uk)} out of range (not in the training file)`);
      if (item === undefined) throw new DataError(path, ln + 1, `item ${JSON.stringify(ik)} out of range (not in the training file)`);
    } else {
      if (user === undefined) users.set(uk, (user = users.size));
      if (item === undefined) items.set(ik, (item = items.size));
    }
    rows.push({ user, item, time, rating });
  }
  if (rows.length === 0) {
    throw new DataError(path, undefined, below ? `all ${below} rows are below the rating threshold ${threshold}` : 'no interactions (empty file?)');
  }
  return { rows, file: { path, sha256: await sha256Hex(bytes), lines: lines.length }, skipped, below };
}

function numberField(path: string, ln: number, s: string, what: string): number {
  const v = Number(s);
  if (s === '' || !Number.isFinite(v)) throw new DataError(path, ln + 1, `bad ${what} ${JSON.stringify(s)} (expected a number)`);
  return v;
}

/** Keeps the latest occurrence of each (user, item); counts the rest. */
function collapse(rows: Row[]): { rows: Row[]; duplicates: number } {
  const latest = new Map<string, Row>();
  for (const r of rows) {
    const key = `${r.user}:${r.item}`;
    const prev = latest.get(key);
    if (!prev || r.time >= prev.time) latest.set(key, r);
  }
  return { rows: [...latest.values()], duplicates: rows.length - latest.size };
}

function toCsr(nUsers: number, rows: readonly Row[]): CSR {
  return csrFromPairs(
    nUsers,
    Uint32Array.from(rows, (r) => r.user),
    Uint32Array.from(rows, (r) => r.item),
  ).csr;
}
