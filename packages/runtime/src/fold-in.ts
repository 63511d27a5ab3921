/**
 * New users, on the device: the history never leaves it.
 *
 * Fold-in (LightGCN style, one propagation step): the user vector is the mean
 * of the history items' embeddings, per block, over the items whose block is
 * resident. Blocks no history item has stay 0, so they add nothing to scores.
 *
 * Group assignment: nearest k-means centroid by Euclidean distance in the
 * dimensions we have (the blocks some history item has); ties go to the
 * lower group index. With no known dimension at all the user gets group 0.
 */

/** Mean per block over items whose block is known. Returns the vector and which blocks it has. */
export function foldIn(vectors: readonly Float32Array[], known: readonly Uint8Array[], blockDim: number, blocksPerItem: number): { vector: Float32Array; known: Uint8Array } {
  const vector = new Float32Array(blockDim * blocksPerItem);
  const has = new Uint8Array(blocksPerItem);
  for (let b = 0; b < blocksPerItem; b++) {
    let n = 0;
    const acc = new Float64Array(blockDim);
    vectors.forEach((v, i) => {
      if (!known[i]![b]) return;
      n++;
      for (let r = 0; r < blockDim; r++) acc[r]! += v[b * blockDim + r]!;
    });
    if (!n) continue;
    has[b] = 1;
    for (let r = 0; r < blockDim; r++) vector[b * blockDim + r] = acc[r]! / n;
  }
  return { vector, known: has };
}

/** Index of the centroid nearest to `vector` over the known blocks' dimensions. */
export function nearestCentroid(vector: ArrayLike<number>, known: Uint8Array, blockDim: number, centroids: readonly (readonly number[])[]): number {
  let best = 0;
  let bestDistance = Infinity;
  centroids.forEach((c, g) => {
    let d = 0;
    for (let b = 0; b < known.length; b++) {
      if (!known[b]) continue;
      for (let r = b * blockDim; r < (b + 1) * blockDim; r++) d += (vector[r]! - c[r]!) ** 2;
    }
    if (d < bestDistance) {
      bestDistance = d;
      best = g;
    }
  });
  return best;
}

/**
 * Fold-in for a table kind (`mixed`, `sparse`): the mean of the history items' vectors as the resident variant stores
 * them, a dimension an item does not keep (a mixed item's cut columns, a sparse item's pruned entries) counting 0,
 * as it does in the item's scores. One table serves every user, so there is no group to assign.
 */
export function foldInTable(vectors: readonly Float32Array[], fullDim: number): Float32Array {
  const acc = new Float64Array(fullDim);
  for (const v of vectors) for (let r = 0; r < fullDim; r++) acc[r]! += v[r]!;
  const vector = new Float32Array(fullDim);
  if (vectors.length) for (let r = 0; r < fullDim; r++) vector[r] = acc[r]! / vectors.length;
  return vector;
}
