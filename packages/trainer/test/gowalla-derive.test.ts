import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowCount, rowOf } from '../src/data/csr.js';
import { deriveDataset } from '../src/data/derive.js';
import { loadLightGCN } from '../src/data/lightgcn.js';
import { BET_SPLIT, splitCounts } from '../src/data/resplit.js';
import { locateGowalla } from './data-locator.js';
import { tempDir } from './temp-dir.js';

// The suite's Gowalla derivations, written to a temporary folder: the data never enters the repository.
const { dir, reason } = locateGowalla();
if (!dir) console.warn(`[gowalla-derive.test] skipped: ${reason}`);

describe.skipIf(!dir)('Gowalla derivations of the quality suite', () => {
  it("resplit 50/25/25 (seed 42) keeps all 1,027,370 interactions, each user's counts by BET's rule", async () => {
    const out = await tempDir('peelrec-gowalla-resplit-');
    const { stamp } = await deriveDataset({ kind: 'resplit', source: dir!, split: BET_SPLIT }, out);
    const s = stamp.stats;
    expect(s).toMatchObject({ users: 29858, items: 40981, sourceInteractions: 1027370 });
    expect(s.train + s.valid + s.test).toBe(1027370);
    const { dataset } = await loadLightGCN(dir!);
    let want = { train: 0, valid: 0, test: 0 };
    for (let u = 0; u < rowCount(dataset.train); u++) {
      const c = splitCounts(rowOf(dataset.train, u).length + rowOf(dataset.test, u).length, BET_SPLIT);
      want = { train: want.train + c.train, valid: want.valid + c.valid, test: want.test + c.test };
    }
    // Pairs moved to train (items no training pair named) come out of validation or test.
    expect(s.train).toBe(want.train + s.movedToTrain);
    expect(s.valid + s.test).toBe(want.valid + want.test - s.movedToTrain);
    expect(s.movedToTrain).toBeLessThan(200);
    const derived = await loadLightGCN(out);
    expect([derived.dataset.nUsers, derived.dataset.nItems]).toEqual([29858, 40981]);
  });

  it('the 30-core: every user and item keeps ≥ 30 interactions, about a thousand users', async () => {
    const out = await tempDir('peelrec-gowalla-core-');
    const { stamp } = await deriveDataset({ kind: 'core', source: dir!, k: 30, split: BET_SPLIT }, out);
    expect(stamp.stats).toMatchObject({ users: 1011, items: 899 });
    expect(stamp.stats.train + stamp.stats.valid + stamp.stats.test).toBe(61429);
    const users = new Map<string, number>();
    const items = new Map<string, number>();
    for (const f of ['train.txt', 'valid.txt', 'test.txt']) {
      for (const line of (await readFile(join(out, f), 'utf8')).trim().split('\n')) {
        const [u, ...its] = line.split(' ');
        users.set(u!, (users.get(u!) ?? 0) + its.length);
        for (const i of its) items.set(i, (items.get(i) ?? 0) + 1);
      }
    }
    expect([users.size, items.size]).toEqual([1011, 899]);
    expect(Math.min(...users.values(), ...items.values())).toBeGreaterThanOrEqual(30);
  });
});
