/**
 * The wasm backend's layout of a `sparse` table: the payload exactly as stored (row counts, indices, padding,
 * values in the file's dtype) in one 'bool' tensor (tfjs's one-byte dtype, used as a byte buffer, never an
 * operand of a tfjs op), scored in place by the kernel's CSR scan (sparse-scan.ts). f16 values stay 2 bytes and
 * are widened in registers, so `residentDtype` is undefined and resident bytes are the file's, the variant's
 * `bytes`. A table with subnormal halves holds them times 2^10 (half.ts: the kernel multiplies f32 subnormals
 * through x86 microcode assists), the 2^-10 folded into the user's coefficients, so every product is as it is
 * unlifted. Two registry entries, one per build of the kernel, as for the dense layouts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TableSelection, Variant } from '@peelrec/format';
import { halfToFloat, liftInPlace } from '../half.js';
import type { ScoredPosition } from '../reference.js';
import { type KernelBuild, WasmScan } from '../wasm-scan.js';
import type { KindLayout, KindLayoutFactory, KindModel, VariantBytes } from './kind-layout.js';
import { type HeldSparse, SparseScan } from './sparse-scan.js';
import { checkUserVector, sparseParts } from './variant-parts.js';

type Held = Omit<HeldSparse, 'base'> & { readonly tensor: tf.Tensor };

class SparseWasmLayout implements KindLayout {
  readonly residentDtype = undefined;
  private held: Held | undefined;

  constructor(
    private readonly model: KindModel,
    private readonly kernel: SparseScan,
  ) {}

  get residentBytes(): number {
    return this.held?.tensor.size ?? 0;
  }

  apply(selection: TableSelection, variant: Variant, bytes: VariantBytes): void {
    const { payload, rows, nnz, valuesOffset, dtype } = sparseParts(this.model, selection, variant, bytes);
    const tensor = tf.tensor1d(payload, 'bool');
    // Lifted where it is held (tfjs-wasm copied the payload in): the store's bytes stay as verified.
    const scale = dtype === 'f16' ? liftInPlace(new Uint16Array(this.kernel.view(), this.kernel.offsetOf(tensor) + valuesOffset, nnz)) : 1;
    this.release();
    this.held = { tensor, rows, nnz, valuesOffset, dtype, scale };
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    checkUserVector(this.model, vector);
    const held = this.held;
    if (!held) return [];
    return this.kernel.top({ ...held, base: this.kernel.offsetOf(held.tensor) }, vector, k, exclude);
  }

  async itemVectors(positions: readonly number[]): Promise<Float32Array[]> {
    const out = positions.map(() => new Float32Array(this.model.dims.fullDim));
    const held = this.held;
    if (!held) return out;
    const { rows, valuesOffset, dtype, scale } = held;
    const bytes = new Uint8Array(this.kernel.view(), this.kernel.offsetOf(held.tensor), held.tensor.size);
    const values = new DataView(bytes.buffer, bytes.byteOffset + valuesOffset);
    const wanted = new Map<number, number[]>();
    positions.forEach((p, i) => Number.isInteger(p) && p >= 0 && p < rows && wanted.set(p, [...(wanted.get(p) ?? []), i]));
    for (let p = 0, e = 0; p < rows && wanted.size; e += bytes[p++]!) {
      const at = wanted.get(p);
      if (!at) continue;
      for (const i of at) {
        for (let t = e; t < e + bytes[p]!; t++) out[i]![bytes[rows + t]!] = dtype === 'f16' ? scale * halfToFloat(values.getUint16(t * 2, true)) : values.getFloat32(t * 4, true);
      }
      wanted.delete(p);
    }
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
    this.held = undefined;
    try {
      held?.tensor.dispose();
    } catch {
      // the engine may refuse to free what it cannot reach
    }
  }

  private release(): void {
    this.held?.tensor.dispose();
    this.held = undefined;
  }
}

/** The registry entry of one kernel build. */
function sparseWasm(build: KernelBuild): KindLayoutFactory {
  return {
    name: `sparse-wasm-${build}`,
    kind: 'sparse',
    residentDtype: undefined,
    // The kernel runs wherever tfjs-wasm runs with SIMD.
    expects: (backend) => backend === 'wasm' && WasmScan.supported(),
    open: async (model) => {
      const kernel = await SparseScan.open(build);
      return kernel && new SparseWasmLayout(model, kernel);
    },
  };
}

export const sparseWasmRelaxedSimd = sparseWasm('relaxed-simd');
export const sparseWasmSimd = sparseWasm('simd');
