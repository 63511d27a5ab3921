import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLightGCN } from '../src/data/lightgcn.js';

// The reference dataset lives outside the repository: /work/shared/data/gowalla here, ../shared/data/gowalla
// relative to the repo root in CI. It is never copied into the repo.
const candidates = [process.env.PEELREC_GOWALLA, '/work/shared/data/gowalla', resolve(import.meta.dirname, '../../../../shared/data/gowalla')];
const dir = candidates.find((d): d is string => !!d && existsSync(join(d, 'train.txt')) && existsSync(join(d, 'test.txt')));
if (!dir) console.warn(`[gowalla.test] skipped: Gowalla not found (looked in ${candidates.filter(Boolean).join(', ')})`);

describe.skipIf(!dir)('Gowalla (LightGCN split)', () => {
  it('loads with the published sizes and no malformed lines', async () => {
    const { dataset, report } = await loadLightGCN(dir!);
    expect(dataset.nUsers).toBe(29858);
    expect(dataset.nItems).toBe(40981);
    expect(report.trainInteractions).toBe(810128);
    expect(report.testInteractions).toBe(217242);
    expect(report.duplicates).toBe(0);
    expect(report.trainTestOverlap).toBe(0);
    // Every user has training and test items in this split.
    for (let u = 0; u < dataset.nUsers; u++) {
      expect(dataset.train.indptr[u + 1]! - dataset.train.indptr[u]!).toBeGreaterThan(0);
    }
  });
});
