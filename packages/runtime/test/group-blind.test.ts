/**
 * Group-blind fetching (issue 27): a `{ history }` session's requests do not depend on the history. The unit
 * fixture has 2 user groups with their own tables (and packs), so the blind group is 0 and a group-1 history user
 * is scored with group 0's blocks and group 1's weights.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { selectBlocks, withBlockTables, type BlockEntry } from '@peelrec/format';
import { blindGroupOf, blindSelection, isBlind, isOwnSelection } from '../src/group-blind.js';
import type { Recommender, RecommenderEvents, RecommenderOptions } from '../src/index.js';
import { buildFixture, type FixtureOptions } from './fixtures/artifact.js';
import { harness, reference } from './helpers.js';

const open: Recommender[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});
const track = (r: Recommender) => (open.push(r), r);

const FULL = 60 * 16 * 4;
const PART = 2000; // between one block per item group (960) and the full table: a real selection
const items = (...p: number[]) => p.map((i) => `item-${i}`);

/** What a session asked the server for, in order: each path with its byte range. */
const requests = (log: readonly { path: string; range?: [number, number] }[]) => log.map((l) => (l.range ? `${l.path} ${l.range[0]}-${l.range[1]}` : l.path));

/** The user group each history folds into, each asked of a fresh recommender (a history's first fold uses what is resident). */
async function groupsOf(histories: readonly string[][], budget = PART): Promise<number[]> {
  const h = await harness();
  const out: number[] = [];
  for (const history of histories) {
    const rec = await h.open({ budget, storage: 'memory' });
    await rec.recommend({ user: { history }, k: 1 });
    out.push(rec.info.userGroup);
    await rec.dispose();
  }
  return out;
}

/** Single-item histories of group 0 and of group 1. */
async function oneOfEachGroup(): Promise<{ a: string[]; b: string[] }> {
  const singles = Array.from({ length: 60 }, (_, i) => items(i));
  const groups = await groupsOf(singles);
  const a = singles[groups.indexOf(0)];
  const b = singles[groups.indexOf(1)];
  if (!a || !b) throw new Error('the fixture has no item of each group');
  return { a, b };
}

/** A fresh server and recommender (nothing cached), one `{ history }` request per step, and the requests each step made. */
async function session(steps: readonly (string[] | number)[], extra: Partial<RecommenderOptions> = {}, fixture: FixtureOptions = {}) {
  const h = await harness(fixture);
  const rec = track(await h.open({ budget: PART, storage: 'memory', ...extra }));
  const perStep: string[][] = [requests(h.server.log)];
  const groups: number[] = [];
  for (const step of steps) {
    const from = h.server.log.length;
    if (typeof step === 'number') await rec.setBudget(step);
    else await rec.recommend({ user: { history: step }, k: 10 });
    groups.push(rec.info.userGroup);
    perStep.push(requests(h.server.log.slice(from)));
  }
  return { h, rec, perStep, groups, all: requests(h.server.log) };
}

describe('group-blind plan (pure)', () => {
  const entries = (...shas: string[]) => shas.map((sha) => [{ itemGroup: 0, block: 0, files: [{ dtype: 'f32', sha256: sha }] }]);

  it('takes the blocks of the group whose files the most groups share; the lowest index among equals', () => {
    expect(blindGroupOf(entries('a', 'b', 'b', 'c'))).toBe(1);
    expect(blindGroupOf(entries('a', 'b', 'c', 'c', 'b', 'c'))).toBe(2);
    expect(blindGroupOf(entries('a', 'b'))).toBe(0);
    expect(blindGroupOf(entries('b', 'a', 'a', 'b'))).toBe(0);
  });

  it.each(['mean', 'truncated'] as const)("scoring %s: another group's plan is the blind group's blocks and files with that group's weights", async (scoring) => {
    const f = await buildFixture({ scoring: [scoring, scoring] });
    const base = selectBlocks(f.manifest, 0, PART);
    const plan = blindSelection(f.manifest, 1, PART);
    expect(isBlind(plan)).toBe(true);
    expect(isOwnSelection(plan)).toBe(false);
    expect(plan).toMatchObject({ userGroup: 1, scoring, dtype: base.dtype, bytes: base.bytes, fileBytes: base.fileBytes, byItemGroup: base.byItemGroup });
    expect(plan.blocks.map((b) => [b.itemGroup, b.block, b.file])).toEqual(base.blocks.map((b) => [b.itemGroup, b.block, b.file]));
    const own = new Map(f.manifest.blocks.filter((e) => e.userGroup === 1).map((e) => [`${e.itemGroup}/${e.block}`, e.weight]));
    for (const b of plan.blocks) expect(b.weight).toBe(own.get(`${b.itemGroup}/${b.block}`));
    // Score weights by group 1's rule: over the plan's blocks of each item group (mean), or over all of them (truncated).
    for (const [g, blocks] of plan.byItemGroup.entries()) {
      const all = [...own].filter(([k]) => k.startsWith(`${g}/`)).reduce((s, [, w]) => s + w, 0);
      const kept = blocks.reduce((s, b) => s + own.get(`${g}/${b}`)!, 0);
      for (const b of plan.blocks.filter((x) => x.itemGroup === g)) expect(b.scoreWeight).toBeCloseTo(b.weight / (scoring === 'mean' ? kept : all), 12);
    }
  });

  it("is a group's own selection when the group shares the blind group's files", async () => {
    const f = await buildFixture();
    expect(blindSelection(f.manifest, 0, PART)).toEqual(selectBlocks(f.manifest, 0, PART));
    expect(isOwnSelection(blindSelection(f.manifest, 0, PART))).toBe(true);
    const shared = await buildFixture({ sharedTable: true, userGroups: 3 });
    for (const c of [0, 1, 2]) {
      const plan = blindSelection(shared.manifest, c, PART);
      expect(plan).toEqual(selectBlocks(shared.manifest, c, PART));
      expect(isOwnSelection(plan)).toBe(true);
    }
  });

  it('needs every group’s table', async () => {
    const f = await buildFixture();
    const onlyGroup0 = withBlockTables({ ...f.manifest, blocks: [] }, [{ userGroup: 0, blocks: f.manifest.blocks.filter((e: BlockEntry) => e.userGroup === 0) }]);
    expect(() => blindSelection(onlyGroup0, 0, PART)).toThrow(/block table of user group 1 is not loaded/);
  });
});

describe('group-blind fetching (createRecommender)', () => {
  it('two { history } users of different user groups make the same requests, in the same order', async () => {
    const { a, b } = await oneOfEachGroup();
    const first = await session([a]);
    const second = await session([b]);
    expect(second.all).toEqual(first.all);
    expect(first.groups).toEqual([0]);
    expect(second.groups).toEqual([1]);
    // Every group's block table, blocks of the blind group's pack only, and nothing at all once a history is known.
    expect(first.all.filter((p) => p.endsWith('.json') && p.startsWith('blocks/'))).toEqual(['blocks/u0.json', 'blocks/u1.json']);
    expect(first.all.filter((p) => p.endsWith('.bin') && p.startsWith('blocks/')).every((p) => p.startsWith('blocks/u0.'))).toBe(true);
    expect(first.perStep[1]).toEqual([]);
    expect(second.perStep[1]).toEqual([]);
    expect(second.rec.info.groupBlind).toBe(true);
  });

  it("scores a history user of another group with the blind group's values and their own group's weights", async () => {
    const { b } = await oneOfEachGroup();
    const s = await session([]);
    const got = await s.rec.recommend({ user: { history: b }, k: 10 });
    expect(s.rec.info).toMatchObject({ userGroup: 1, groupBlind: true });
    const sel = s.rec.info.selection;
    expect(sel.blocks.every((x) => x.file.url.startsWith('blocks/u0.'))).toBe(true);
    const weights1 = new Map(s.h.fixture.manifest.blocks.filter((e) => e.userGroup === 1).map((e) => [`${e.itemGroup}/${e.block}`, e.weight]));
    for (const x of sel.blocks) expect(x.weight).toBe(weights1.get(`${x.itemGroup}/${x.block}`));
    // The fold-in: the mean of the history item's resident blocks of group 0's table (blocks it lacks stay 0).
    const p = Number(b[0]!.slice('item-'.length));
    const g = s.h.fixture.manifest.itemGroups.findIndex((x) => p >= x.start && p < x.start + x.count);
    const known = new Set(sel.byItemGroup[g]);
    const vector = Array.from({ length: 16 }, (_, d) => (known.has(d >> 2) ? s.h.fixture.tables[0]![p * 16 + d]! : 0));
    expect(got.map((r) => r.position)).toEqual(reference(s.rec, s.h.fixture.files, vector, 10, [p]).map((r) => r.position));
  });

  it('a growing history that crosses into another group makes, from the crossing on, the requests of one that never crossed', async () => {
    const { a } = await oneOfEachGroup();
    // Second items: one keeps the history in a's group, one moves it to the other group.
    const seconds = Array.from({ length: 60 }, (_, i) => items(i)[0]!).filter((i) => i !== a[0]);
    const groups = await groupsOf(seconds.map((i) => [...a, i]));
    const stay = seconds[groups.indexOf(0)];
    const cross = seconds[groups.indexOf(1)];
    if (!stay || !cross) throw new Error('no second item that keeps, and none that changes, the group');
    // Grow the budget after the crossing: what it fetches must not depend on the group either.
    const crossed = await session([a, [...a, cross], FULL, [...a, cross, stay]]);
    const stayed = await session([a, [...a, stay], FULL, [...a, stay, cross]]);
    expect(crossed.perStep.slice(2)).toEqual(stayed.perStep.slice(2));
    expect(crossed.groups.slice(0, 2)).toEqual([0, 1]);
    expect(stayed.groups.slice(0, 2)).toEqual([0, 0]);
    expect(crossed.perStep[2]).toEqual([]); // no burst at the switch
    expect(crossed.perStep[3]!.length).toBeGreaterThan(0); // the budget grew: blocks were fetched, the same ones
    expect(crossed.all).toEqual(stayed.all);
  });

  it("a known user is scored with their own group's blocks; a history user of that group then goes back to the blind plan", async () => {
    const { b } = await oneOfEachGroup();
    const h = await harness();
    const rec = track(await h.open({ budget: PART, storage: 'memory' }));
    const vector = h.fixture.userVectors.subarray(16, 32); // user 1 is in group 1
    const known = await rec.recommend({ user: { id: '1' }, k: 10 });
    expect(rec.info).toMatchObject({ userGroup: 1, groupBlind: false });
    expect(rec.info.selection.blocks.every((x) => x.file.url.startsWith('blocks/u1.'))).toBe(true);
    expect(known.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 10).map((r) => r.position));
    // Same user group, other files: the resident group-1 blocks must not be reused for the blind plan.
    const history = await rec.recommend({ user: { history: b }, k: 10 });
    expect(rec.info).toMatchObject({ userGroup: 1, groupBlind: true });
    expect(rec.info.selection.blocks.every((x) => x.file.url.startsWith('blocks/u0.'))).toBe(true);
    const p = Number(b[0]!.slice('item-'.length));
    const g = h.fixture.manifest.itemGroups.findIndex((x) => p >= x.start && p < x.start + x.count);
    const kept = new Set(rec.info.selection.byItemGroup[g]);
    const folded = Array.from({ length: 16 }, (_, d) => (kept.has(d >> 2) ? h.fixture.tables[0]![p * 16 + d]! : 0));
    expect(history.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, folded, 10, [p]).map((r) => r.position));
  });

  it("a known user whose group shares the blind group's files is served from the plan, without a switch", async () => {
    const h = await harness({ sharedTable: true });
    const rec = track(await h.open({ budget: PART, storage: 'memory' }));
    const selections: RecommenderEvents['selection'][] = [];
    rec.on('selection', (e) => selections.push(e));
    const before = h.server.log.length;
    await rec.recommend({ user: { id: '0' }, k: 10 });
    expect(rec.info).toMatchObject({ userGroup: 0, groupBlind: true });
    expect(selections).toEqual([]);
    await rec.recommend({ user: { id: '1' }, k: 10 }); // group 1: the same files, reweighted as group 1
    expect(rec.info).toMatchObject({ userGroup: 1, groupBlind: true });
    expect(requests(h.server.log.slice(before)).filter((p) => p.startsWith('blocks/'))).toEqual([]);
  });

  it('groupBlind: false loads one group, and a history user of another group fetches it: the server learns the group', async () => {
    const { b } = await oneOfEachGroup();
    const s = await session([b], { groupBlind: false });
    expect(s.perStep[0]!.filter((p) => p.startsWith('blocks/'))).toEqual(['blocks/u0.json', expect.stringMatching(/^blocks\/u0\.f32\.bin /)]);
    expect(s.perStep[1]![0]).toBe('blocks/u1.json');
    expect(s.perStep[1]!.slice(1).every((p) => p.startsWith('blocks/u1.f32.bin '))).toBe(true);
    expect(s.rec.info).toMatchObject({ userGroup: 1, groupBlind: false });
  });

  it('with a group named at creation, the first history request loads the blind plan: the same requests whatever the history', async () => {
    const { a, b } = await oneOfEachGroup();
    const first = await session([a, b], { userGroup: 0 });
    const second = await session([b, a], { userGroup: 0 });
    expect(first.perStep[0]!.filter((p) => p.endsWith('.json') && p.startsWith('blocks/'))).toEqual(['blocks/u0.json']);
    expect(first.perStep[1]).toEqual(['blocks/u1.json']); // group 0's blocks are the plan's: only the other table
    expect(second.perStep).toEqual(first.perStep);
    expect(first.rec.info.groupBlind).toBe(true);
  });
});

describe('group-blind and the cache', () => {
  it('a reload downloads nothing, and a new version loads in the background group-blind: the same requests as a fresh history session', async () => {
    const { b } = await oneOfEachGroup();
    const h = await harness({ seed: 1, modelId: 'v1' });
    const first = track(await h.open({ budget: PART }));
    await first.recommend({ user: { history: b }, k: 10 });
    expect(first.info.userGroup).toBe(1);
    await first.persisted();
    await open.pop()!.dispose();
    // Warm, cache-first: nothing but the manifest request.
    const served = h.server.served;
    const warm = track(await h.open({ budget: PART }));
    await warm.recommend({ user: { history: b }, k: 10 });
    expect(warm.info).toMatchObject({ manifestSource: 'cache', groupBlind: true, userGroup: 1 });
    await warm.persisted();
    expect(h.server.served).toBe(served);
    await open.pop()!.dispose();
    // Publish v2: the warm session serving a group-1 history user loads it in the background, group-blind.
    const v2 = await buildFixture({ seed: 2, modelId: 'v2' });
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    const from = h.server.log.length;
    let updated: () => void = () => {};
    const done = new Promise<void>((r) => (updated = r));
    const rec = track(await h.open({ budget: PART, on: { updated: () => updated() } }));
    await rec.recommend({ user: { history: b }, k: 10 });
    await done;
    const update = requests(h.server.log.slice(from)).filter((p) => p.startsWith('blocks/'));
    const fresh = await harness({ seed: 2, modelId: 'v2' });
    track(await fresh.open({ budget: PART, storage: 'memory' }));
    expect(update).toEqual(requests(fresh.server.log).filter((p) => p.startsWith('blocks/')));
    expect(update).toContain('blocks/u1.json');
    expect(update.some((p) => p.startsWith('blocks/u1.') && p.includes('.bin'))).toBe(false);
  });
});
