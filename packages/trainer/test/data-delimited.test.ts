import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { loadDelimited, type DelimitedOptions } from '../src/data/delimited.js';
import { rowOf } from '../src/data/csr.js';
import { tempDir } from './temp-dir.js';

async function file(name: string, text: string): Promise<string> {
  const dir = await tempDir('peelrec-delim-');
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

async function loadError(text: string, options: DelimitedOptions = {}): Promise<DataError> {
  const p = await file('x.csv', text);
  const e = await loadDelimited(p, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

const pairs = (d: { nUsers: number; train: { indptr: Uint32Array; indices: Uint32Array } }, ids: { userIds: readonly string[]; itemIds: readonly string[] }) => {
  const out: string[] = [];
  for (let u = 0; u < d.nUsers; u++) for (const i of rowOf(d.train, u)) out.push(`${ids.userIds[u]}-${ids.itemIds[i]}`);
  return out.sort();
};

describe('loadDelimited', () => {
  it('loads MovieLens ratings.dat (:: separated) with a rating threshold and leave-last-out split', async () => {
    // user::item::rating::timestamp
    const p = await file(
      'ratings.dat',
      `${['1::1193::5::978300760', '1::661::3::978302109', '1::914::4::978301968', '2::1193::4::978300000', '2::3408::2::978300001', '2::661::5::978300002'].join('\n')}\n`,
    );
    const { dataset, report } = await loadDelimited(p, { delimiter: '::', ratingThreshold: 4, split: { kind: 'leave-last-out' } });
    expect(dataset.name).toBe('ratings');
    expect(report.belowThreshold).toBe(2); // the 3 and the 2
    expect(dataset.userIds).toEqual(['1', '2']);
    // user 1 keeps 1193 (t=978300760) and 914 (t=978301968): the later, 914, is the test item.
    const u1 = dataset.userIds.indexOf('1');
    expect(Array.from(rowOf(dataset.train, u1)).map((i) => dataset.itemIds[i])).toEqual(['1193']);
    const u2 = dataset.userIds.indexOf('2');
    expect(Array.from(rowOf(dataset.train, u2)).map((i) => dataset.itemIds[i])).toEqual(['1193']);
    // 914 and 661 (user 2's latest) occur in no training row: they are not in the catalog, and their
    // test pairs count as misses.
    expect(dataset.itemIds).toEqual(['1193']);
    expect(dataset.test.indices).toHaveLength(0);
    expect(Array.from(dataset.testUnranked!)).toEqual([1, 1]);
    expect(report).toMatchObject({ testInteractions: 2, testUnranked: 2, untrainedItems: 2 });
  });

  it('loads MovieLens u.data (tab separated)', async () => {
    // (user 200 rated only 242, so both items occur in train whichever of 196's items is held out)
    const p = await file('u.data', '196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881250950\n200\t242\t4\t881250960\n');
    const { dataset, report } = await loadDelimited(p, { delimiter: '\t', split: { kind: 'random', testFraction: 0.5, seed: 3 } });
    expect(dataset.nUsers).toBe(3);
    expect(dataset.nItems).toBe(2);
    expect(report.trainInteractions + report.testInteractions).toBe(4);
    // user 196 has 2 interactions: one goes to test; user 186 has 1: it stays in train.
    expect(rowOf(dataset.test, dataset.userIds.indexOf('196'))).toHaveLength(1);
    expect(rowOf(dataset.test, dataset.userIds.indexOf('186'))).toHaveLength(0);
  });

  it('splits per user with a seed: the same seed gives the same split, another seed may differ', async () => {
    const lines: string[] = [];
    for (let u = 0; u < 20; u++) for (let i = 0; i < 10; i++) lines.push(`u${u},i${(u * 3 + i) % 25}`);
    const p = await file('log.csv', lines.join('\n'));
    const a = await loadDelimited(p, { split: { kind: 'random', testFraction: 0.2, seed: 9 } });
    const b = await loadDelimited(p, { split: { kind: 'random', testFraction: 0.2, seed: 9 } });
    const c = await loadDelimited(p, { split: { kind: 'random', testFraction: 0.2, seed: 10 } });
    expect(pairs(a.dataset, a.dataset)).toEqual(pairs(b.dataset, b.dataset));
    expect(pairs(a.dataset, a.dataset)).not.toEqual(pairs(c.dataset, c.dataset));
    for (let u = 0; u < 20; u++) expect(rowOf(a.dataset.test, u)).toHaveLength(2);
    expect(a.report.testInteractions).toBe(40);
  });

  it('skips a header line and collapses duplicates, reporting them', async () => {
    const p = await file('h.csv', 'user,item,rating\na,x,1\na,x,1\nb,y,1\na,y,1\nb,y,1\n');
    const { dataset, report } = await loadDelimited(p, { header: true, split: { kind: 'random', testFraction: 0, seed: 1 } });
    expect(report.duplicates).toBe(2);
    expect(report.skippedLines).toBe(1);
    expect(pairs(dataset, dataset)).toEqual(['a-x', 'a-y', 'b-y']);
  });

  it('reads a separate test file and rejects unknown ids in it', async () => {
    const train = await file('train.csv', 'a,x\na,y\nb,x\n');
    const test = await file('test.csv', 'a,x\nb,y\n');
    const { dataset, report } = await loadDelimited(train, { testFile: test });
    expect(report.trainTestOverlap).toBe(1);
    expect(Array.from(rowOf(dataset.test, dataset.userIds.indexOf('b'))).map((i) => dataset.itemIds[i])).toEqual(['y']);
    const bad = await file('bad.csv', 'a,x\nz,y\n');
    await expect(loadDelimited(train, { testFile: bad })).rejects.toThrow(/bad\.csv:2: user "z" out of range/);
  });

  it('leaves items whose every interaction fell into the test split out of the catalog, counting those pairs as misses', async () => {
    // leave-last-out: a's latest is y, b's latest is z; neither y nor z is ever trained
    const p = await file('l.csv', 'a,x,1,1\na,y,1,2\nb,x,1,1\nb,w,1,2\nb,z,1,3\n');
    const { dataset, report } = await loadDelimited(p, { split: { kind: 'leave-last-out' } });
    expect(dataset.itemIds).toEqual(['x', 'w']);
    expect(dataset.nItems).toBe(2);
    expect(dataset.test.indices).toHaveLength(0);
    expect(Array.from(dataset.testUnranked!)).toEqual([1, 1]);
    expect(report.testUnranked).toBe(2);
    expect(report.testInteractions).toBe(2);
    expect(Array.from(rowOf(dataset.train, dataset.userIds.indexOf('b'))).map((i) => dataset.itemIds[i])).toEqual(['x', 'w']);
  });

  it('names file and line of each malformed row', async () => {
    expect((await loadError('a,x\nb\n')).message).toMatch(/x\.csv:2: expected at least 2 fields/);
    expect((await loadError('a,x,5\n,y,3\n')).message).toMatch(/x\.csv:2: empty user id/);
    expect((await loadError('a,x,5\nb,,3\n')).message).toMatch(/x\.csv:2: empty item id/);
    expect((await loadError('a,x,5\nb,y,high\n')).message).toMatch(/x\.csv:2: bad rating "high"/);
    expect((await loadError('a,x,5,100\nb,y,3,yesterday\n')).message).toMatch(/x\.csv:2: bad timestamp "yesterday"/);
    const e = await loadError('a,x,5\n\nb,y,zz\n');
    expect(e.line).toBe(3);
  });

  it('rejects empty input and input entirely below the threshold', async () => {
    expect((await loadError('')).message).toMatch(/x\.csv: no interactions/);
    expect((await loadError('a,x,1\nb,y,2\n', { ratingThreshold: 4 })).message).toMatch(/all 2 rows are below the rating threshold 4/);
  });

  it('needs timestamps for leave-last-out and a rating column for a threshold', async () => {
    expect((await loadError('a,x\na,y\n', { columns: { timestamp: null }, split: { kind: 'leave-last-out' } })).message).toMatch(/needs a timestamp column/);
    expect((await loadError('a,x\n', { columns: { rating: null }, ratingThreshold: 3 })).message).toMatch(/needs a rating column/);
  });
});
