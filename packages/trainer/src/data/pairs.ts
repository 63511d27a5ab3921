/**
 * Interactions as (user, item) pairs of ids, for the dataset derivations (resplit.ts, dense-core.ts): they
 * merge, filter and split interactions before any dense numbering, so they keep the source's own ids.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '@peelrec/format';
import { rowCount, rowOf } from './csr.js';
import { loadLightGCN } from './lightgcn.js';
import type { CSR } from './types.js';

/** Pair k is (users[k], items[k]). The lists the derivations build hold each pair once. */
export interface PairList {
  readonly users: Uint32Array;
  readonly items: Uint32Array;
}

/** The pairs of one or more CSRs over the same rows, with the rows and columns mapped through `userIds`/`itemIds`. */
export function pairsOfCsr(parts: readonly CSR[], userIds?: readonly number[], itemIds?: readonly number[]): PairList {
  const total = parts.reduce((n, c) => n + c.indices.length, 0);
  const users = new Uint32Array(total);
  const items = new Uint32Array(total);
  let k = 0;
  for (const csr of parts) {
    for (let u = 0; u < rowCount(csr); u++) {
      for (const i of rowOf(csr, u)) {
        users[k] = userIds ? userIds[u]! : u;
        items[k++] = itemIds ? itemIds[i]! : i;
      }
    }
  }
  return { users, items };
}

/**
 * train.txt and test.txt of a LightGCN folder, merged (the loader has already dropped duplicates and test pairs
 * that repeat a training pair), with the folder's own ids. `sha256` identifies the source as loadData does.
 */
export async function readLightGCNPairs(dir: string): Promise<{ pairs: PairList; sha256: string }> {
  const { dataset, report } = await loadLightGCN(dir);
  const pairs = pairsOfCsr([dataset.train, dataset.test], dataset.userIds.map(Number), dataset.itemIds.map(Number));
  return { pairs, sha256: await lightGCNSourceHash(report.files.map((f) => f.sha256)) };
}

/** The SHA-256 of the files' SHA-256s joined by newlines (train.txt's first): loadData's identity of a LightGCN source. */
export async function lightGCNSourceHash(fileHashes: readonly string[]): Promise<string> {
  return sha256Hex(new TextEncoder().encode(fileHashes.join('\n')));
}

/** Each user's items, in the order the pairs list them. */
export function itemsByUser(pairs: PairList): Map<number, number[]> {
  const byUser = new Map<number, number[]>();
  for (let k = 0; k < pairs.users.length; k++) {
    const u = pairs.users[k]!;
    let list = byUser.get(u);
    if (!list) byUser.set(u, (list = []));
    list.push(pairs.items[k]!);
  }
  return byUser;
}

/** `user item item ...` lines, users and items ascending; a user with no pair here has no line. */
export function lightGCNText(pairs: PairList): string {
  const byUser = itemsByUser(pairs);
  const lines: string[] = [];
  for (const u of [...byUser.keys()].sort((a, b) => a - b))
    lines.push(
      `${u} ${byUser
        .get(u)!
        .sort((a, b) => a - b)
        .join(' ')}`,
    );
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Writes each part as `dir/<name>.txt` in the LightGCN layout. */
export async function writeLightGCN(dir: string, parts: Readonly<Record<string, PairList>>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, pairs] of Object.entries(parts)) await writeFile(join(dir, `${name}.txt`), lightGCNText(pairs));
}
