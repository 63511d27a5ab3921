/**
 * The wasm backend's layout of a `mixed` table, scored in place by the fused scan kernel (wasm-scan.ts,
 * kernel/scan.wat): each band of rows that keep the same number of dimensions (rows [count_s, count_{s−1}) keep
 * s) is one segment of s rows in the packed layout of packed-layout.ts, its row r multiplying user dim r with
 * weight 1, in the file's dtype (f16 as half-precision bit patterns in a 'bool' tensor, widened in registers; a
 * band with subnormal halves held times 2^10 and weighted 2^-10, see half.ts). So `residentDtype` is undefined
 * and resident bytes are the file's: the kept columns and the permutation.
 *
 * The bands run in row order, so the kernel offers rows where positions would be: with the identity (no
 * permutation) rows are positions and it excludes and breaks ties exactly; with a permutation it returns rows,
 * and permuted-top.ts maps them to positions (ties by position, exclusions skipped) without an inverse table.
 * Measured at 100k items × 64 dims (3.2M values), against one segment of the same values: 1.03–1.13× the time
 * per value (f32 and f16, both builds, Node 20's V8), the bands costing little but their tails (< 32 items each,
 * scored one at a time), so a kernel of its own would not pay (issue 20).
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeBlock, type TableSelection, type Variant } from '@peelrec/format';
import { halfToFloat, halves, packLifted } from '../half.js';
import { packedIndex, packHalves, packInto } from '../packed-layout.js';
import type { ScoredPosition } from '../reference.js';
import { type KernelBuild, type ScanPlan, type ScanSegment, WasmScan } from '../wasm-scan.js';
import type { KindLayout, KindLayoutFactory, KindModel, VariantBytes } from './kind-layout.js';
import { topThroughPermutation } from './permuted-top.js';
import { checkUserVector, type MixedBand, mixedParts, rowsOfPositions } from './variant-parts.js';

/** A band as a kernel segment; an f16 one's values are `scale` × the halves held (1, or 2^-10: half.ts). */
type BandSegment = ScanSegment & MixedBand & { readonly scale: number };

interface Held {
  readonly bands: readonly BandSegment[];
  readonly plan: ScanPlan;
  readonly permutation: Uint16Array | Uint32Array | undefined;
}

const NONE: ReadonlySet<number> = new Set();

/** The kept columns' elements as the packed layout holds them (f16: the bit patterns). */
type Columns = { readonly dtype: 'f16'; readonly values: readonly Uint16Array[] } | { readonly dtype: 'f32'; readonly values: readonly Float32Array[] };

function columnElements(bytes: readonly Uint8Array[], dtype: 'f32' | 'f16'): Columns {
  if (dtype === 'f16') return { dtype, values: bytes.map(halves) };
  return { dtype, values: bytes.map((b) => (b.byteOffset % 4 === 0 ? new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4) : decodeBlock(b, 'f32'))) };
}

class MixedWasmLayout implements KindLayout {
  readonly residentDtype = undefined;
  private held: Held | undefined;

  constructor(
    private readonly model: KindModel,
    private readonly kernel: WasmScan,
  ) {}

  get residentBytes(): number {
    if (!this.held) return 0;
    return this.held.bands.reduce((n, b) => n + b.matrix.size * (b.matrix.dtype === 'bool' ? 1 : 4), 0) + (this.held.permutation?.byteLength ?? 0);
  }

  apply(selection: TableSelection, variant: Variant, bytes: VariantBytes): void {
    const parts = mixedParts(this.model, selection, variant, bytes);
    const columns = columnElements(parts.columns, parts.dtype);
    const bands: BandSegment[] = [];
    let plan: ScanPlan;
    try {
      for (const band of parts.bands) bands.push(this.pack(band, columns));
      plan = this.kernel.plan(bands, parts.rows);
    } catch (e) {
      for (const b of bands) b.matrix.dispose();
      throw e;
    }
    this.release();
    this.held = { bands, plan, permutation: parts.permutation };
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    checkUserVector(this.model, vector);
    const held = this.held;
    k = Math.min(k, this.model.items.count);
    if (!held || !(k > 0)) return [];
    if (!held.permutation) return this.kernel.top(held.plan, vector, k, exclude);
    return topThroughPermutation((want) => this.kernel.top(held.plan, vector, want, NONE), held.permutation, k, exclude);
  }

  async itemVectors(positions: readonly number[]): Promise<Float32Array[]> {
    const out = positions.map(() => new Float32Array(this.model.dims.fullDim));
    const held = this.held;
    if (!held) return out;
    rowsOfPositions(positions, held.permutation, this.model.items.count).forEach((j, i) => {
      const band = held.bands.find((b) => j >= b.lo && j < b.hi);
      if (!band) return;
      const n = band.hi - band.lo;
      const offset = this.kernel.offsetOf(band.matrix);
      const values = band.dtype === 'f16' ? new Uint16Array(this.kernel.view(), offset, band.size * n) : new Float32Array(this.kernel.view(), offset, band.size * n);
      for (let r = 0; r < band.size; r++) {
        const v = values[packedIndex(band.size, n, r, j - band.lo, band.dtype)]!;
        out[i]![r] = band.dtype === 'f16' ? band.scale * halfToFloat(v) : v;
      }
    });
    return out;
  }

  dispose(): void {
    try {
      this.release();
      this.kernel.dispose();
    } catch {
      // the backend was torn down with its memory
    }
    this.held = undefined;
  }

  forget(): void {
    const held = this.held;
    this.held = undefined; // its plan lived in the memory that went away with the backend
    for (const b of held?.bands ?? []) {
      try {
        b.matrix.dispose();
      } catch {
        // the engine may refuse to free what it cannot reach
      }
    }
  }

  /** Frees what is held: the kernel's plan, then the band tensors. */
  private release(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    this.kernel.release(held.plan);
    for (const b of held.bands) b.matrix.dispose();
  }

  /** One band as a kernel segment: its `size` columns' values of rows [lo, hi), packed (f16: lifted where half.ts says). */
  private pack(band: MixedBand, columns: Columns): BandSegment {
    const { size, lo, hi } = band;
    const n = hi - lo;
    let matrix: tf.Tensor;
    let scale = 1;
    if (columns.dtype === 'f16') {
      const packed = new Uint16Array(size * n);
      const parts = columns.values.slice(0, size).map((c) => c.subarray(lo, hi));
      // The 2^-10 of a lifted band rides in its rows' weights, so every product the kernel forms is as before.
      scale = packLifted(parts, (part, r, map) => packHalves(packed, size, n, r, part, 1, map));
      matrix = tf.tensor1d(new Uint8Array(packed.buffer), 'bool');
    } else {
      const packed = new Float32Array(size * n);
      for (let r = 0; r < size; r++) packInto(packed, size, n, r, 0, columns.values[r]!.subarray(lo, hi), 1, n);
      matrix = tf.tensor1d(packed);
    }
    const dims = Int32Array.from({ length: size }, (_, r) => r);
    return { ...band, matrix, dtype: columns.dtype, rows: size, count: n, start: lo, dims, rowWeights: new Float32Array(size).fill(scale), scale };
  }
}

/** The registry entry of one kernel build. */
function mixedWasm(build: KernelBuild): KindLayoutFactory {
  return {
    name: `mixed-wasm-${build}`,
    kind: 'mixed',
    residentDtype: undefined,
    // The kernel runs wherever tfjs-wasm runs with SIMD.
    expects: (backend) => backend === 'wasm' && WasmScan.supported(),
    open: async (model) => {
      const kernel = await WasmScan.open(build);
      return kernel && new MixedWasmLayout(model, kernel);
    },
  };
}

export const mixedWasmRelaxedSimd = mixedWasm('relaxed-simd');
export const mixedWasmSimd = mixedWasm('simd');
