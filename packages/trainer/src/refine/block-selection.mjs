// Block selection as refinement models it: which blocks a budget keeps (keepMask, the rule of selectBlocks in
// @peelrec/format), its relaxation the controller trains through (softKeep), and the factors the kept blocks'
// scores are scaled by, with their gradient. Pure functions of the weights.

/**
 * Sets `mask` to 1 at each item group's highest-weight block (selection keeps it at any budget) and returns
 * the indices (g·B + b) of every other block, in index order.
 * @param {Float64Array} w @param {number} G @param {number} B @param {Uint8Array | Float64Array} mask
 * @returns {number[]}
 */
function keepTops(w, G, B, mask) {
  const rest = [];
  for (let g = 0; g < G; g++) {
    let top = g * B;
    for (let b = 1; b < B; b++) if (w[g * B + b] > w[top]) top = g * B + b;
    mask[top] = 1;
    for (let b = 0; b < B; b++) if (g * B + b !== top) rest.push(g * B + b);
  }
  return rest;
}

/**
 * Which blocks a budget keeping `keep` of the G·B blocks retains, by the rule of selectBlocks in
 * @peelrec/format (item groups are near-equal in size, so every block costs the same): each item group's
 * highest-weight block first, then the rest by descending weight, ties by (itemGroup, block).
 * @param {Float64Array} w @param {number} G @param {number} B @param {number} keep
 * @returns {Uint8Array}
 */
export function keepMask(w, G, B, keep) {
  const mask = new Uint8Array(G * B);
  if (keep >= G * B) return mask.fill(1);
  const rest = keepTops(w, G, B, mask);
  rest.sort((a, c) => w[c] - w[a] || a - c);
  for (let k = 0; k < keep - G && k < rest.length; k++) mask[rest[k]] = 1;
  return mask;
}

/** Width of the relaxed mask's sigmoid, as a share of the spread (std) of the log-weights it ranks. */
const SOFT_WIDTH = 0.25;

/**
 * The relaxed keepMask the controller's outer step trains through: as in keepMask, each item group's top block
 * is kept (m = 1); every other block gets m = σ((log w − θ)/κ), with θ set (by bisection) so that the masks sum
 * to keep − G. A hard mask gives the controller no gradient for *which* blocks a budget keeps, only for how the
 * kept ones are weighed; this one does.
 * @param {Float64Array} w @param {number} G @param {number} B @param {number} keep
 * @param {number} [kappa] sigmoid width in log-weight units (default SOFT_WIDTH·std of the ranked log-weights)
 * @returns {{ m: Float64Array, s: Float64Array, kappa: number }} masks and ∂m/∂log w at fixed θ (0 where forced)
 */
export function softKeep(w, G, B, keep, kappa) {
  const m = new Float64Array(G * B);
  const s = new Float64Array(G * B);
  const free = keepTops(w, G, B, m);
  const target = Math.min(Math.max(keep - G, 0), free.length);
  const l = free.map((k) => Math.log(w[k]));
  if (kappa === undefined) {
    const mean = l.reduce((a, v) => a + v, 0) / (l.length || 1);
    kappa = SOFT_WIDTH * Math.sqrt(l.reduce((a, v) => a + (v - mean) ** 2, 0) / (l.length || 1)) || 1e-3;
  }
  const k = kappa;
  const sig = (/** @type {number} */ v) => 1 / (1 + Math.exp(-v));
  let lo = Math.min(...l, 0) - 40 * k;
  let hi = Math.max(...l, 0) + 40 * k;
  for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); it++) {
    const th = (lo + hi) / 2;
    let sum = 0;
    for (const v of l) sum += sig((v - th) / k);
    if (sum > target) lo = th;
    else hi = th;
  }
  const theta = (lo + hi) / 2;
  free.forEach((idx, j) => {
    const mj = sig((l[j] - theta) / k);
    m[idx] = mj;
    s[idx] = (mj * (1 - mj)) / k;
  });
  return { m, s, kappa: k };
}

/**
 * The factors each (item group, block) of the scores is scaled by: eff = B·w·m / S_g, with S_g = Σ_b w·m over
 * the group (the weighted mean over kept blocks) when renormalising, else 1.
 * @param {Float64Array} w @param {Float64Array | Uint8Array} m @param {number} G @param {number} B
 * @param {boolean} renormalize @param {Float64Array} [out]
 */
export function effectiveFactors(w, m, G, B, renormalize, out = new Float64Array(G * B)) {
  for (let g = 0; g < G; g++) {
    let S = 0;
    for (let b = 0; b < B; b++) S += w[g * B + b] * m[g * B + b];
    if (!renormalize || S <= 0) S = 1;
    for (let b = 0; b < B; b++) out[g * B + b] = (B * w[g * B + b] * m[g * B + b]) / S;
  }
  return out;
}

/**
 * dL/dw from dL/deff (see effectiveFactors). With a relaxed mask (`soft`), also through the masks: m moves
 * with log w at fixed θ, and θ moves with every log w so that Σ m stays on budget.
 * @param {Float64Array} w @param {Float64Array | Uint8Array} m @param {{ s: Float64Array } | null} soft
 * @param {Float64Array} dEff @param {number} G @param {number} B @param {boolean} renormalize
 * @param {Float64Array} [out]
 */
export function effectiveBackward(w, m, soft, dEff, G, B, renormalize, out = new Float64Array(G * B)) {
  const dM = soft ? new Float64Array(G * B) : null;
  for (let g = 0; g < G; g++) {
    let S = 0;
    for (let b = 0; b < B; b++) S += w[g * B + b] * m[g * B + b];
    let dot = 0;
    if (!renormalize || S <= 0) S = 1;
    else for (let b = 0; b < B; b++) dot += (dEff[g * B + b] * w[g * B + b] * m[g * B + b]) / S;
    for (let b = 0; b < B; b++) {
      const k = g * B + b;
      const dA = (B / S) * (dEff[k] - dot); // dL/d(w·m)
      out[k] = dA * m[k];
      if (dM) dM[k] = dA * w[k];
    }
  }
  if (soft && dM) {
    let ss = 0;
    let sd = 0;
    for (let k = 0; k < G * B; k++) {
      ss += soft.s[k];
      sd += soft.s[k] * dM[k];
    }
    const shift = ss > 0 ? sd / ss : 0;
    for (let k = 0; k < G * B; k++) out[k] += (soft.s[k] * (dM[k] - shift)) / w[k];
  }
  return out;
}
