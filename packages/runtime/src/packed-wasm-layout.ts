/**
 * The wasm backend's layout, scored in place by the fused kernel of wasm-scan.ts: one tensor per item group,
 * its selected blocks stacked as rows in the packed layout of packed-layout.ts, holding the block files'
 * values unweighted and in the files' dtype: f32 as float32, f16 as half-precision bit patterns (2 bytes
 * each; a band with subnormal halves lifted times 2^10, see half.ts), i8 as int8 (1 byte each, its sign bit
 * flipped: packed-layout.ts). A band's scale (the i8 block's 4-byte scale, or that f16 band's 2^-10) is folded
 * into its rows' weights in the kernel's plan.
 * The kernel applies the weights through the user coefficients, widens f16 in registers and sums i8 in
 * integers, so the budget counts every block at its file size (`residentDtype` undefined): resident bytes are
 * the selection's, less 4 per i8 block.
 *
 * Two registry entries, one per build of the kernel: the relaxed-SIMD one (fused multiply-add) opens only
 * where the engine has relaxed SIMD, and the plain-SIMD one serves where it does not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeBlock, type Dtype, i8Scale, I8_HEADER_BYTES, type Selection } from '@peelrec/format';
import { halfToFloat, halves, packLifted } from './half.js';
import { itemVectorsOf, sameList } from './block-bands.js';
import { i8RowWeight } from './i8-scores.js';
import { type Elements, heldI8At, packedIndex, packHalves, packInto, unpack } from './packed-layout.js';
import type { ScoredPosition } from './reference.js';
import type { FreshBlock, ItemVectors, LayoutFactory, ScorerModel, TableLayout } from './table-layout.js';
import { type KernelBuild, type ScanPlan, type ScanSegment, WasmScan } from './wasm-scan.js';

/** One item group's unweighted blocks in the packed layout, in the file dtype (see wasm-scan.ts). */
interface PackedSegment extends ScanSegment {
  readonly itemGroup: number;
  /** Block index of each row band, in row order. */
  readonly blocks: readonly number[];
  /** Each band's scale (i8: the block's; f16: 2^-10 where its halves were scaled out of the subnormal range; else 1): a value is scale × the element held. */
  readonly scales: readonly number[];
}

/** A block file's elements and the scale they are multiplied by (f16: none yet, packLifted picks it as it packs them). */
function fileElements(bytes: Uint8Array, dtype: Dtype): { values: Elements; scale?: number } {
  if (dtype === 'f16') return { values: halves(bytes) };
  if (dtype === 'i8') return { values: new Int8Array(bytes.buffer, bytes.byteOffset + I8_HEADER_BYTES, bytes.byteLength - I8_HEADER_BYTES), scale: i8Scale(bytes) };
  return { values: decodeBlock(bytes, 'f32'), scale: 1 };
}

/** `length` elements of `dtype` at byte `offset` of the kernel's memory. */
function heldElements(buffer: ArrayBuffer, offset: number, length: number, dtype: Dtype): Elements {
  if (dtype === 'f16') return new Uint16Array(buffer, offset, length);
  if (dtype === 'i8') return new Int8Array(buffer, offset, length);
  return new Float32Array(buffer, offset, length);
}

/** The f32 weight of a row: its block's score weight times its band's scale (i8: the kernel sums the int8 values; f16: 1 or 2^-10, exact). */
const rowWeight = (dtype: Dtype, scoreWeight: number, scale: number) => (dtype === 'i8' ? i8RowWeight(scoreWeight, scale) : Math.fround(scoreWeight * scale));

class PackedWasmLayout implements TableLayout {
  readonly residentDtype = undefined;
  private segments: PackedSegment[] = [];
  /** The kernel's table of the segments (see wasm-scan.ts). */
  private plan: ScanPlan | undefined;
  private weights: ReadonlyMap<string, number> = new Map();

  constructor(
    private readonly model: ScorerModel,
    private readonly kernel: WasmScan,
  ) {}

  get residentBytes(): number {
    return this.segments.reduce((n, s) => n + s.matrix.size * (s.matrix.dtype === 'bool' ? 1 : 4), 0);
  }

  apply(selection: Selection, fresh: FreshBlock, reuse: boolean): void {
    const old = this.segments;
    const next: PackedSegment[] = [];
    let plan: ScanPlan;
    try {
      this.build(selection, fresh, reuse ? old : [], next);
      plan = this.kernel.plan(next, this.model.items.count);
    } catch (e) {
      for (const s of next) if (!old.includes(s)) s.matrix.dispose();
      throw e;
    }
    if (this.plan) this.kernel.release(this.plan);
    this.plan = plan;
    for (const s of old) if (!next.includes(s)) s.matrix.dispose();
    this.segments = next;
    this.weights = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    return this.plan ? this.kernel.top(this.plan, vector, k, exclude) : [];
  }

  itemVectors(positions: readonly number[]): Promise<ItemVectors> {
    return itemVectorsOf(this.model, this.weights, this.segments, positions, (s, cols) => this.read(s, cols), false);
  }

  dispose(): void {
    try {
      if (this.plan) this.kernel.release(this.plan);
      this.kernel.dispose();
    } catch {
      // the backend was torn down with its memory
    }
    this.plan = undefined;
    for (const s of this.segments) s.matrix.dispose();
    this.segments = [];
  }

  forget(): void {
    this.plan = undefined; // in the memory that went away with the backend, like the kernel's scratch
    for (const s of this.segments) {
      try {
        s.matrix.dispose();
      } catch {
        // the engine may refuse to free what it cannot reach
      }
    }
    this.segments = [];
  }

  private build(selection: Selection, fresh: FreshBlock, old: readonly PackedSegment[], next: PackedSegment[]): void {
    const { blockDim } = this.model.dims;
    const dtype = selection.dtype;
    const weight = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
    selection.byItemGroup.forEach((blocks, g) => {
      const { start, count: n } = this.model.itemGroups[g]!;
      const prev = old.find((s) => s.itemGroup === g);
      // Reused whole only when weighted alike too (another user group sharing these bytes may score them with
      // other weights or another scoring rule); otherwise its bands are copied below and weighted afresh.
      if (prev && sameList(prev.blocks, blocks) && blocks.every((b, k) => prev.rowWeights[k * blockDim] === rowWeight(dtype, weight.get(`${g}/${b}`)!, prev.scales[k]!))) {
        next.push(prev);
        return;
      }
      const rows = blocks.length * blockDim;
      const packed = dtype === 'f16' ? new Uint16Array(rows * n) : dtype === 'i8' ? new Int8Array(rows * n) : new Float32Array(rows * n);
      const scales: number[] = [];
      const band = (k: number, src: Elements, scale: number | undefined) => {
        if (src.length !== blockDim * n) throw new RangeError(`block (${g}, ${blocks[k]}) has ${src.length} values, expected ${blockDim * n}`);
        if (scale === undefined && packed instanceof Uint16Array && src instanceof Uint16Array) {
          // A fresh f16 block, held times 2^10 where half.ts lifts it out of the subnormals.
          scales.push(packLifted([src], (part, _, map) => packHalves(packed, rows, n, k * blockDim, part, blockDim, map)));
        } else {
          packInto(packed, rows, n, k * blockDim, 0, src, blockDim, n, { dtype });
          scales.push(scale ?? 1);
        }
      };
      blocks.forEach((b, k) => {
        const j = prev ? prev.blocks.indexOf(b) : -1;
        if (prev && j >= 0) {
          // Still resident: copy the band out of the old matrix (same dtype, same bytes, same scale).
          const src = heldElements(this.kernel.view(), this.kernel.offsetOf(prev.matrix), prev.rows * n, dtype);
          band(k, unpack(src, 0, prev.rows, n, j * blockDim, 0, blockDim, n, dtype), prev.scales[j]!);
        } else {
          const { values, scale } = fileElements(fresh(g, b), dtype);
          band(k, values, scale);
        }
      });
      const matrix = packed instanceof Float32Array ? tf.tensor1d(packed) : tf.tensor1d(new Uint8Array(packed.buffer), 'bool');
      // Row r multiplies user dim blocks[r / blockDim]·blockDim + r mod blockDim, weighted by that block's weight.
      const dims = Int32Array.from({ length: rows }, (_, r) => blocks[Math.floor(r / blockDim)]! * blockDim + (r % blockDim));
      const rowWeights = Float32Array.from({ length: rows }, (_, r) => {
        const k = Math.floor(r / blockDim);
        return rowWeight(dtype, weight.get(`${g}/${blocks[k]}`)!, scales[k]!);
      });
      next.push({ itemGroup: g, blocks, scales, dims, rowWeights, start, count: n, rows, dtype, matrix });
    });
  }

  /** Values of `cols` of a segment, widened to f32 and times their band's scale (as decodeBlock gives them), dim-major [rows, cols.length]. */
  private read(s: PackedSegment, cols: readonly number[]): Float32Array {
    const { blockDim } = this.model.dims;
    const src = heldElements(this.kernel.view(), this.kernel.offsetOf(s.matrix), s.rows * s.count, s.dtype);
    const out = new Float32Array(s.rows * cols.length);
    for (let r = 0; r < s.rows; r++) {
      const scale = s.scales[Math.floor(r / blockDim)]!;
      cols.forEach((col, c) => {
        const held = src[packedIndex(s.rows, s.count, r, col, s.dtype)]!;
        out[r * cols.length + c] = s.dtype === 'f16' ? scale * halfToFloat(held) : s.dtype === 'i8' ? scale * heldI8At(held, s.rows, s.count, r, col) : held;
      });
    }
    return out;
  }
}

/** The registry entry of one kernel build. */
function packedWasm(build: KernelBuild): LayoutFactory {
  return {
    name: `wasm-packed-${build}`,
    kind: 'peel-blocks',
    residentDtype: undefined,
    // The kernel runs wherever tfjs-wasm runs with SIMD.
    expects: (backend) => backend === 'wasm' && WasmScan.supported(),
    open: async (model) => {
      const kernel = await WasmScan.open(build);
      return kernel && new PackedWasmLayout(model, kernel);
    },
  };
}

export const packedWasmRelaxedSimd = packedWasm('relaxed-simd');
export const packedWasmSimd = packedWasm('simd');
