/**
 * Binary payloads. Everything is little-endian. Block payloads are dim-major,
 * `[blockDim][itemsInGroup]`: row r holds dimension r of every item in the
 * group, so a block is the right operand of `matMul(user[1, d], items[d, n])`,
 * the untransposed form that hits XNNPACK's fast path on tfjs-wasm (the
 * transposed form measured ~2.7× slower). Concatenating selected blocks of a
 * group is then a concatenation of rows.
 */
import { getFloat16 } from '@petamoriken/float16';
import { BYTES_PER_ELEMENT, I8_HEADER_BYTES } from './constants.js';
import type { Dtype } from './manifest-files.js';
import { userShardByteLength } from './checks.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes f32 values (already dim-major) as a block payload in `dtype`. */
export function encodeBlock(values: Float32Array, dtype: Dtype): Uint8Array {
  if (dtype === 'i8') return encodeI8(values);
  const out = new Uint8Array(values.length * BYTES_PER_ELEMENT[dtype]);
  const view = new DataView(out.buffer);
  if (dtype === 'f32') {
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  } else {
    // Bit-level conversion: the library's setFloat16 measured ~50× slower, minutes for a Gowalla-sized artifact.
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    if (LITTLE_ENDIAN_HOST) {
      const halves = new Uint16Array(out.buffer);
      for (let i = 0; i < values.length; i++) halves[i] = halfBits(bits[i]!);
    } else {
      for (let i = 0; i < values.length; i++) view.setUint16(i * 2, halfBits(bits[i]!), true);
    }
  }
  return out;
}

/**
 * Symmetric 8-bit quantisation with one scale per block: `scale = max|v| / 127`,
 * `q = round(v / scale)` (ties away from zero), so every element decodes as
 * `scale × q` and `|q| ≤ 127`. One scale per block (not per row) keeps the payload
 * self-describing; per row measured 0.66 % against 0.79 % relative RMS error on
 * the demo model, not worth a second layout. A block of zeros has scale 0.
 */
function encodeI8(values: Float32Array): Uint8Array {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (!(a <= Number.MAX_VALUE)) throw new RangeError(`i8 blocks hold finite values only, got ${values[i]} at ${i}`);
    if (a > max) max = a;
  }
  const scale = Math.fround(max / 127);
  const out = new Uint8Array(I8_HEADER_BYTES + values.length);
  new DataView(out.buffer).setFloat32(0, scale, true);
  const q = new Int8Array(out.buffer, I8_HEADER_BYTES);
  if (scale > 0) for (let i = 0; i < values.length; i++) q[i] = Math.min(127, Math.round(Math.abs(values[i]!) / scale)) * Math.sign(values[i]!);
  return out;
}

/** The scale of an `i8` payload (its first four bytes). */
export function i8Scale(bytes: Uint8Array): number {
  if (bytes.byteLength < I8_HEADER_BYTES) throw new RangeError(`i8 payload of ${bytes.byteLength} bytes has no scale`);
  return new DataView(bytes.buffer, bytes.byteOffset, I8_HEADER_BYTES).getFloat32(0, true);
}

/**
 * IEEE 754 binary32 bits → binary16 bits, rounding to nearest, ties to even; overflow gives ±Infinity;
 * a NaN stays a quiet NaN with its sign and top payload bits. Bit-identical to @petamoriken/float16's
 * setFloat16 on f32 inputs (tested).
 */
export function halfBits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    const full = mant | 0x800000;
    const shift = 14 - e;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent rounds up to Infinity correctly
  return sign | h;
}

let f16Table: Float32Array | undefined;
/** All 65,536 half-precision values: a table lookup decodes ~10× faster than bit twiddling per element. */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    const v = new DataView(new ArrayBuffer(2));
    for (let h = 0; h < 65536; h++) {
      v.setUint16(0, h, true);
      f16Table[h] = getFloat16(v, 0, true);
    }
  }
  return f16Table;
}

/** Decodes a block payload to f32 (into `out` when given, e.g. a slice of a larger matrix). */
export function decodeBlock(bytes: Uint8Array, dtype: Dtype, out?: Float32Array): Float32Array {
  if (dtype === 'i8') return decodeI8(bytes, out);
  const n = bytes.byteLength / BYTES_PER_ELEMENT[dtype];
  if (!Number.isInteger(n)) throw new RangeError(`payload of ${bytes.byteLength} bytes is not a whole number of ${dtype}`);
  const dst = out ?? new Float32Array(n);
  if (dst.length < n) throw new RangeError(`output holds ${dst.length} values, payload has ${n}`);
  if (dtype === 'f32') {
    if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) {
      dst.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) dst[i] = view.getFloat32(i * 4, true);
    }
  } else {
    const table = halfTable();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) dst[i] = table[view.getUint16(i * 2, true)]!;
  }
  return dst;
}

function decodeI8(bytes: Uint8Array, out?: Float32Array): Float32Array {
  const scale = i8Scale(bytes);
  const n = bytes.byteLength - I8_HEADER_BYTES;
  const dst = out ?? new Float32Array(n);
  if (dst.length < n) throw new RangeError(`output holds ${dst.length} values, payload has ${n}`);
  const q = new Int8Array(bytes.buffer, bytes.byteOffset + I8_HEADER_BYTES, n);
  for (let i = 0; i < n; i++) dst[i] = scale * q[i]!;
  return dst;
}

/** Converts row-major item vectors `[n][fullDim]` to the dim-major payload of one block. */
export function blockFromRows(rows: Float32Array, fullDim: number, blockDim: number, block: number, start: number, count: number): Float32Array {
  const out = new Float32Array(blockDim * count);
  const off = block * blockDim;
  for (let i = 0; i < count; i++) {
    const src = (start + i) * fullDim + off;
    for (let r = 0; r < blockDim; r++) out[r * count + i] = rows[src + r]!;
  }
  return out;
}

/** A user shard: `users × fullDim` f32 vectors, then `users` u16 group ids. */
export function encodeUserShard(vectors: Float32Array, groups: Uint16Array, fullDim: number): Uint8Array {
  const users = groups.length;
  if (vectors.length !== users * fullDim) throw new RangeError(`vectors hold ${vectors.length} values, expected ${users * fullDim}`);
  const out = new Uint8Array(userShardByteLength(fullDim, users));
  const view = new DataView(out.buffer);
  for (let i = 0; i < vectors.length; i++) view.setFloat32(i * 4, vectors[i]!, true);
  const base = vectors.length * 4;
  for (let i = 0; i < users; i++) view.setUint16(base + i * 2, groups[i]!, true);
  return out;
}

export function decodeUserShard(bytes: Uint8Array, fullDim: number, users: number): { vectors: Float32Array; groups: Uint16Array } {
  if (bytes.byteLength !== userShardByteLength(fullDim, users)) {
    throw new RangeError(`user shard of ${bytes.byteLength} bytes, expected ${userShardByteLength(fullDim, users)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vectors = new Float32Array(users * fullDim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = view.getFloat32(i * 4, true);
  const groups = new Uint16Array(users);
  const base = vectors.length * 4;
  for (let i = 0; i < users; i++) groups[i] = view.getUint16(base + i * 2, true);
  return { vectors, groups };
}
