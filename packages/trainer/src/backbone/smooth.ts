import type { CSR } from '../data/types.js';
import type { Embeddings } from './train.js';

function meanRowNorm(x: Float32Array, dim: number): number {
  let total = 0;
  for (let o = 0; o < x.length; o += dim) {
    let s = 0;
    for (let p = 0; p < dim; p++) s += x[o + p]! * x[o + p]!;
    total += Math.sqrt(s);
  }
  return total / (x.length / dim);
}

/**
 * One LightGCN-style propagation step added to the embeddings: E = E₀ + β·Â E₀ on the user–item graph,
 * Â_ui = 1/√(deg u · deg i), then each table rescaled to E₀'s mean row norm. One hop is the measured
 * optimum: deeper propagation over-smooths factorised embeddings. Single-threaded, fixed order: deterministic.
 */
export function smoothOneHop(e: Embeddings, train: CSR, beta: number): Embeddings {
  const { dim, nUsers, nItems } = e;
  const degI = new Float64Array(nItems);
  const nnz = train.indptr[nUsers]!;
  for (let q = 0; q < nnz; q++) degI[train.indices[q]!]!++;
  const users = e.users.slice();
  const items = e.items.slice();
  for (let u = 0; u < nUsers; u++) {
    const lo = train.indptr[u]!;
    const hi = train.indptr[u + 1]!;
    if (hi === lo) continue;
    const su = 1 / Math.sqrt(hi - lo);
    const uo = u * dim;
    for (let q = lo; q < hi; q++) {
      const i = train.indices[q]!;
      const w = (beta * su) / Math.sqrt(degI[i]!);
      const io = i * dim;
      for (let p = 0; p < dim; p++) {
        users[uo + p]! += w * e.items[io + p]!;
        items[io + p]! += w * e.users[uo + p]!;
      }
    }
  }
  for (const [out, src] of [
    [users, e.users],
    [items, e.items],
  ] as const) {
    const target = meanRowNorm(src, dim);
    const now = meanRowNorm(out, dim);
    if (now > 0) {
      const f = target / now;
      for (let x = 0; x < out.length; x++) out[x]! *= f;
    }
  }
  return { dim, nUsers, nItems, users, items };
}
