import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowOf } from '../src/data/csr.js';
import { loadLightGCN } from '../src/data/lightgcn.js';
import { locateGowalla } from './data-locator.js';

// The reference dataset lives outside the repository, ../shared/data/gowalla beside the repo root (see
// data-locator.ts). It is never copied into the repo.
const { dir, reason } = locateGowalla();
if (!dir) console.warn(`[gowalla.test] skipped: ${reason}`);

describe.skipIf(!dir)('Gowalla (LightGCN split)', () => {
  it('loads with the published sizes and no malformed lines', async () => {
    const { dataset, report } = await loadLightGCN(dir!);
    expect(dataset.nUsers).toBe(29858);
    expect(dataset.nItems).toBe(40981);
    expect(report.trainInteractions).toBe(810128);
    expect(report.testInteractions).toBe(217242);
    expect(report.duplicates).toBe(0);
    expect(report.trainTestOverlap).toBe(0);
    // The ids are dense, so they map to themselves: the published numbering, and the reference results, stay.
    expect(dataset.userIds.every((id, u) => id === String(u))).toBe(true);
    expect(dataset.itemIds.every((id, i) => id === String(i))).toBe(true);
    const [user, ...items] = (await readFile(join(dir!, 'train.txt'), 'utf8')).split('\n', 1)[0]!.trim().split(/\s+/).map(Number);
    expect(Array.from(rowOf(dataset.train, user!))).toEqual([...new Set(items)].sort((a, b) => a - b));
    // Every user has training and test items in this split.
    for (let u = 0; u < dataset.nUsers; u++) {
      expect(dataset.train.indptr[u + 1]! - dataset.train.indptr[u]!).toBeGreaterThan(0);
    }
  });
});
