// The controller of PEEL refinement (trainer README, "Refinement"): a small MLP shared by the (item group, block)
// pairs of one user group, and the features it reads. Plain JavaScript: refinement runs in worker threads.

/** Features per (item group, block): popularity, loss signal, contribution. */
const FEATURES = 3;

/**
 * Offset of the per-block decay: softplus(z + DECAY_OFFSET) ≈ 0.018 at z = 0, so the first weights are
 * near-uniform (refinement starts from the backbone's scores) yet already ordered.
 */
const DECAY_OFFSET = -4;

function softplus(/** @type {number} */ v) {
  return v > 20 ? v : Math.log1p(Math.exp(v));
}

/**
 * The controller: a 2-layer MLP shared by every (item group, block) of one user group.
 * x[g][b] = (popularity of g, loss signal of (g,b), contribution of (g,b));  z = w2·tanh(W1 x + b1).
 * The backbone is nested (a block is trained to add to the blocks before it), so weights must fall with the
 * block index: logit[g][b] = −Σ_{1 ≤ b' ≤ b} softplus(z[g][b'] + DECAY_OFFSET) and weights[g][·] = softmax_b.
 * The controller thus learns how fast each item group's blocks lose importance, which is what decides how
 * many blocks each item group keeps at a budget; selection always keeps a prefix of an item's blocks.
 */
export class Controller {
  /** @param {number} hidden @param {() => number} rand */
  constructor(hidden, rand) {
    this.hidden = hidden;
    this.params = new Float64Array(hidden * FEATURES + hidden + hidden);
    const s1 = 1 / Math.sqrt(FEATURES);
    for (let k = 0; k < hidden * FEATURES; k++) this.params[k] = (rand() * 2 - 1) * s1;
    // Output weights start at 0: z = 0 everywhere, so every item group starts with the same weights and a
    // budget keeps the same number of blocks of each (first-k). Any random start would not be neutral:
    // within-group softmax makes a steeper group's first blocks heavier, so it would keep more of them.
    // (The output weights get gradient at once, the hidden layer after them.)
    this.m = new Float64Array(this.params.length);
    this.v = new Float64Array(this.params.length);
    this.t = 0;
  }

  /**
   * @param {Float64Array} x [G*B*FEATURES]
   * @param {number} G @param {number} B
   * @returns {{ w: Float64Array, h: Float64Array, z: Float64Array }} softmax weights [G*B], hidden activations
   *   [G*B*hidden] and MLP outputs [G*B]
   */
  forward(x, G, B) {
    const H = this.hidden;
    const p = this.params;
    const w = new Float64Array(G * B);
    const z = new Float64Array(G * B);
    const h = new Float64Array(G * B * H);
    for (let gb = 0; gb < G * B; gb++) {
      let o = 0;
      for (let j = 0; j < H; j++) {
        let a = p[H * FEATURES + j];
        for (let f = 0; f < FEATURES; f++) a += p[j * FEATURES + f] * x[gb * FEATURES + f];
        const hj = Math.tanh(a);
        h[gb * H + j] = hj;
        o += p[H * FEATURES + H + j] * hj;
      }
      z[gb] = o;
    }
    for (let g = 0; g < G; g++) {
      let logit = 0;
      let sum = 0;
      for (let b = 0; b < B; b++) {
        if (b > 0) logit -= softplus(z[g * B + b] + DECAY_OFFSET);
        sum += w[g * B + b] = Math.exp(logit); // logit ≤ 0: no overflow
      }
      for (let b = 0; b < B; b++) w[g * B + b] /= sum;
    }
    return { w, h, z };
  }

  /**
   * dL/dparams from dL/dweights (backprop through the softmax, the cumulative decay and the MLP).
   * @param {Float64Array} x @param {{ w: Float64Array, h: Float64Array, z: Float64Array }} fwd @param {Float64Array} dw
   * @param {number} G @param {number} B
   * @returns {Float64Array}
   */
  gradient(x, fwd, dw, G, B) {
    const H = this.hidden;
    const p = this.params;
    const grad = new Float64Array(p.length);
    const dzs = new Float64Array(B);
    for (let g = 0; g < G; g++) {
      let dot = 0;
      for (let b = 0; b < B; b++) dot += fwd.w[g * B + b] * dw[g * B + b];
      // Back through the softmax (dL/dlogit) and the cumulative decay: z[g][b'] lowers every logit b ≥ b'.
      let suffix = 0;
      for (let b = B - 1; b >= 1; b--) {
        suffix += fwd.w[g * B + b] * (dw[g * B + b] - dot);
        const zb = fwd.z[g * B + b] + DECAY_OFFSET;
        dzs[b] = -suffix / (1 + Math.exp(-zb));
      }
      dzs[0] = 0;
      for (let b = 0; b < B; b++) {
        const gb = g * B + b;
        const dz = dzs[b];
        if (dz === 0) continue;
        for (let j = 0; j < H; j++) {
          const hj = fwd.h[gb * H + j];
          grad[H * FEATURES + H + j] += dz * hj;
          const dpre = dz * p[H * FEATURES + H + j] * (1 - hj * hj);
          grad[H * FEATURES + j] += dpre;
          for (let f = 0; f < FEATURES; f++) grad[j * FEATURES + f] += dpre * x[gb * FEATURES + f];
        }
      }
    }
    return grad;
  }

  /**
   * One Adam step on dL/dweights.
   * @param {Float64Array} x @param {{ w: Float64Array, h: Float64Array, z: Float64Array }} fwd @param {Float64Array} dw
   * @param {number} G @param {number} B @param {number} lr
   */
  step(x, fwd, dw, G, B, lr) {
    const p = this.params;
    const grad = this.gradient(x, fwd, dw, G, B);
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let k = 0; k < p.length; k++) {
      this.m[k] = b1 * this.m[k] + (1 - b1) * grad[k];
      this.v[k] = b2 * this.v[k] + (1 - b2) * grad[k] * grad[k];
      p[k] -= (lr * this.m[k]) / c1 / (Math.sqrt(this.v[k] / c2) + 1e-8);
    }
  }
}

/**
 * The controller's inputs x[g][b] for one user group: the item group's popularity (standardised over the
 * item groups, fixed) and two running signals per (g, b), each divided by its RMS when refreshed: the loss
 * signal w·dL/dw and the block's mean contribution u·v to the positives' scores.
 */
export class ControllerFeatures {
  /**
   * @param {readonly number[]} groupPopularity mean log-popularity of each item group
   * @param {number} G item groups @param {number} B blocks
   */
  constructor(groupPopularity, G, B) {
    this.G = G;
    this.B = B;
    this.popularity = groupPopularity;
    /** [G*B*FEATURES], what Controller.forward reads; current as of the last refresh(). */
    this.x = new Float64Array(G * B * FEATURES);
    this.lossSignal = new Float64Array(G * B);
    this.contribution = new Float64Array(G * B);
    this.popMean = groupPopularity.reduce((a, v) => a + v, 0) / G;
    this.popStd = Math.sqrt(groupPopularity.reduce((a, v) => a + (v - this.popMean) ** 2, 0) / G) || 1;
  }

  /** Rewrites `x` from the running signals. */
  refresh() {
    const { G, B, x, lossSignal, contribution } = this;
    let r1 = 0;
    let r2 = 0;
    for (let k = 0; k < G * B; k++) {
      r1 += lossSignal[k] ** 2;
      r2 += contribution[k] ** 2;
    }
    r1 = Math.sqrt(r1 / (G * B)) || 1;
    r2 = Math.sqrt(r2 / (G * B)) || 1;
    for (let g = 0; g < G; g++) {
      for (let b = 0; b < B; b++) {
        const k = g * B + b;
        x[k * FEATURES] = (this.popularity[g] - this.popMean) / this.popStd;
        x[k * FEATURES + 1] = lossSignal[k] / r1;
        x[k * FEATURES + 2] = contribution[k] / r2;
      }
    }
  }

  /**
   * Folds one inner step into the running signals (exponential averages, factor 0.9).
   * @param {Float64Array} w the weights the step scored with @param {Float64Array} dw its dL/dw
   * @param {Float64Array} contribBatch Σ u·v of the batch's positives per (g, b)
   * @param {Float64Array} contribCount the batch's positives per item group
   */
  observe(w, dw, contribBatch, contribCount) {
    const { G, B, lossSignal, contribution } = this;
    for (let k = 0; k < G * B; k++) {
      lossSignal[k] = 0.9 * lossSignal[k] + 0.1 * w[k] * dw[k];
      const c = contribCount[Math.floor(k / B)];
      if (c > 0) contribution[k] = 0.9 * contribution[k] + 0.1 * (contribBatch[k] / c);
    }
  }
}
