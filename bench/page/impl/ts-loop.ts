/**
 * The plain-TypeScript implementation: what an app could write without a
 * tensor library. Same work as the runtime: weighted dim-major rows summed
 * into f32 scores, exclusions, then top-k (ties: lower position first).
 */
import type { GroupMatrix } from './onnx-graph.js';

export interface TopK {
  readonly positions: Int32Array;
  readonly scores: Float32Array;
}

/**
 * A size-k min-heap on (score, -position): the k best offered so far, ties
 * to the lower position. `floor` is the score to beat once full.
 */
export class TopKHeap {
  private readonly hs: Float32Array;
  private readonly hp: Int32Array;
  private size = 0;
  floor = -Infinity;

  get full(): boolean {
    return this.size === this.k;
  }

  constructor(private readonly k: number) {
    this.hs = new Float32Array(k);
    this.hp = new Int32Array(k);
  }

  /** Offers (s, p); positions must be offered in ascending order for equal scores to keep the lower one. */
  offer(s: number, p: number): void {
    const { hs, hp, k } = this;
    if (this.size < k) {
      hs[this.size] = s;
      hp[this.size] = p;
      this.size++;
      if (this.size === k) {
        for (let i = (k >> 1) - 1; i >= 0; i--) this.sift(i);
        this.floor = hs[0]!;
      }
    } else if (s > hs[0]! || (s === hs[0]! && p < hp[0]!)) {
      hs[0] = s;
      hp[0] = p;
      this.sift(0);
      this.floor = hs[0]!;
    }
  }

  result(): TopK {
    const { hs, hp, size } = this;
    const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => hs[b]! - hs[a]! || hp[a]! - hp[b]!);
    return { positions: Int32Array.from(order, (i) => hp[i]!), scores: Float32Array.from(order, (i) => hs[i]!) };
  }

  private sift(i: number): void {
    const { hs, hp, size } = this;
    // a is worse than b: lower score, or equal score and higher position.
    const worse = (a: number, b: number) => hs[a]! < hs[b]! || (hs[a]! === hs[b]! && hp[a]! > hp[b]!);
    for (;;) {
      const l = 2 * i + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (l + 1 < size && worse(l + 1, m)) m = l + 1;
      if (m === i) return;
      const ts = hs[i]!,
        tp = hp[i]!;
      hs[i] = hs[m]!;
      hp[i] = hp[m]!;
      hs[m] = ts;
      hp[m] = tp;
      i = m;
    }
  }
}

/** Top-k of `scores` skipping `exclude` (ties: lower position first). One compare per item in the common case. */
export function topKOf(scores: Float32Array, k: number, exclude: ReadonlySet<number>): TopK {
  const heap = new TopKHeap(k);
  for (let p = 0; p < scores.length; p++) {
    const s = scores[p]!;
    // Positions ascend, so once full an equal score never beats the floor.
    if (s <= heap.floor && heap.full) continue;
    if (Number.isNaN(s) || exclude.has(p)) continue;
    heap.offer(s, p);
  }
  return heap.result();
}

/** A reusable scorer: the score buffer is allocated once, as an app would. */
export class LoopScorer {
  private readonly scores: Float32Array;
  private readonly starts: Int32Array;

  constructor(private readonly groups: readonly GroupMatrix[]) {
    const total = groups.reduce((n, g) => n + g.items, 0);
    this.scores = new Float32Array(total);
    this.starts = new Int32Array(groups.length);
    let s = 0;
    groups.forEach((g, i) => {
      this.starts[i] = s;
      s += g.items;
    });
  }

  score(user: ArrayLike<number>, k: number, exclude: ReadonlySet<number>): TopK {
    const scores = this.scores;
    scores.fill(0);
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi]!;
      const n = g.items,
        start = this.starts[gi]!,
        m = g.matrix;
      for (let r = 0; r < g.dims.length; r++) {
        const c = Math.fround(g.weights[r]! * user[g.dims[r]!]!);
        const row = r * n;
        for (let i = 0; i < n; i++) scores[start + i]! += c * m[row + i]!;
      }
    }
    return topKOf(scores, k, exclude);
  }
}

/** One-shot form, for tests. */
export function scoreGroups(groups: readonly GroupMatrix[], user: ArrayLike<number>, k: number, exclude: ReadonlySet<number>): TopK {
  return new LoopScorer(groups).score(user, k, exclude);
}
