import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DERIVE_VERSION, deriveDataset, type DerivationRecipe } from '../src/data/derive.js';
import { DerivationError } from '../src/data/derivation-error.js';
import { loadLightGCN } from '../src/data/lightgcn.js';
import { BET_SPLIT } from '../src/data/resplit.js';
import { tempDir } from './temp-dir.js';

/** `user item item ...` text → "u:i" keys. */
const pairKeys = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [u, ...items] = line.split(' ');
      return items.map((i) => `${u}:${i}`);
    });

/** A LightGCN folder with ids that have gaps: 30 users, each with 8 train and 3 test items out of 25. */
async function source(): Promise<string> {
  const dir = await tempDir('peelrec-derive-src-');
  const train: string[] = [];
  const test: string[] = [];
  for (let u = 0; u < 30; u++) {
    const items = Array.from({ length: 11 }, (_, j) => ((u * 3 + j * 2) % 25) * 10);
    train.push(`${u * 2} ${items.slice(0, 8).join(' ')}`);
    test.push(`${u * 2} ${items.slice(8).join(' ')}`);
  }
  await writeFile(join(dir, 'train.txt'), `${train.join('\n')}\n`);
  await writeFile(join(dir, 'test.txt'), `${test.join('\n')}\n`);
  return dir;
}

const out = () => tempDir('peelrec-derive-out-');
const read = (dir: string, f: string) => readFile(join(dir, f), 'utf8');

describe('deriveDataset', () => {
  it('resplit: writes train/valid/test that together hold exactly the source pairs, and the loader reads them', async () => {
    const src = await source();
    const dir = await out();
    const { stamp, reused } = await deriveDataset({ kind: 'resplit', source: src, split: BET_SPLIT }, dir);
    expect(reused).toBe(false);
    const sourcePairs = [...pairKeys(await read(src, 'train.txt')), ...pairKeys(await read(src, 'test.txt'))];
    const parts = await Promise.all(['train.txt', 'valid.txt', 'test.txt'].map(async (f) => pairKeys(await read(dir, f))));
    expect(parts.flat().length).toBe(sourcePairs.length);
    expect(new Set(parts.flat())).toEqual(new Set(sourcePairs));
    // 11 per user → 5/3/3 (round(8.25) = 8 kept, round(5.33) = 5 of them train); every item has ≥ 13 users, so none moved.
    expect(stamp.stats).toMatchObject({ users: 30, items: 25, sourceInteractions: 330, train: 150, valid: 90, test: 90, movedToTrain: 0 });
    const { dataset, report } = await loadLightGCN(dir);
    expect(dataset.nUsers).toBe(30);
    expect(report.trainInteractions + report.testInteractions).toBe(stamp.stats.train + stamp.stats.test);
    expect(stamp).toMatchObject({ version: DERIVE_VERSION, recipe: { kind: 'resplit', split: { ...BET_SPLIT } } });
    expect(JSON.stringify(stamp.recipe)).not.toContain(src);
  });

  it('reuses a folder whose stamp matches, and regenerates when the source, the recipe or the files change', async () => {
    const src = await source();
    const dir = await out();
    const recipe: DerivationRecipe = { kind: 'resplit', source: src, split: BET_SPLIT };
    const first = await deriveDataset(recipe, dir);
    const firstTest = await read(dir, 'test.txt');
    const again = await deriveDataset(recipe, dir);
    expect(again.reused).toBe(true);
    expect(again.stamp).toEqual(first.stamp);
    const reseeded = await deriveDataset({ ...recipe, split: { ...BET_SPLIT, seed: 7 } }, dir);
    expect(reseeded.reused).toBe(false);
    expect(await read(dir, 'test.txt')).not.toBe(firstTest);
    await rm(join(dir, 'train.txt'));
    expect((await deriveDataset({ ...recipe, split: { ...BET_SPLIT, seed: 7 } }, dir)).reused).toBe(false);
    // A new pair for the last user (item 230 is none of theirs).
    await writeFile(join(src, 'test.txt'), `${(await read(src, 'test.txt')).trim()} 230\n`);
    const changed = await deriveDataset({ ...recipe, split: { ...BET_SPLIT, seed: 7 } }, dir);
    expect(changed.reused).toBe(false);
    expect(changed.stamp.sourceSha256).not.toBe(reseeded.stamp.sourceSha256);
    expect(changed.stamp.stats.sourceInteractions).toBe(331);
  });

  it('core: keeps only users and items with ≥ k interactions before splitting, and names an empty core', async () => {
    const src = await source();
    const dir = await out();
    // A sparse user that the 11-core drops.
    await writeFile(join(src, 'train.txt'), `${await read(src, 'train.txt')}199 0 10 20\n`);
    // Items are used 330 / 25 ≈ 13 times, users 11 times: k = 12 cuts every user, so the core is empty.
    await expect(deriveDataset({ kind: 'core', source: src, k: 12, split: BET_SPLIT }, dir)).rejects.toThrow(DerivationError);
    const { stamp } = await deriveDataset({ kind: 'core', source: src, k: 11, split: BET_SPLIT }, dir);
    expect(stamp.stats).toMatchObject({ users: 30, sourceInteractions: 333 });
    expect(stamp.stats.train + stamp.stats.valid + stamp.stats.test).toBe(330);
    const all = (await Promise.all(['train.txt', 'valid.txt', 'test.txt'].map(async (f) => pairKeys(await read(dir, f))))).flat();
    const itemCounts = new Map<string, number>();
    for (const k of all) itemCounts.set(k.split(':')[1]!, (itemCounts.get(k.split(':')[1]!) ?? 0) + 1);
    for (const [item, n] of itemCounts) expect(n, `item ${item}`).toBeGreaterThanOrEqual(11);
  });

  it('synthetic: writes the generator’s interactions split 80/20 (no valid.txt), readable by the loader', async () => {
    const dir = await out();
    const { stamp } = await deriveDataset({ kind: 'synthetic', options: { users: 120, items: 200, meanInteractions: 12, seed: 3 }, split: { train: 0.8, valid: 0, test: 0.2, seed: 1 } }, dir);
    expect(stamp.stats.valid).toBe(0);
    await expect(read(dir, 'valid.txt')).rejects.toThrow(/ENOENT/);
    const { dataset, report } = await loadLightGCN(dir);
    expect(dataset.nUsers).toBe(120);
    expect(report.trainInteractions).toBe(stamp.stats.train);
    expect(report.testInteractions).toBe(stamp.stats.test);
    expect(stamp.stats.test / (stamp.stats.train + stamp.stats.test)).toBeCloseTo(0.2, 1);
    expect((await deriveDataset({ kind: 'synthetic', options: { users: 120, items: 200, meanInteractions: 12, seed: 3 }, split: { train: 0.8, valid: 0, test: 0.2, seed: 1 } }, dir)).reused).toBe(
      true,
    );
  });

  it('names the source folder when it is not a LightGCN folder', async () => {
    const empty = await out();
    await expect(deriveDataset({ kind: 'resplit', source: empty, split: BET_SPLIT }, await out())).rejects.toThrow(/cannot read train\.txt/);
  });
});
