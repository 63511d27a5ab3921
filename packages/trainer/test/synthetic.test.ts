import { describe, expect, it } from 'vitest';
import { columnCounts, rowOf } from '../src/data/csr.js';
import { generateSynthetic } from '../src/synthetic/generate.js';
import { loadData } from '../src/data/load.js';

describe('generateSynthetic', () => {
  const opts = { users: 400, items: 500, seed: 3 };
  const d = generateSynthetic(opts);

  it('is deterministic for a seed and differs for another', () => {
    const again = generateSynthetic(opts);
    expect(Array.from(again.train.indices)).toEqual(Array.from(d.train.indices));
    expect(Array.from(again.test.indices)).toEqual(Array.from(d.test.indices));
    expect(again.itemMeta).toEqual(d.itemMeta);
    const other = generateSynthetic({ ...opts, seed: 4 });
    expect(Array.from(other.train.indices)).not.toEqual(Array.from(d.train.indices));
  });

  it('has named, categorised items and ids for everything', () => {
    expect(d.itemMeta).toHaveLength(500);
    expect(d.itemIds).toHaveLength(500);
    expect(d.userIds).toHaveLength(400);
    expect(new Set(d.itemMeta!.map((m) => m.name)).size).toBe(500);
    for (const m of d.itemMeta!) {
      expect(m.name.length).toBeGreaterThan(3);
      expect(m.category).toMatch(/^[A-Z][\w-]* · /);
    }
  });

  it('has a long-tailed popularity: the top 10 % of items take a large share', () => {
    const counts = Array.from(columnCounts(d.train, d.nItems)).sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top = counts.slice(0, 50).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.25); // uniform popularity would give 0.1
  });

  it('gives users concentrated tastes: most of a user’s items come from few categories', () => {
    let concentrated = 0;
    for (let u = 0; u < d.nUsers; u++) {
      const cats = new Map<string, number>();
      const row = rowOf(d.train, u);
      for (const i of row) {
        const c = d.itemMeta![i]!.category.split(' · ')[0]!;
        cats.set(c, (cats.get(c) ?? 0) + 1);
      }
      const top3 = [...cats.values()]
        .sort((a, b) => b - a)
        .slice(0, 3)
        .reduce((a, b) => a + b, 0);
      if (top3 >= 0.8 * row.length) concentrated++;
    }
    // 16 categories: a user with no tastes would have ~3/16 of their items in their top 3, so almost never 80 %.
    expect(concentrated / d.nUsers).toBeGreaterThan(0.6);
  });

  it('splits about 80/20 with no pair in both', () => {
    const tr = d.train.indices.length;
    const te = d.test.indices.length;
    expect(te / (tr + te)).toBeGreaterThan(0.15);
    expect(te / (tr + te)).toBeLessThan(0.25);
    for (let u = 0; u < d.nUsers; u++) {
      const train = new Set(rowOf(d.train, u));
      for (const i of rowOf(d.test, u)) expect(train.has(i)).toBe(false);
    }
  });

  it('loadData keeps only items that occur in train: cold items never enter the catalog', async () => {
    const raw = generateSynthetic();
    const { dataset, report } = await loadData({ kind: 'synthetic' });
    const rawCounts = columnCounts(raw.train, raw.nItems);
    const trained = raw.itemIds.filter((_, i) => rawCounts[i]! > 0);
    expect(trained.length).toBeLessThan(raw.nItems); // the default catalog has a few untrained items
    expect(dataset.itemIds).toEqual(trained);
    expect(dataset.itemMeta!.map((m) => m.name)).toEqual(raw.itemMeta!.filter((_, i) => rawCounts[i]! > 0).map((m) => m.name));
    expect(Math.min(...columnCounts(dataset.train, dataset.nItems))).toBeGreaterThan(0);
    // every test pair is still counted: rankable, or a miss
    const unranked = Array.from(dataset.testUnranked ?? []).reduce((a, b) => a + b, 0);
    expect(dataset.test.indices.length + unranked).toBe(raw.test.indices.length);
    expect(report?.testUnranked).toBe(unranked);
  });
});
