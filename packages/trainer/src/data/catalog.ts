/**
 * Rule: the catalog is the items that occur in train. An item that no training interaction names has only
 * ever been a sampled negative, so its embedding is noise. Ranked, it would be recommended at random.
 * Exported, it would be a phantom in the artifact.
 */
import { columnCounts, rowCount, rowOf } from './csr.js';
import type { Dataset } from './types.js';

export interface TrainedCatalog {
  dataset: Dataset;
  /** Items dropped because they have no training interaction. */
  untrainedItems: number;
  /** Test pairs on those items, now counted per user in `dataset.testUnranked`. */
  testUnranked: number;
}

/**
 * Keeps the items with at least one training interaction and numbers them densely in their old order, so
 * rows stay sorted. A dataset whose items all occur in train is returned as it is (same object).
 * `itemIds` and `itemMeta` follow the items. A test pair on a dropped item is added to `testUnranked`.
 */
export function keepTrainedItems(d: Dataset): TrainedCatalog {
  const counts = columnCounts(d.train, d.nItems);
  const index = new Int32Array(d.nItems).fill(-1);
  let n = 0;
  for (let i = 0; i < d.nItems; i++) if (counts[i]! > 0) index[i] = n++;
  if (n === d.nItems) return { dataset: d, untrainedItems: 0, testUnranked: 0 };

  const nUsers = rowCount(d.test);
  const unranked = d.testUnranked ? d.testUnranked.slice() : new Uint32Array(nUsers);
  const indptr = new Uint32Array(nUsers + 1);
  const indices: number[] = [];
  let dropped = 0;
  for (let u = 0; u < nUsers; u++) {
    for (const i of rowOf(d.test, u)) {
      if (index[i]! >= 0) indices.push(index[i]!);
      else unranked[u]!++, dropped++;
    }
    indptr[u + 1] = indices.length;
  }
  const kept = <T>(list: readonly T[]) => list.filter((_, i) => index[i]! >= 0);
  const dataset: Dataset = {
    ...d,
    nItems: n,
    train: { indptr: d.train.indptr, indices: Uint32Array.from(d.train.indices, (i) => index[i]!) },
    test: { indptr, indices: Uint32Array.from(indices) },
    itemIds: kept(d.itemIds),
    ...(d.itemMeta ? { itemMeta: kept(d.itemMeta) } : {}),
    ...(unranked.some((c) => c > 0) ? { testUnranked: unranked } : {}),
  };
  return { dataset, untrainedItems: d.nItems - n, testUnranked: dropped };
}
