/**
 * A bounded top-k selection: the k best (score descending, position ascending)
 * of a stream of offers, in O(n log k) without sorting the catalog. The
 * `threshold` lets a scanner skip most items before they reach the heap.
 */
export class TopKHeap {
  private readonly scores: Float64Array;
  private readonly positions: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.positions = new Int32Array(k);
  }

  get full(): boolean {
    return this.size === this.k;
  }

  /**
   * Scores below this can never enter (equal ones enter only with a smaller
   * position than the current worst). -Infinity until k items are held;
   * +Infinity when k is 0.
   */
  get threshold(): number {
    if (this.k === 0) return Infinity;
    return this.size < this.k ? -Infinity : this.scores[0]!;
  }

  /** Offers one item; NaN scores never enter. */
  offer(score: number, position: number): void {
    if (Number.isNaN(score) || this.k === 0) return;
    const hs = this.scores;
    const hp = this.positions;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, position, hs[parent]!, hp[parent]!)) break;
        hs[i] = hs[parent]!;
        hp[i] = hp[parent]!;
        i = parent;
      }
      hs[i] = score;
      hp[i] = position;
      return;
    }
    if (!worse(hs[0]!, hp[0]!, score, position)) return;
    // Replace the worst (the root) and sift the newcomer down.
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && worse(hs[r]!, hp[r]!, hs[l]!, hp[l]!) ? r : l;
      if (!worse(hs[m]!, hp[m]!, score, position)) break;
      hs[i] = hs[m]!;
      hp[i] = hp[m]!;
      i = m;
    }
    hs[i] = score;
    hp[i] = position;
  }

  /** The held items, best first. */
  result(): { position: number; score: number }[] {
    const out: { position: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ position: this.positions[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.position - b.position);
  }
}

/** Whether (sa, pa) ranks below (sb, pb): lower score, or the same score at a later position. */
function worse(sa: number, pa: number, sb: number, pb: number): boolean {
  return sa < sb || (sa === sb && pa > pb);
}
