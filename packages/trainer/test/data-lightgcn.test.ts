import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { loadLightGCN } from '../src/data/lightgcn.js';
import { rowOf } from '../src/data/csr.js';
import { tempDir } from './temp-dir.js';

async function folder(train: string, test: string): Promise<string> {
  const dir = await tempDir('peelrec-lgcn-');
  await writeFile(join(dir, 'train.txt'), train);
  await writeFile(join(dir, 'test.txt'), test);
  return dir;
}

async function loadError(train: string, test: string): Promise<DataError> {
  const dir = await folder(train, test);
  const e = await loadLightGCN(dir).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

describe('loadLightGCN', () => {
  it('reads train/test adjacency lines into sorted CSR rows', async () => {
    const dir = await folder('0 3 1 2\n1 0 4\n2 2\n', '0 4\n1 1\n2 0 3\n');
    const { dataset, report } = await loadLightGCN(dir, 'tiny');
    expect(dataset.name).toBe('tiny');
    expect(dataset.nUsers).toBe(3);
    expect(dataset.nItems).toBe(5);
    expect(Array.from(rowOf(dataset.train, 0))).toEqual([1, 2, 3]);
    expect(Array.from(rowOf(dataset.train, 1))).toEqual([0, 4]);
    expect(Array.from(rowOf(dataset.test, 2))).toEqual([0, 3]);
    expect(report.trainInteractions).toBe(6);
    expect(report.testInteractions).toBe(4);
    expect(report.duplicates).toBe(0);
    expect(report.files.map((f) => f.sha256)).toHaveLength(2);
    expect(report.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('collapses duplicate pairs and counts them, and drops test pairs already in train', async () => {
    const dir = await folder('0 1 1 2\n0 2\n1 0\n2 3\n', '0 1 3\n1 3 3\n');
    const { dataset, report } = await loadLightGCN(dir);
    expect(Array.from(rowOf(dataset.train, 0))).toEqual([1, 2]);
    expect(report.duplicates).toBe(3); // 1 repeated on a line, 2 repeated on a second line for user 0, 3 twice in test
    expect(report.trainTestOverlap).toBe(1);
    expect(Array.from(rowOf(dataset.test, 0))).toEqual([3]);
  });

  it('accepts users without items and blank lines, counting the blanks', async () => {
    const dir = await folder('0 1\n\n1\n2 0\n', '0 0\n');
    const { dataset, report } = await loadLightGCN(dir);
    expect(dataset.nUsers).toBe(3);
    expect(rowOf(dataset.train, 1)).toHaveLength(0);
    expect(report.skippedLines).toBe(1);
  });

  it('maps ids with gaps densely, keeping the original ids: no never-seen id enters the catalog', async () => {
    // items 0, 5, 900 and users 0, 3, 7 (user 7 is named but has no items): 901 items before, 3 now
    const dir = await folder('0 0 5\n3 900 5\n7\n', '0 900\n3 0\n');
    const { dataset, report } = await loadLightGCN(dir);
    expect(dataset.itemIds).toEqual(['0', '5', '900']);
    expect(dataset.nItems).toBe(3);
    expect(dataset.userIds).toEqual(['0', '3', '7']);
    expect(dataset.nUsers).toBe(3);
    expect(report.items).toBe(3);
    const named = (csr: typeof dataset.train, u: number) => Array.from(rowOf(csr, u)).map((i) => dataset.itemIds[i]);
    expect(named(dataset.train, 0)).toEqual(['0', '5']);
    expect(named(dataset.train, 1)).toEqual(['5', '900']);
    expect(rowOf(dataset.train, 2)).toHaveLength(0);
    expect(named(dataset.test, 0)).toEqual(['900']);
    expect(named(dataset.test, 1)).toEqual(['0']);
  });

  it('keeps dense ids as they are (Gowalla and the other LightGCN sets load unchanged)', async () => {
    const dir = await folder('1 2 0\n0 1\n2 3 1\n', '0 3\n2 0\n');
    const { dataset } = await loadLightGCN(dir);
    expect(dataset.userIds).toEqual(['0', '1', '2']);
    expect(dataset.itemIds).toEqual(['0', '1', '2', '3']);
    expect(Array.from(rowOf(dataset.train, 1))).toEqual([0, 2]);
    expect(Array.from(rowOf(dataset.test, 0))).toEqual([3]);
  });

  it('names the test line whose item falls in a gap of the training ids (never trained)', async () => {
    const e = await loadError('0 0 5\n1 5\n', '0 5\n1 3\n');
    expect(e.message).toMatch(/test\.txt:2: item id 3 out of range \(not in train\.txt/);
    const u = await loadError('0 0\n2 0\n', '1 0\n');
    expect(u.message).toMatch(/test\.txt:1: user id 1 out of range \(not in train\.txt/);
  });

  it('names file and line of a bad token', async () => {
    const e = await loadError('0 1 2\n1 x 3\n', '0 1\n');
    expect(e.file).toMatch(/train\.txt$/);
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/train\.txt:2: bad token "x"/);
  });

  it('rejects negative and fractional ids', async () => {
    expect((await loadError('0 -1\n', '0 0\n')).message).toMatch(/:1: bad token "-1"/);
    expect((await loadError('0 1.5\n', '0 0\n')).message).toMatch(/:1: bad token "1.5"/);
  });

  it('names the test line whose item is outside the training catalog', async () => {
    const e = await loadError('0 1 2\n1 0\n', '0 1\n1 7\n');
    expect(e.file).toMatch(/test\.txt$/);
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/item id 7 out of range/);
  });

  it('names the test line whose user is outside the training users', async () => {
    const e = await loadError('0 1\n', '0 1\n5 0\n');
    expect(e.message).toMatch(/test\.txt:2: user id 5 out of range/);
  });

  it('rejects ids too large to be real', async () => {
    expect((await loadError('0 99999999999\n', '0 0\n')).message).toMatch(/:1: id 99999999999 out of range/);
  });

  it('rejects an empty file, naming it', async () => {
    const e = await loadError('', '0 1\n');
    expect(e.message).toMatch(/train\.txt: no interactions/);
    const e2 = await loadError('0 1\n', '\n\n');
    expect(e2.message).toMatch(/test\.txt: no interactions/);
  });

  it('reports a missing file as a DataError', async () => {
    const dir = await tempDir('peelrec-lgcn-');
    await mkdir(join(dir, 'sub'));
    await expect(loadLightGCN(join(dir, 'sub'))).rejects.toThrow(DataError);
  });
});
