import { describe, expect, it } from 'vitest';
import { methodRegistry, NAMED_ONLY } from '../src/methods-command.js';
import { csrFromPairs } from '../src/data/csr.js';
import { Random } from '../src/data/random.js';
import { sparseBytes, sparseCapacity } from '../src/harness/accounting.js';
import { initialMask, nmfScores, randomScores } from '../src/methods/sparserec/init.js';
import { nmf, nmfLoss } from '../src/methods/sparserec/nmf.js';
import { moveCount, pruneAndRegrow } from '../src/methods/sparserec/regrow.js';
import { collectsSignal, DstTable, runDst } from '../src/methods/sparserec/train.js';

/** Lee and Seung's updates on dense matrices: the reference the CSR version must match. */
function denseNmf(x: number[][], w0: Float32Array, h0: Float32Array, k: number, iterations: number, fixW: boolean) {
  const rows = x.length;
  const cols = x[0]!.length;
  const W = Array.from({ length: rows }, (_, u) => Array.from({ length: k }, (_, a) => w0[u * k + a]!));
  const H = Array.from({ length: k }, (_, a) => Array.from({ length: cols }, (_, i) => h0[a * cols + i]!));
  const mul = (A: number[][], B: number[][]) => A.map((r) => B[0]!.map((_, j) => r.reduce((s, v, t) => s + v * B[t]![j]!, 0)));
  const tr = (A: number[][]) => A[0]!.map((_, j) => A.map((r) => r[j]!));
  for (let it = 0; it < iterations; it++) {
    const num = mul(tr(W), x);
    const den = mul(mul(tr(W), W), H);
    for (let a = 0; a < k; a++) for (let i = 0; i < cols; i++) H[a]![i] = H[a]![i]! * (num[a]![i]! / (den[a]![i]! + 1e-9));
    if (fixW) continue;
    const numW = mul(x, tr(H));
    const denW = mul(W, mul(H, tr(H)));
    for (let u = 0; u < rows; u++) for (let a = 0; a < k; a++) W[u]![a] = W[u]![a]! * (numW[u]![a]! / (denW[u]![a]! + 1e-9));
  }
  const WH = mul(W, H);
  return { W, H, loss: x.reduce((s, r, u) => s + r.reduce((t, v, i) => t + (v - WH[u]![i]!) ** 2, 0), 0) };
}

const pairs = [
  [0, 0],
  [0, 2],
  [1, 1],
  [1, 3],
  [2, 0],
  [2, 1],
  [3, 2],
  [4, 3],
  [4, 0],
] as const;
const csr = csrFromPairs(
  5,
  Uint32Array.from(pairs, (p) => p[0]),
  Uint32Array.from(pairs, (p) => p[1]),
).csr;
const dense = Array.from({ length: 5 }, (_, u) => Array.from({ length: 4 }, (_, i) => (pairs.some((p) => p[0] === u && p[1] === i) ? 1 : 0)));

describe('nmf', () => {
  it('matches the dense multiplicative updates, and its loss never rises', async () => {
    const start = await nmf(csr, 4, { k: 2, iterations: 0, seed: 3 });
    const ref = denseNmf(dense, start.w, start.h, 2, 12, false);
    const f = await nmf(csr, 4, { k: 2, iterations: 12, seed: 3 });
    for (let u = 0; u < 5; u++) for (let a = 0; a < 2; a++) expect(f.w[u * 2 + a]).toBeCloseTo(ref.W[u]![a]!, 4);
    for (let a = 0; a < 2; a++) for (let i = 0; i < 4; i++) expect(f.h[a * 4 + i]).toBeCloseTo(ref.H[a]![i]!, 4);
    expect(nmfLoss(csr, 4, f)).toBeCloseTo(ref.loss, 4);
    let prev = Number.POSITIVE_INFINITY;
    for (const iterations of [0, 1, 3, 6, 12]) {
      const l = nmfLoss(csr, 4, await nmf(csr, 4, { k: 2, iterations, seed: 3 }));
      expect(l).toBeLessThanOrEqual(prev + 1e-9);
      prev = l;
    }
  });

  it('with W pinned, moves H alone, as the dense reference does', async () => {
    const w = Float32Array.from({ length: 5 * 3 }, (_, x) => ((x * 7) % 5) / 4);
    const start = await nmf(csr, 4, { k: 3, iterations: 0, seed: 5, fixedW: w });
    const f = await nmf(csr, 4, { k: 3, iterations: 8, seed: 5, fixedW: w });
    const ref = denseNmf(dense, w, start.h, 3, 8, true);
    expect(Array.from(f.w)).toEqual(Array.from(w));
    for (let a = 0; a < 3; a++) for (let i = 0; i < 4; i++) expect(f.h[a * 4 + i]).toBeCloseTo(ref.H[a]![i]!, 4);
  });

  it("scores an item's entries by the backbone columns its users load on, either sign", async () => {
    // Users 0, 1 lie along +column 0; users 2, 3 along −column 2. Item 0 is users 0 and 1's; item 1 users 2 and 3's.
    const dim = 4;
    const users = new Float32Array(4 * dim);
    users[0 * dim + 0] = 1;
    users[1 * dim + 0] = 0.8;
    users[2 * dim + 2] = -1;
    users[3 * dim + 2] = -0.9;
    const x = csrFromPairs(4, Uint32Array.of(0, 1, 2, 3), Uint32Array.of(0, 0, 1, 1)).csr;
    const s = await nmfScores(x, 2, users, dim, 50, 1);
    const argmax = (i: number) => [0, 1, 2, 3].reduce((b, p) => (s[i * dim + p]! > s[i * dim + b]! ? p : b), 0);
    expect([argmax(0), argmax(1)]).toEqual([0, 2]);
  });
});

describe('prune and regrow', () => {
  it('drops the smallest active entries (never a row’s last) and grows the largest |signal| among inactive ones', () => {
    const dim = 4;
    const values = Float32Array.from([0.1, 0.9, 0, 0, 0.05, 0, 0, 0, 0.5, 0.2, 0.3, 0]);
    const mask = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0]);
    const signal = Float32Array.from([9, 9, 0.2, -3, 0, 0.1, 0, 0, 9, 9, 9, 0]);
    const m = pruneAndRegrow(values, mask, signal, dim, 2);
    // Row 1's 0.05 is its last entry: kept. The two smallest others: 0.1 (entry 0) and 0.2 (entry 9).
    expect(Array.from(m.dropped)).toEqual([0, 9]);
    expect(Array.from(m.grown)).toEqual([3, 2]);
    expect(Array.from(mask)).toEqual([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0]);
    expect(values[0]).toBe(0);
    expect(values[3]).toBe(0);
  });

  it('moves no more entries than have evidence, and decays the fraction by a cosine', () => {
    const mask = Uint8Array.from([1, 1, 0, 0]);
    const m = pruneAndRegrow(Float32Array.from([1, 2, 0, 0]), mask, Float32Array.from([0, 0, 0.5, 0]), 4, 2);
    expect([m.dropped.length, m.grown.length]).toEqual([1, 1]);
    expect(Array.from(mask)).toEqual([0, 1, 1, 0]);
    const s = { fraction: 0.4, interval: 10, decay: 'cosine' as const };
    expect([moveCount(s, 100, 0, 100), moveCount(s, 100, 50, 100), moveCount(s, 100, 100, 100)]).toEqual([40, 20, 0]);
    expect(moveCount({ ...s, decay: 'constant' }, 100, 50, 100)).toBe(40);
  });

  it('collects the signal every batch when accumulated, only the batch before a step when last-batch', () => {
    const rows = [0, 1, 2, 3, 4, 5].map((g) => [collectsSignal('accumulated', g, 3, 6), collectsSignal('last-batch', g, 3, 6)]);
    expect(rows).toEqual([
      [true, false],
      [true, false],
      [true, true],
      [true, false],
      [true, false],
      [true, false],
    ]);
  });

  it('accumulated and last-batch gradients regrow different entries on a constructed case', () => {
    // Unit users along each axis; items 0 and 1 keep columns 0, 1. Batch 1: four edges pull item 0 towards
    // column 2; batch 2: one edge pulls item 1 towards column 3. Accumulated: item 0's column 2 wins; last batch: item 1's 3.
    const dim = 4;
    const users = new Float32Array(4 * dim);
    for (let u = 0; u < 4; u++) users[u * dim + u] = 1;
    const items = Float32Array.from([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1]);
    const mask = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1]);
    const recipe = { batch: 4, negatives: 1, temperature: 0.5, lr: 0.01 };
    const grownBy = (collectFirst: boolean) => {
      const t = new DstTable({ users, items, mask, dim, recipe, backward: 'sparse', sampledNegatives: 1 });
      t.train(Uint32Array.of(2, 2, 2, 2), Uint32Array.of(0, 0, 0, 0), Uint32Array.of(2), collectFirst);
      t.train(Uint32Array.of(3), Uint32Array.of(1), Uint32Array.of(2), true);
      const before = t.mask.slice();
      t.regrow(1);
      return [...t.mask.keys()].filter((x) => t.mask[x] && !before[x]);
    };
    expect(grownBy(true)).toEqual([0 * dim + 2]);
    expect(grownBy(false)).toEqual([1 * dim + 3]);
  });
});

describe('sparse backward', () => {
  const rng = new Random(11);
  const dim = 16;
  const nItems = 60;
  const users = Float32Array.from({ length: 30 * dim }, () => rng.normal());
  const items = Float32Array.from({ length: nItems * dim }, () => rng.normal() * 0.3);
  const mask = Uint8Array.from({ length: nItems * dim }, () => (rng.next() < 0.4 ? 1 : 0));
  for (let i = 0; i < nItems; i++) mask[i * dim] = 1;
  const recipe = { batch: 8, negatives: 16, temperature: 0.2, lr: 0.01 };

  it('updates the sampled rows’ active entries exactly as the dense backward does, and nothing else', () => {
    // Each batch from the same start (Adam's moments differ once the dense pass has moved more rows).
    for (let batch = 0; batch < 3; batch++) {
      const sparse = new DstTable({ users, items, mask, dim, recipe, backward: 'sparse', sampledNegatives: 4 });
      const dense = new DstTable({ users, items, mask, dim, recipe, backward: 'dense', sampledNegatives: 4 });
      const u = Uint32Array.from({ length: 8 }, () => rng.int(30));
      const p = Uint32Array.from({ length: 8 }, () => rng.int(nItems));
      const n = Uint32Array.from({ length: 16 }, () => rng.int(nItems));
      const before = sparse.values.slice();
      const a = sparse.train(u, p, n, false).updated;
      const b = dense.train(u, p, n, false).updated;
      expect(a.length).toBeGreaterThan(0);
      expect(a.length).toBeLessThan(new Set([...p, ...n]).size);
      expect(new Set(b)).toEqual(new Set([...p, ...n]));
      for (const i of a) for (let x = i * dim; x < (i + 1) * dim; x++) expect(sparse.values[x]).toBeCloseTo(dense.values[x]!, 6);
      const sampled = new Set(a);
      for (let i = 0; i < nItems; i++) {
        if (sampled.has(i)) continue;
        for (let x = i * dim; x < (i + 1) * dim; x++) expect(sparse.values[x]).toBe(before[x]);
      }
      for (let x = 0; x < mask.length; x++) if (!mask[x]) expect(sparse.values[x]).toBe(0);
      expect(sparse.values).not.toEqual(before);
      // No table-sized gradient in the sparse pass; the dense one holds one.
      expect(sparse.gradientBytes()).toBeLessThan(items.byteLength);
      expect(dense.gradientBytes()).toBeGreaterThanOrEqual(items.byteLength);
    }
  });
});

describe('budget', () => {
  it('never exceeds the budget in device bytes, index bytes included, through training', async () => {
    const rng = new Random(2);
    const dim = 16;
    const nUsers = 40;
    const nItems = 50;
    const us: number[] = [];
    const is: number[] = [];
    for (let u = 0; u < nUsers; u++) for (let k = 0; k < 6; k++) us.push(u), is.push(rng.int(nItems));
    const train = csrFromPairs(nUsers, Uint32Array.from(us), Uint32Array.from(is)).csr;
    const users = Float32Array.from({ length: nUsers * dim }, () => rng.normal());
    const items = Float32Array.from({ length: nItems * dim }, () => rng.normal());
    for (const dtype of ['f16', 'f32'] as const) {
      for (const fraction of [0.5, 0.2, 0.1]) {
        const budget = Math.floor(fraction * nItems * dim * 4);
        for (const scores of [await nmfScores(train, nItems, users, dim, 5, 1), randomScores(nItems, dim, 1)]) {
          const init = initialMask(scores, dim, budget, dtype, 'sparserec');
          expect(init.nnz).toBe(sparseCapacity(nItems, budget, dtype));
          const t = new DstTable({ users, items, mask: init.mask, dim, recipe: { batch: 16, negatives: 8, temperature: 0.2, lr: 0.01 }, backward: 'sparse', sampledNegatives: 4 });
          const r = runDst(
            t,
            { train, epochs: 2, schedule: { fraction: 0.3, interval: 3, decay: 'constant' }, regrowth: 'accumulated', seed: 1 },
            { batch: 16, negatives: 8, temperature: 0.2, lr: 0.01 },
          );
          expect(r.moved).toBeGreaterThan(0);
          expect(t.nnz()).toBe(init.nnz);
          expect(sparseBytes(nItems, t.nnz(), dtype)).toBeLessThanOrEqual(budget);
          let kept = 0;
          for (const m of t.mask) kept += m;
          expect(kept).toBe(init.nnz);
        }
      }
    }
  });
});

describe('registry', () => {
  it('has SparseRec, its three ablations and plain DST, each changing its parts, run only when named', () => {
    const names = ['sparserec', 'sparserec-random-init', 'sparserec-last-batch', 'sparserec-dense-backward', 'dst'];
    const registry = methodRegistry({}, { epochs: 3 });
    expect(registry.filter((m) => m.kind === 'sparse').map((m) => m.name)).toEqual(['magprune', ...names]);
    for (const n of names) expect(NAMED_ONLY).toContain(n);
  });
});
