import { setFloat16 } from '@petamoriken/float16';
import { describe, expect, it } from 'vitest';
import { blockFromRows, decodeBlock, decodeUserShard, encodeBlock, encodeUserShard, i8Scale } from '../src/index.js';

describe('block codec', () => {
  it('round-trips f32 exactly and writes little-endian', () => {
    const v = Float32Array.from([1, -2.5, 3.25, 1e-20]);
    const bytes = encodeBlock(v, 'f32');
    expect(bytes.byteLength).toBe(16);
    expect(Array.from(bytes.slice(0, 4))).toEqual([0, 0, 0x80, 0x3f]); // 1.0f LE
    expect(decodeBlock(bytes, 'f32')).toEqual(v);
  });

  it('round-trips f16 within half precision', () => {
    const v = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
    const back = decodeBlock(encodeBlock(v, 'f16'), 'f16');
    for (let i = 0; i < v.length; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(Math.abs(v[i]!) * 2 ** -11 + 1e-7);
    const one = encodeBlock(Float32Array.of(1), 'f16');
    expect(Array.from(one)).toEqual([0x00, 0x3c]);
  });

  it('encodes f16 bit-identically to @petamoriken/float16 (round to nearest even, subnormals, overflow, NaN)', () => {
    const bits = new Uint32Array(200_000);
    let x = 12345;
    for (let i = 0; i < bits.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      bits[i] = x;
    }
    // Edge cases: every f16 boundary region, exact ties, the subnormal range and overflow.
    const edge = [
      0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x477fe000, 0x477fefff, 0x477ff000, 0x47800000, 0x38800000, 0x387fffff, 0x33000000, 0x33000001, 0x32ffffff, 0x33800000, 0x3f801000,
      0x3f803000, 0x3f800fff, 0x3f801001,
    ];
    for (let k = 0; k < 4096; k++) edge.push((((k & 0xff) + 96) << 23) | ((k >> 8) << 9) | 0x1000);
    const values = new Float32Array(bits.length + edge.length);
    new Uint32Array(values.buffer).set(bits);
    new Uint32Array(values.buffer).set(edge, bits.length);
    const ours = encodeBlock(values, 'f16');
    const ref = new Uint8Array(values.length * 2);
    const view = new DataView(ref.buffer);
    for (let i = 0; i < values.length; i++) setFloat16(view, i * 2, values[i]!, true);
    expect(Buffer.from(ours).equals(Buffer.from(ref))).toBe(true);
  });

  it('quantises i8 symmetrically with one scale per block, every element within half a step', () => {
    const v = Float32Array.from({ length: 999 }, (_, i) => Math.sin(i * 1.7) * 2.5 - (i === 500 ? 1 : 0));
    const bytes = encodeBlock(v, 'i8');
    expect(bytes.byteLength).toBe(4 + v.length);
    let max = 0;
    for (const x of v) max = Math.max(max, Math.abs(x));
    const scale = i8Scale(bytes);
    expect(scale).toBe(Math.fround(max / 127));
    const q = new Int8Array(bytes.buffer, 4);
    expect(Math.max(...q.map(Math.abs))).toBe(127);
    expect(Math.min(...q)).toBeGreaterThanOrEqual(-127); // -128 never used: the range is symmetric
    const back = decodeBlock(bytes, 'i8');
    for (let i = 0; i < v.length; i++) {
      expect(back[i]).toBe(Math.fround(scale * q[i]!));
      expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6);
    }
  });

  it('encodes an all-zero block as scale 0, and refuses non-finite values in i8', () => {
    const zeros = encodeBlock(new Float32Array(8), 'i8');
    expect(Array.from(zeros)).toEqual(new Array(12).fill(0));
    expect(Array.from(decodeBlock(zeros, 'i8'))).toEqual(new Array(8).fill(0));
    expect(() => encodeBlock(Float32Array.of(1, Number.POSITIVE_INFINITY), 'i8')).toThrow(/finite/);
    expect(() => encodeBlock(Float32Array.of(Number.NaN), 'i8')).toThrow(/finite/);
    expect(() => decodeBlock(new Uint8Array(3), 'i8')).toThrow(/no scale/);
  });

  it('decodes an unaligned i8 payload (a range of a packed file)', () => {
    const v = Float32Array.from([1, -0.5, 0.25, 0]);
    const padded = new Uint8Array(9);
    padded.set(encodeBlock(v, 'i8'), 1);
    expect(Array.from(decodeBlock(padded.subarray(1), 'i8'))).toEqual(Array.from(decodeBlock(encodeBlock(v, 'i8'), 'i8')));
  });

  it('decodes unaligned payloads', () => {
    const v = Float32Array.from([7, 8, 9]);
    const padded = new Uint8Array(13);
    padded.set(encodeBlock(v, 'f32'), 1);
    expect(decodeBlock(padded.subarray(1), 'f32')).toEqual(v);
  });

  it('rejects payloads that are not whole elements', () => {
    expect(() => decodeBlock(new Uint8Array(5), 'f32')).toThrow(/whole number/);
  });

  it('lays blocks out dim-major: row r is dimension r of every item', () => {
    // 3 items × fullDim 4, blockDim 2: item i, dim d has value 10*i + d
    const rows = Float32Array.from({ length: 12 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4));
    expect(Array.from(blockFromRows(rows, 4, 2, 1, 1, 2))).toEqual([12, 22, 13, 23]);
  });
});

describe('user shard codec', () => {
  it('round-trips vectors and group ids', () => {
    const vectors = Float32Array.from({ length: 6 }, (_, i) => i / 2);
    const groups = Uint16Array.from([3, 65535]);
    const out = decodeUserShard(encodeUserShard(vectors, groups, 3), 3, 2);
    expect(out.vectors).toEqual(vectors);
    expect(out.groups).toEqual(groups);
  });

  it('rejects a shard of the wrong size', () => {
    expect(() => decodeUserShard(new Uint8Array(10), 3, 2)).toThrow(/expected 28/);
  });
});
