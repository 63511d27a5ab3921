/**
 * The memory-bandwidth bound: kernels that only stream the bytes a scorer
 * must read, so no scorer holding those bytes can be faster.
 */
import { encodeBlock } from '@peelrec/format';
import type { Impl } from '../timed.js';
import type { GroupMatrix } from './onnx-graph.js';
import { WasmStream } from './wasm-kernels.js';

/** The f16 encodings of the group matrices (the bytes of the artifact's f16 files), viewed as f32 words for the stream kernels. */
export function f16Arrays(groups: readonly GroupMatrix[]): Float32Array[] {
  return groups.map((g) => {
    const bytes = encodeBlock(g.matrix, 'f16');
    return new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
  });
}

/**
 * One byte per value, what the runtime holds of i8 blocks on WASM (their int8 values; the scales live in its
 * plan), viewed as f32 words. The bytes only have to be streamed, not be the artifact's: a constant that reads
 * as a normal float (0x3f3f3f3f ≈ 0.75) keeps subnormals, which some CPUs add slowly, out of the JS sum.
 */
export function i8Arrays(groups: readonly GroupMatrix[]): Float32Array[] {
  return groups.map((g) => new Float32Array(Math.floor(g.matrix.length / 4)).fill(new Float32Array(new Uint32Array([0x3f3f3f3f]).buffer)[0]!));
}

/**
 * What the bound streams for a runtime holding `residentBytes`: the f32 group
 * matrices, or (when the runtime holds f16 blocks as f16, i.e. half of them)
 * their f16 encodings, or (i8 blocks as int8, a quarter) one byte per value.
 */
export function residentArrays(groups: readonly GroupMatrix[], residentBytes: number): { arrays: Float32Array[]; bytes: number } {
  const f32Bytes = groups.reduce((n, g) => n + g.matrix.byteLength, 0);
  if (residentBytes === f32Bytes) return { arrays: groups.map((g) => g.matrix), bytes: f32Bytes };
  // Word-sized arrays: each group may round down by a word (f16: half of one).
  const sized = (arrays: Float32Array[], slack: number) => {
    const bytes = arrays.reduce((n, a) => n + a.byteLength, 0);
    return Math.abs(bytes - residentBytes) <= slack * groups.length ? { arrays, bytes } : undefined;
  };
  // Nearer f16's half than i8's quarter of the f32 bytes: f16.
  const held = residentBytes > (f32Bytes * 3) / 8 ? sized(f16Arrays(groups), 2) : sized(i8Arrays(groups), 4);
  if (!held) throw new Error(`the runtime holds ${residentBytes} B, none of the selection's f32 (${f32Bytes} B), f16 (${f32Bytes / 2} B) or i8 (${f32Bytes / 4} B) bytes`);
  return held;
}

/** The bound two ways: a plain JS sum over the very same arrays, and a SIMD sum over a copy in wasm memory. */
export async function boundImpls(arrays: Float32Array[]): Promise<Impl[]> {
  const stream = await WasmStream.of(arrays);
  return [
    {
      impl: 'bound-js',
      backend: 'js',
      scores: false,
      run: () => {
        let a = 0,
          b = 0,
          c = 0,
          d = 0;
        for (const m of arrays) {
          const n4 = m.length & ~3;
          for (let i = 0; i < n4; i += 4) {
            a += m[i]!;
            b += m[i + 1]!;
            c += m[i + 2]!;
            d += m[i + 3]!;
          }
          for (let i = n4; i < m.length; i++) a += m[i]!;
        }
        return a + b + c + d;
      },
    },
    { impl: 'bound-wasm-simd', backend: 'wasm', scores: false, run: () => stream.run() },
  ];
}
