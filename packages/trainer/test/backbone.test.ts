import { describe, expect, it } from 'vitest';
import type { CSR } from '../src/data/types.js';
import { Random } from '../src/data/random.js';
import { blockCrossCorrelation, smoothOneHop, trainBackbone, type BackboneOptions } from '../src/backbone/index.js';
import { evaluateRanking, holdoutSplit } from '../src/eval/index.js';
import { generateSynthetic } from '../src/synthetic/generate.js';

// Two taste clusters: users in cluster c interact with items of cluster c only.
function clustered(nUsers: number, nItems: number, perUser: number, seed: number): CSR {
  const rng = new Random(seed);
  const indptr = new Uint32Array(nUsers + 1);
  const indices: number[] = [];
  const half = nItems / 2;
  for (let u = 0; u < nUsers; u++) {
    const base = (u % 2) * half;
    const row = new Set<number>();
    while (row.size < perUser) row.add(base + rng.int(half));
    indices.push(...[...row].sort((a, b) => a - b));
    indptr[u + 1] = indices.length;
  }
  return { indptr, indices: Uint32Array.from(indices) };
}

const nUsers = 80;
const nItems = 48;
const data = clustered(nUsers, nItems, 10, 11);
const { fit, valid } = holdoutSplit(data, 0.2, 3);
const base: BackboneOptions = { dim: 16, blockDim: 8, seed: 5, threads: 2, softmaxEpochs: 25, batch: 64, negatives: 16, lr: 0.01, smoothing: 0 };

describe('trainBackbone', () => {
  it('lowers the loss and ranks held-out items of the right cluster far above chance', async () => {
    const losses: number[] = [];
    const e = await trainBackbone(fit, nUsers, nItems, { ...base, onEpoch: (_ep, st) => void losses.push(st.loss) });
    expect(losses).toHaveLength(25);
    expect(losses[24]).toBeLessThan(losses[0]! * 0.8);
    const m = await evaluateRanking({ users: e.users, items: e.items, dim: 16, train: fit, test: valid, k: 5 });
    // chance: 5 slots over ~40 unseen items => recall ~0.125; knowing only the cluster (16 unseen items,
    // 2 held out) gives 5/16 ~ 0.31
    expect(m.recall20).toBeGreaterThan(0.22);
    // rows come back unit-norm when there is no smoothing
    for (let u = 0; u < nUsers; u++) {
      const n = Math.hypot(...e.users.subarray(u * 16, u * 16 + 16));
      expect(n).toBeCloseTo(1, 4);
    }
  });

  it('is deterministic for the same seed and thread count', async () => {
    const a = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 3, smoothing: 0.15 });
    const b = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 3, smoothing: 0.15 });
    const c = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 3, smoothing: 0.15, seed: 6 });
    expect(Buffer.from(a.users.buffer).equals(Buffer.from(b.users.buffer))).toBe(true);
    expect(Buffer.from(a.items.buffer).equals(Buffer.from(b.items.buffer))).toBe(true);
    expect(Buffer.from(a.items.buffer).equals(Buffer.from(c.items.buffer))).toBe(false);
  });

  it('the diversity term lowers the cross-block correlation', async () => {
    const off = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 15 });
    const on = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 15, diversity: 5 });
    const corr = (e: typeof on) => blockCrossCorrelation(e.items, 16, 8) + blockCrossCorrelation(e.users, 16, 8);
    expect(corr(on)).toBeLessThan(corr(off) * 0.7);
  });

  it('nested training makes the first block rank well on its own, with fixed prefix norms', async () => {
    const syn = generateSynthetic({ users: 400, items: 300, seed: 3, meanInteractions: 24 });
    const split = holdoutSplit(syn.train, 0.2, 5);
    const opts: BackboneOptions = { dim: 32, blockDim: 8, seed: 2, threads: 2, softmaxEpochs: 20, batch: 256, negatives: 64, lr: 0.01, smoothing: 0 };
    const plain = await trainBackbone(split.fit, syn.nUsers, syn.nItems, opts);
    const nested = await trainBackbone(split.fit, syn.nUsers, syn.nItems, { ...opts, nested: [8, 16] });
    const firstBlock = (x: Float32Array) => Float32Array.from({ length: (x.length / 32) * 8 }, (_, k) => x[Math.floor(k / 8) * 32 + (k % 8)]!);
    const recallFirst = async (e: typeof plain) => (await evaluateRanking({ users: firstBlock(e.users), items: firstBlock(e.items), dim: 8, train: split.fit, test: split.valid })).recall20;
    const recallFull = async (e: typeof plain) => (await evaluateRanking({ users: e.users, items: e.items, dim: 32, train: split.fit, test: split.valid })).recall20;
    expect(await recallFirst(nested)).toBeGreaterThan((await recallFirst(plain)) * 1.1);
    // the full table keeps most of its quality
    expect(await recallFull(nested)).toBeGreaterThan((await recallFull(plain)) * 0.85);
    // segments [0,8), [8,16), [16,32) have norms √(8/32), √(8/32), √(16/32)
    for (let i = 0; i < 5; i++) {
      const seg = (a: number, b: number) => Math.hypot(...nested.items.subarray(i * 32 + a, i * 32 + b));
      expect(seg(0, 8)).toBeCloseTo(0.5, 5);
      expect(seg(8, 16)).toBeCloseTo(0.5, 5);
      expect(seg(16, 32)).toBeCloseTo(Math.SQRT1_2, 5);
    }
    await expect(trainBackbone(split.fit, syn.nUsers, syn.nItems, { ...opts, nested: [16, 8] })).rejects.toThrow(/ascending/);
    await expect(trainBackbone(split.fit, syn.nUsers, syn.nItems, { ...opts, nested: [32] })).rejects.toThrow(/below dim/);
  });

  it('fullTemperature sets the whole-row level only', async () => {
    const opts: BackboneOptions = { ...base, dim: 32, softmaxEpochs: 2, nested: [8, 16] };
    const same = (a: { items: Float32Array }, b: { items: Float32Array }) => Buffer.from(a.items.buffer).equals(Buffer.from(b.items.buffer));
    const nested = await trainBackbone(fit, nUsers, nItems, opts);
    expect(same(nested, await trainBackbone(fit, nUsers, nItems, { ...opts, fullTemperature: 0.1 }))).toBe(true);
    expect(same(nested, await trainBackbone(fit, nUsers, nItems, { ...opts, fullTemperature: 0.07 }))).toBe(false);
    // without nesting the whole row is the only level: fullTemperature is its temperature
    const plain = { ...base, softmaxEpochs: 2 };
    expect(same(await trainBackbone(fit, nUsers, nItems, { ...plain, temperature: 0.07 }), await trainBackbone(fit, nUsers, nItems, { ...plain, fullTemperature: 0.07 }))).toBe(true);
  });

  it('rejects bad shapes with clear errors', async () => {
    await expect(trainBackbone(fit, nUsers, nItems, { ...base, dim: 12 })).rejects.toThrow(/multiple of 8/);
    await expect(trainBackbone(fit, nUsers, nItems, { ...base, fullTemperature: 0 })).rejects.toThrow(/fullTemperature must be a positive number, got 0/);
    await expect(trainBackbone(fit, nUsers, nItems, { ...base, temperature: Number.NaN })).rejects.toThrow(/temperature must be a positive number/);
    await expect(trainBackbone(fit, nUsers, nItems, { ...base, blockDim: 5 })).rejects.toThrow(/blockDim 5/);
    await expect(trainBackbone(fit, nUsers, 10, base)).rejects.toThrow(/there are 10 items/);
  });
});

describe('trainBackbone: early stopping and weight decay', () => {
  it('stops after the epoch whose onEpoch returns true, with that epoch’s state', async () => {
    const epochs: number[] = [];
    let atThree: Float32Array | undefined;
    const e = await trainBackbone(fit, nUsers, nItems, {
      ...base,
      softmaxEpochs: 10,
      onEpoch: (ep, _st, snapshot) => {
        epochs.push(ep);
        if (ep === 3) atThree = snapshot().items;
        return ep === 3;
      },
    });
    expect(epochs).toEqual([1, 2, 3]);
    expect(e.items).toEqual(atThree);
    const three = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 3 });
    expect(e.items).toEqual(three.items);
  });

  it('decoupled weight decay changes the trained tables, deterministically, and rejects a negative value', async () => {
    const plain = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 5 });
    const a = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 5, weightDecay: 5 });
    const b = await trainBackbone(fit, nUsers, nItems, { ...base, softmaxEpochs: 5, weightDecay: 5 });
    expect(a.items).toEqual(b.items);
    expect(a.items).not.toEqual(plain.items);
    await expect(trainBackbone(fit, nUsers, nItems, { ...base, weightDecay: -1 })).rejects.toThrow(/weightDecay must be ≥ 0/);
  });
});

describe('smoothOneHop', () => {
  it('adds β·Â E and keeps the mean row norm', () => {
    // one user (u0) with items 0 and 1; deg u0 = 2, deg i = 1 => Â weights 1/√2
    const e = { dim: 8, nUsers: 1, nItems: 2, users: new Float32Array(8), items: new Float32Array(16) };
    e.users[0] = 1;
    e.items[1] = 1;
    e.items[8 + 2] = 1;
    const s = smoothOneHop(e, { indptr: Uint32Array.of(0, 2), indices: Uint32Array.of(0, 1) }, 0.5);
    const w = 0.5 / Math.SQRT2;
    const un = Math.hypot(1, w, w);
    expect(s.users[0]).toBeCloseTo(1 / un, 6);
    expect(s.users[1]).toBeCloseTo(w / un, 6);
    expect(s.users[2]).toBeCloseTo(w / un, 6);
    const inorm = Math.hypot(1, w);
    expect(s.items[1]).toBeCloseTo(1 / inorm, 6);
    expect(s.items[0]).toBeCloseTo(w / inorm, 6);
  });
});
