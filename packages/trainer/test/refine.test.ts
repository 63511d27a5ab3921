import { describe, expect, it } from 'vitest';
import { rowCount, rowOf } from '../src/data/csr.js';
import { Random } from '../src/data/random.js';
import { groupItems } from '../src/groups/item-groups.js';
import { generateSynthetic } from '../src/synthetic/generate.js';
import { carveValidation, refineUserGroups, REFINE_DEFAULTS, type RefineInput } from '../src/refine/index.js';

const d = generateSynthetic({ users: 200, items: 240, seed: 9, meanInteractions: 20 });
const D = 16;
// A deliberately poor starting table (random), so that refinement has something to learn.
const rng = new Random(2);
const users = Float32Array.from({ length: d.nUsers * D }, () => rng.normal() * 0.3);
const items = Float32Array.from({ length: d.nItems * D }, () => rng.normal() * 0.3);
const assignment = Uint16Array.from({ length: d.nUsers }, (_, u) => u % 2);

const input = (threads: number, epochs: number): RefineInput => ({
  users,
  items,
  dim: D,
  blockDim: 4,
  nUsers: d.nUsers,
  nItems: d.nItems,
  train: d.train,
  assignment,
  groupCount: 2,
  itemGroups: groupItems(d.train, d.nItems, 4),
  options: { ...REFINE_DEFAULTS, epochs, batch: 128, negatives: 32, lr: 0.05, seed: 4, threads },
});

describe('carveValidation', () => {
  it('holds out part of every user with ≥ 3 training items, never touching anyone else', () => {
    const { inner, valUsers, valItems } = carveValidation(d.train, 0.1, 1);
    let held = 0;
    for (let u = 0; u < rowCount(d.train); u++) {
      const all = rowOf(d.train, u);
      const kept = new Set(rowOf(inner, u));
      const val = [...valItems].filter((_, k) => valUsers[k] === u);
      if (all.length >= 3) expect(val.length).toBeGreaterThanOrEqual(1);
      else expect(val).toHaveLength(0);
      for (const i of val) expect(kept.has(i)).toBe(false);
      expect(kept.size + val.length).toBe(all.length);
      held += val.length;
    }
    expect(held).toBe(valUsers.length);
  });
});

describe('refineUserGroups', () => {
  it('lowers each group’s validation loss and learns non-uniform softmax weights', async () => {
    const r = await refineUserGroups(input(2, 4));
    expect(r.tables).toHaveLength(2);
    for (const s of r.stats) {
      expect(s.valLossAfter).toBeLessThan(s.valLossBefore);
      expect(s.bestEpoch).toBeGreaterThan(0);
    }
    for (const w of r.weights) {
      for (let g = 0; g < 4; g++) {
        const row = Array.from(w.subarray(g * 4, g * 4 + 4));
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(1e-4);
      }
    }
    // Each group refined its own copy.
    expect(Array.from(r.tables[0]!)).not.toEqual(Array.from(r.tables[1]!));
    expect(Array.from(r.tables[0]!)).not.toEqual(Array.from(items));
  });

  it('gives the same result on 1 or 2 threads (per-group seeds)', async () => {
    const a = await refineUserGroups(input(1, 2));
    const b = await refineUserGroups(input(2, 2));
    for (let c = 0; c < 2; c++) {
      expect(Array.from(a.tables[c]!)).toEqual(Array.from(b.tables[c]!));
      expect(Array.from(a.weights[c]!)).toEqual(Array.from(b.weights[c]!));
    }
  });

  it('with zero epochs returns the backbone table and uniform weights', async () => {
    const r = await refineUserGroups(input(1, 0));
    expect(Array.from(r.tables[1]!)).toEqual(Array.from(items));
    expect(Array.from(r.weights[0]!).every((w) => Math.abs(w - 0.25) < 1e-7)).toBe(true);
  });
});
