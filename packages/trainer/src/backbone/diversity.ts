/**
 * The quantity the diversity regularizer penalises, measured on a whole table: rows are normalised to unit
 * length, C = XᵀX / n, and the result is Σ_{b ≠ b'} ‖C_bb'‖²_F over pairs of different blocks.
 * 0 means the blocks are mutually uncorrelated.
 */
export function blockCrossCorrelation(table: Float32Array, dim: number, blockDim: number): number {
  if (dim % blockDim !== 0) throw new RangeError(`blockCrossCorrelation: blockDim ${blockDim} must divide dim ${dim}`);
  const n = table.length / dim;
  const c = new Float64Array(dim * dim);
  const x = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let p = 0; p < dim; p++) s += table[r * dim + p]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let p = 0; p < dim; p++) x[p] = table[r * dim + p]! * inv;
    for (let i = 0; i < dim; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      for (let j = 0; j < dim; j++) c[i * dim + j]! += xi * x[j]!;
    }
  }
  let total = 0;
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) if (Math.floor(i / blockDim) !== Math.floor(j / blockDim)) total += (c[i * dim + j]! / n) ** 2;
  return total;
}
