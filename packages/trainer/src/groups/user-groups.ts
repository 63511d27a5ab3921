import { kmeans } from 'ml-kmeans';

export interface UserGroups {
  /** Group of each user. */
  assignment: Uint16Array;
  /** `[count][dim]` centroids in the user-embedding space. */
  centroids: number[][];
  /** Users per group. */
  sizes: number[];
}

/**
 * k-means (k-means++ init, ml-kmeans) on the user embeddings, seeded. The
 * final assignment is recomputed with {@link assignGroup}, the rule the
 * device uses for a new user, so training and serving agree exactly.
 */
export function clusterUsers(users: Float32Array, dim: number, count: number, seed: number, maxIterations = 50): UserGroups {
  const n = users.length / dim;
  if (!Number.isInteger(n) || n < count) throw new RangeError(`cannot make ${count} groups of ${n} users`);
  const rows: number[][] = [];
  for (let u = 0; u < n; u++) rows.push(Array.from(users.subarray(u * dim, (u + 1) * dim)));
  const result = kmeans(rows, count, { initialization: 'kmeans++', seed, maxIterations, tolerance: 1e-6 });
  const centroids = result.centroids.map((c) => c.map((v) => Math.fround(v)));
  const assignment = new Uint16Array(n);
  const sizes = new Array<number>(count).fill(0);
  for (let u = 0; u < n; u++) {
    const g = assignGroup(users.subarray(u * dim, (u + 1) * dim), centroids);
    assignment[u] = g;
    sizes[g]!++;
  }
  return { assignment, centroids, sizes };
}

/** Nearest centroid by Euclidean distance; ties go to the lower index. The runtime implements the same rule. */
export function assignGroup(vector: ArrayLike<number>, centroids: readonly (readonly number[])[]): number {
  let best = 0;
  let bestDist = Infinity;
  for (let c = 0; c < centroids.length; c++) {
    const ctr = centroids[c]!;
    if (ctr.length !== vector.length) throw new RangeError(`centroid ${c} has ${ctr.length} dims, vector has ${vector.length}`);
    let d = 0;
    for (let k = 0; k < ctr.length; k++) {
      const t = vector[k]! - ctr[k]!;
      d += t * t;
    }
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}
