// The validation metric of refinement: Recall@20 of a user group's validation users, ranked over all items
// with the group's table at a budget. The choices made on it are in validation.mjs.

/**
 * Whether `it` is one of user `u`'s inner training items (binary search of the sorted CSR row).
 * @param {Uint32Array} ip @param {Uint32Array} ix the inner split (CSR) @param {number} u @param {number} it
 */
function isTrainItem(ip, ix, u, it) {
  let lo = ip[u];
  let hi = ip[u + 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ix[mid] < it) lo = mid + 1;
    else hi = mid;
  }
  return lo < ip[u + 1] && ix[lo] === it;
}

/**
 * Mean Recall@20 of `users` with `table` scored at its current budget (GroupTable.setBudget), ranked over all
 * items but each user's inner training items, P users at a time through the table's GEMM scratch.
 * @param {import('./group-table.mjs').GroupTable} table
 * @param {readonly number[]} users @param {ReadonlyMap<number, readonly number[]>} truth each user's held-out items
 */
export function recallAt20(table, users, truth) {
  const { nItems, D, B, P, N, gemm, sc, U, V, Up, VnT, S, eff, groupOf, blockOf, indptr, indices } = table;
  const n = users.length;
  if (n === 0) return 0;
  const K = 20;
  const topS = new Float64Array(P * K);
  const topI = new Int32Array(P * K);
  const floor = new Float64Array(P);
  let total = 0;
  for (let c0 = 0; c0 < n; c0 += P) {
    const rows = Math.min(P, n - c0);
    topS.fill(-Infinity);
    topI.fill(-1);
    floor.fill(-Infinity);
    for (let p = 0; p < rows; p++) Up.set(U.subarray(users[c0 + p] * D, users[c0 + p] * D + D), p * D);
    for (let start = 0; start < nItems; start += N) {
      const w = Math.min(N, nItems - start);
      for (let j = 0; j < N; j++) {
        const it = start + j;
        if (j >= w) {
          for (let d = 0; d < D; d++) VnT[d * N + j] = 0;
          continue;
        }
        const gB = groupOf[it] * B;
        for (let d = 0; d < D; d++) VnT[d * N + j] = eff[gB + blockOf[d]] * V[it * D + d];
      }
      gemm(sc.up, D, 1, sc.vnT, N, sc.s, N, rows, N, D, 0);
      for (let p = 0; p < rows; p++) {
        const u = users[c0 + p];
        for (let j = 0; j < w; j++) {
          const v = S[p * N + j];
          if (v <= floor[p] || isTrainItem(indptr, indices, u, start + j)) continue;
          // replace the current minimum of the row's top K
          let mi = p * K;
          for (let q = p * K + 1; q < p * K + K; q++) if (topS[q] < topS[mi]) mi = q;
          topS[mi] = v;
          topI[mi] = start + j;
          let f = Infinity;
          for (let q = p * K; q < p * K + K; q++) if (topS[q] < f) f = topS[q];
          floor[p] = f;
        }
      }
    }
    for (let p = 0; p < rows; p++) {
      const held = new Set(truth.get(users[c0 + p]));
      let hits = 0;
      for (let q = p * K; q < p * K + K; q++) if (held.has(topI[q])) hits++;
      total += hits / held.size;
    }
  }
  return total / n;
}
