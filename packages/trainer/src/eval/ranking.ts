import type { CSR } from '../data/types.js';
import { SharedHeap, heapBytes } from '../kernels/heap.js';
import { WorkerPool, defaultThreads } from '../kernels/pool.js';

/** Mean all-item ranking metrics over the evaluated users. */
export interface RankingMetrics {
  recall20: number;
  ndcg20: number;
  /** Users averaged over (those with test items, `unranked` ones included, within userSubset if given). */
  users: number;
  /** Each averaged user's own values, in evaluation order: for paired comparisons between models. */
  perUser: { users: Uint32Array; recall20: Float32Array; ndcg20: Float32Array };
  /** Mean Recall and NDCG at each of `cutoffs` (ascending), from the same ranking. */
  atCutoffs: { k: number; recall: number; ndcg: number }[];
  /** Each averaged user's values at `cutoffs`, in evaluation order: row-major [user][cutoff][recall, ndcg]. */
  perUserAtCutoffs: Float32Array;
}

export interface RankingInput {
  /** Row-major [nUsers][dim]. */
  users: Float32Array;
  /** Row-major [nItems][dim]. */
  items: Float32Array;
  dim: number;
  /** Items each user trained on: excluded from that user's ranking. */
  train: CSR;
  test: CSR;
  /**
   * Per user, test interactions with items outside the catalog (never trained, so never ranked): each counts in
   * `|test_u|` as a miss, and a user who has only such items is evaluated with 0.
   */
  unranked?: Uint32Array;
  /** Cut-off; default 20 (the fields keep their @20 names whatever k is). */
  k?: number;
  /** Smaller cutoffs (each in [1, k]) also reported, means only: read off the same top k, at no extra scoring cost. */
  cutoffs?: readonly number[];
  /** Evaluate only these users (sorted or not; duplicates are an error). */
  userSubset?: Uint32Array;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

function checkCsr(name: string, csr: CSR, rows: number, cols: number): void {
  if (csr.indptr.length !== rows + 1) throw new RangeError(`evaluateRanking: ${name}.indptr has ${csr.indptr.length} entries, expected ${rows + 1}`);
  const nnz = csr.indptr[rows]!;
  if (csr.indices.length < nnz) throw new RangeError(`evaluateRanking: ${name}.indices has ${csr.indices.length} entries, indptr says ${nnz}`);
  for (let q = 0; q < nnz; q++) if (csr.indices[q]! >= cols) throw new RangeError(`evaluateRanking: ${name} refers to item ${csr.indices[q]} but there are ${cols} items`);
}

/**
 * Standard LightGCN all-item evaluation: for every user with test items, rank all items by the inner product
 * of user and item embeddings with the user's training items removed, take the top k, and average
 *   Recall@k = |top k ∩ test_u| / |test_u|   (test_u includes `unranked` items: always misses),
 *   NDCG@k   = Σ_{rank r hit} 1/log2(r+2)  /  Σ_{r < min(|test_u|,k)} 1/log2(r+2)   (binary relevance).
 * Users with no test items at all are skipped. Deterministic: each thread scores a fixed range of users and
 * the per-user values are summed in user order on the calling thread.
 */
export async function evaluateRanking(input: RankingInput): Promise<RankingMetrics> {
  const { users, items, dim, train, test } = input;
  const k = input.k ?? 20;
  if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`evaluateRanking: dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(k) || k <= 0) throw new RangeError(`evaluateRanking: k must be a positive integer, got ${k}`);
  const cutoffs = [...new Set(input.cutoffs ?? [])].sort((a, b) => a - b);
  for (const c of cutoffs) if (!(Number.isInteger(c) && c >= 1 && c <= k)) throw new RangeError(`evaluateRanking: cutoff ${c} is not an integer in [1, ${k}]`);
  const nUsers = users.length / dim;
  const nItems = items.length / dim;
  if (!Number.isInteger(nUsers) || !Number.isInteger(nItems)) throw new RangeError(`evaluateRanking: embedding tables are not multiples of dim ${dim}`);
  checkCsr('train', train, nUsers, nItems);
  checkCsr('test', test, nUsers, nItems);
  const unranked = input.unranked ?? new Uint32Array(nUsers);
  if (unranked.length !== nUsers) throw new RangeError(`evaluateRanking: unranked has ${unranked.length} entries, expected one per user (${nUsers})`);

  const candidates = input.userSubset ?? Uint32Array.from({ length: nUsers }, (_, u) => u);
  const seen = new Uint8Array(nUsers);
  const evalList: number[] = [];
  for (const u of candidates) {
    if (u >= nUsers) throw new RangeError(`evaluateRanking: userSubset contains ${u}, but there are ${nUsers} users`);
    if (seen[u]) throw new RangeError(`evaluateRanking: userSubset contains user ${u} twice`);
    seen[u] = 1;
    if (test.indptr[u + 1]! > test.indptr[u]! || unranked[u]! > 0) evalList.push(u);
  }
  if (evalList.length === 0)
    return {
      recall20: 0,
      ndcg20: 0,
      users: 0,
      perUser: { users: new Uint32Array(0), recall20: new Float32Array(0), ndcg20: new Float32Array(0) },
      atCutoffs: cutoffs.map((c) => ({ k: c, recall: 0, ndcg: 0 })),
      perUserAtCutoffs: new Float32Array(0),
    };

  const threads = Math.max(1, Math.min(input.threads ?? defaultThreads(), evalList.length));
  const nPad = Math.ceil(nItems / 8) * 8;
  const batch = 64;
  const trainNnz = train.indptr[nUsers]!;
  const testNnz = test.indptr[nUsers]!;
  const counts = [nUsers * dim, dim * nPad, nUsers + 1, trainNnz, nUsers + 1, testNnz, nUsers, evalList.length, 2 * evalList.length, 2 * cutoffs.length * evalList.length];
  for (let t = 0; t < threads; t++) counts.push(batch * dim, batch * nPad);
  const heap = new SharedHeap(heapBytes(counts));
  const pUsers = heap.putF32(users);
  const pItemsT = heap.alloc(dim * nPad);
  const itemsT = heap.f32(pItemsT, dim * nPad);
  for (let i = 0; i < nItems; i++) for (let p = 0; p < dim; p++) itemsT[p * nPad + i] = items[i * dim + p]!;
  const task = {
    type: 'rank',
    users: pUsers,
    itemsT: pItemsT,
    dim,
    nItems,
    nPad,
    nUsers,
    trainIndptr: heap.putU32(train.indptr),
    trainIndices: heap.putU32(train.indices.subarray(0, trainNnz)),
    testIndptr: heap.putU32(test.indptr),
    testIndices: heap.putU32(test.indices.subarray(0, testNnz)),
    unranked: heap.putU32(unranked),
    evalUsers: heap.putU32(evalList),
    nEval: evalList.length,
    k,
    out: heap.alloc(2 * evalList.length),
    cutoffs,
    outCutoffs: heap.alloc(2 * cutoffs.length * evalList.length),
    scratchA: [] as number[],
    scratchC: [] as number[],
  };
  for (let t = 0; t < threads; t++) {
    task.scratchA.push(heap.alloc(batch * dim));
    task.scratchC.push(heap.alloc(batch * nPad));
  }
  const pool = await WorkerPool.start(new URL('./rank-worker.mjs', import.meta.url), heap, threads);
  try {
    await pool.run(task, input.onProgress ? (d, _t) => input.onProgress?.(Math.min(evalList.length, d * threads), evalList.length) : undefined);
  } finally {
    await pool.close();
  }
  const out = heap.f32(task.out, 2 * evalList.length);
  const perUser = { users: Uint32Array.from(evalList), recall20: new Float32Array(evalList.length), ndcg20: new Float32Array(evalList.length) };
  let recall = 0;
  let ndcg = 0;
  for (let e = 0; e < evalList.length; e++) {
    recall += perUser.recall20[e] = out[2 * e]!;
    ndcg += perUser.ndcg20[e] = out[2 * e + 1]!;
  }
  const cut = heap.f32(task.outCutoffs, 2 * cutoffs.length * evalList.length);
  const atCutoffs = cutoffs.map((c, j) => {
    let r = 0;
    let n = 0;
    for (let e = 0; e < evalList.length; e++) {
      r += cut[2 * (cutoffs.length * e + j)]!;
      n += cut[2 * (cutoffs.length * e + j) + 1]!;
    }
    return { k: c, recall: r / evalList.length, ndcg: n / evalList.length };
  });
  return { recall20: recall / evalList.length, ndcg20: ndcg / evalList.length, users: evalList.length, perUser, atCutoffs, perUserAtCutoffs: cut.slice() };
}
