/**
 * The packed layout the scan kernel (src/kernel/scan.wat) reads: a logical
 * [rows, n] matrix (row r = one user dim, column c = one item) stored as
 * tiles of TILE items, each tile holding its rows of TILE values back to back
 * (row after row), then the last n mod 32 items dim-major as [rows][n mod 32].
 * The element count is exactly rows·n, so resident bytes are those of the
 * dim-major matrix, and the kernel reads each tile as one contiguous run.
 *
 * f16 (bit patterns) differs in one way: within a tile row, each run of 8
 * items is stored as items 0, 4, 1, 5, 2, 6, 3, 7, because the kernel widens 8
 * halves with two `i32x4.dot_i16x8_s`, one taking the even halves (items 0–3)
 * and one the odd halves (items 4–7).
 *
 * i8 differs in two: a tile holds its rows in quads, each quad's 128 bytes
 * interleaved per item (item i: rows 4p, 4p + 2, 4p + 1, 4p + 3), and each
 * value q is held as the byte q + 128 (its sign bit flipped) except in a quad's
 * rows 4p + 2 and 4p + 3, held as q ({@link i8Flip}). Two bytes of a quad are
 * then one i16 lane u + 256·q', exactly, which the kernel multiplies as it is
 * and shifted right by 8 (scan-i8.wat). The last rows mod 4 follow the quads
 * as plain runs of 32 (no zero rows: resident bytes stay rows·n).
 */
import type { Dtype } from '@peelrec/format';

export const TILE = 32;

/** A typed array the layout moves elements of (Float32Array for f32, Uint16Array for f16 bits, Int8Array for i8). */
export type Elements = Float32Array | Uint16Array | Int8Array;

/** Where item `local` (0–31) of a tile row is stored within that row (f32, f16). */
const slot = (local: number, dtype: Dtype) => (dtype === 'f16' ? (local & ~7) | ((local & 3) << 1) | ((local >> 2) & 1) : local);

/** Byte of an item's four within an i8 quad for each row of the quad (rows 4p, 4p + 2, 4p + 1, 4p + 3 in byte order). */
const QUAD_BYTE = [0, 2, 1, 3] as const;

/** Where element (r, local) of a tile of `rows` rows is stored within the tile. */
function inTile(rows: number, r: number, local: number, dtype: Dtype): number {
  if (dtype !== 'i8' || r >= (rows & ~3)) return r * TILE + slot(local, dtype); // f32, f16, or i8's last rows mod 4
  return (r >> 2) * 4 * TILE + local * 4 + QUAD_BYTE[r & 3]!;
}

/**
 * The int8 value of a held i8 element, and the held element of an int8 value, for an element held flipped (q + 128,
 * i.e. q with its sign bit flipped: an involution on Int8Array elements).
 */
export const heldI8 = (v: number): number => v ^ -128;

/**
 * What an i8 element of row `r` of a tile of `rows` rows is xor-ed with to be held: −128 (held as q + 128), or 0 in
 * a quad's rows 4p + 2 and 4p + 3 (held as q). The dim-major tail is held flipped throughout.
 */
export const i8Flip = (rows: number, r: number): number => (r < (rows & ~3) && (r & 3) >= 2 ? 0 : -128);

/** The int8 value of the i8 element held at logical (r, c) of a packed [rows, n] matrix. */
export const heldI8At = (held: number, rows: number, n: number, r: number, c: number): number => (c < n - (n % TILE) ? held ^ i8Flip(rows, r) : heldI8(held));

/** Index of logical element (r, c) in the packed array of a [rows, n] matrix. */
export function packedIndex(rows: number, n: number, r: number, c: number, dtype: Dtype = 'f32'): number {
  const full = n - (n % TILE);
  if (c < full) return (c - (c % TILE)) * rows + inTile(rows, r, c % TILE, dtype);
  return full * rows + r * (n - full) + (c - full);
}

/**
 * Copies a dim-major [srcRows, srcCols] block into the packed [rows, n]
 * array `dst` at logical (row0, col0), scaling by `scale` (f32 only), or
 * writing each element e as `map[e]` (f16 bit patterns: a table of 65536).
 * Whole rows (col0 0, srcCols n) take {@link packHalves} (f16), packFloats
 * (f32) or packBytes (i8); the rest, packElements.
 */
export function packInto<T extends Elements>(
  dst: T,
  rows: number,
  n: number,
  row0: number,
  col0: number,
  src: ArrayLike<number>,
  srcRows: number,
  srcCols: number,
  { scale = 1, dtype = 'f32', map }: { scale?: number; dtype?: Dtype; map?: Uint16Array } = {},
): void {
  if (dtype === 'f16' && col0 === 0 && srcCols === n && dst instanceof Uint16Array && src instanceof Uint16Array) packHalves(dst, rows, n, row0, src, srcRows, map);
  else if (dtype === 'f32' && col0 === 0 && srcCols === n && dst instanceof Float32Array) packFloats(dst, rows, n, row0, src, srcRows, scale);
  else if (dtype === 'i8' && col0 === 0 && srcCols === n && dst instanceof Int8Array) packBytes(dst, rows, n, row0, src, srcRows);
  else packElements(dst, rows, n, row0, col0, src, srcRows, srcCols, scale, dtype, map);
}

/**
 * packInto for whole rows of f32 (a dim-major [srcRows, n] block at row0): tile after tile, the block's rows of it
 * are one run of srcRows·32 values, each row copied from its source row with one index computation rather than
 * packedIndex's an element (packElements), and written in order rather than a tile apart.
 */
function packFloats(dst: Float32Array, rows: number, n: number, row0: number, src: ArrayLike<number>, srcRows: number, scale: number): void {
  const full = n - (n % TILE);
  const tail = n - full;
  // Unscaled f32 moves as 32-bit integers: no widening to double and back, and each value's bits as they are.
  if (scale === 1 && src instanceof Float32Array)
    wordTiles(new Int32Array(dst.buffer, dst.byteOffset, dst.length), rows, row0, full, new Int32Array(src.buffer, src.byteOffset, src.length), srcRows, n);
  else scaledTiles(dst, rows, row0, full, src, srcRows, n, scale);
  for (let r = 0; r < srcRows; r++) {
    const at = full * rows + (row0 + r) * tail;
    for (let c = 0; c < tail; c++) dst[at + c] = src[r * n + full + c]! * scale; // x * 1 is x
  }
}

/**
 * The tile loops of packFloats and packBytes, each a function of its own with nothing after its loops: V8 compiles
 * a hot loop on stack, and code after it without type feedback deoptimised every call (as in packHalves' loops).
 */
function wordTiles(dst: Int32Array, rows: number, row0: number, full: number, src: Int32Array, srcRows: number, n: number): void {
  for (let t = 0; t < full; t += TILE) {
    for (let r = 0, d = t * rows + row0 * TILE, s = t; r < srcRows; r++, d += TILE, s += n) {
      // Unrolled by 8: 0.8× the time of one element an iteration (V8 does not unroll).
      for (let i = 0; i < TILE; i += 8) {
        dst[d + i] = src[s + i]!;
        dst[d + i + 1] = src[s + i + 1]!;
        dst[d + i + 2] = src[s + i + 2]!;
        dst[d + i + 3] = src[s + i + 3]!;
        dst[d + i + 4] = src[s + i + 4]!;
        dst[d + i + 5] = src[s + i + 5]!;
        dst[d + i + 6] = src[s + i + 6]!;
        dst[d + i + 7] = src[s + i + 7]!;
      }
    }
  }
}

function scaledTiles(dst: Float32Array, rows: number, row0: number, full: number, src: ArrayLike<number>, srcRows: number, n: number, scale: number): void {
  for (let t = 0; t < full; t += TILE) {
    for (let r = 0, d = t * rows + row0 * TILE, s = t; r < srcRows; r++, d += TILE, s += n) for (let i = 0; i < TILE; i++) dst[d + i] = src[s + i]! * scale;
  }
}

/** i8 (held as i8Flip says): row r of a tile is every fourth byte of its quad's 128 (from byte QUAD_BYTE[r & 3]), or a run of 32 for a last row. */
function byteTiles(dst: Int8Array, rows: number, row0: number, full: number, src: ArrayLike<number>, srcRows: number, n: number): void {
  const quadRows = rows & ~3;
  for (let t = 0; t < full; t += TILE) {
    for (let r = 0, s = t; r < srcRows; r++, s += n) {
      const row = row0 + r;
      if (row >= quadRows) for (let i = 0, d = t * rows + row * TILE; i < TILE; i++) dst[d + i] = src[s + i]! ^ -128;
      else {
        const flip = i8Flip(rows, row);
        for (let i = 0, d = t * rows + (row >> 2) * 4 * TILE + QUAD_BYTE[row & 3]!; i < TILE; i += 4, d += 16) {
          dst[d] = src[s + i]! ^ flip;
          dst[d + 4] = src[s + i + 1]! ^ flip;
          dst[d + 8] = src[s + i + 2]! ^ flip;
          dst[d + 12] = src[s + i + 3]! ^ flip;
        }
      }
    }
  }
}

/** packInto for whole rows of i8, as packFloats does f32. */
function packBytes(dst: Int8Array, rows: number, n: number, row0: number, src: ArrayLike<number>, srcRows: number): void {
  const full = n - (n % TILE);
  const tail = n - full;
  byteTiles(dst, rows, row0, full, src, srcRows, n);
  for (let r = 0; r < srcRows; r++) {
    const at = full * rows + (row0 + r) * tail;
    for (let c = 0; c < tail; c++) dst[at + c] = heldI8(src[r * n + full + c]!);
  }
}

/** packInto's general loop: one element at a time, through packedIndex unrolled per row. */
function packElements(
  dst: Elements,
  rows: number,
  n: number,
  row0: number,
  col0: number,
  src: ArrayLike<number>,
  srcRows: number,
  srcCols: number,
  scale: number,
  dtype: Dtype,
  map?: Uint16Array,
): void {
  const full = n - (n % TILE);
  const tail = n - full;
  const end = col0 + srcCols;
  for (let r = 0; r < srcRows; r++) {
    const from = r * srcCols - col0;
    const row = row0 + r;
    let col = col0;
    // packedIndex, unrolled per row: tiles first, then the dim-major tail.
    const stop = Math.min(end, full);
    if (map) {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + inTile(rows, row, col % TILE, dtype)] = map[src[from + col]!]!;
    } else if (dtype === 'i8') {
      const flip = i8Flip(rows, row);
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + inTile(rows, row, col % TILE, dtype)] = src[from + col]! ^ flip;
    } else if (dtype !== 'f32') {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + inTile(rows, row, col % TILE, dtype)] = src[from + col]!;
    } else if (scale === 1) {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + row * TILE + (col % TILE)] = src[from + col]!;
    } else {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + row * TILE + (col % TILE)] = src[from + col]! * scale;
    }
    const tailBase = full * rows + row * tail - full;
    for (; col < end; col++) dst[tailBase + col] = map ? map[src[from + col]!]! : dtype === 'i8' ? heldI8(src[from + col]!) : scale === 1 ? src[from + col]! : src[from + col]! * scale;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bit of packHalves' result (where a half's sign is): a half it copied as it is is subnormal. */
export const SUBNORMAL = 0x8000;
/** SUBNORMAL where a half is subnormal (magnitude 1–0x3ff), else 0. */
const subnormalHalf = (h: number) => (((h & 0x7fff) - 1) >>> 0 < 0x3ff ? SUBNORMAL : 0);
/** SUBNORMAL in either half of a word where that half is subnormal: magnitude nonzero (+0x7fff carries into bit 15) and exponent zero (+0x7c00 does not). */
const subnormalLanes = (w: number) => {
  const a = w & 0x7fff7fff;
  return (a + 0x7fff7fff) & ~((a & 0x7c007c00) + 0x7c007c00) & 0x80008000;
};

/**
 * packInto for whole rows of halves (a dim-major [srcRows, n] block at row0), written as map[h] where a map is
 * given. Returns, for half.ts's lift, the OR of the halves' magnitudes (bit 0x4000 set: some |v| ≥ 2) and
 * SUBNORMAL where, copying them as they are, it met a subnormal one. Each run of 8 items of a tile row is four
 * 32-bit stores (items 0|4, 1|5, 2|6, 3|7), read as four words where the row starts on a word (else as halves):
 * ~1 ns a half unmapped and ~1.3 mapped with warm caches, against 7–9 in packElements (V8), which still serves
 * a dst off a 4-byte boundary.
 */
export function packHalves(dst: Uint16Array, rows: number, n: number, row0: number, src: Uint16Array, srcRows: number, map?: Uint16Array): number {
  let or = 0;
  if (!LITTLE_ENDIAN || dst.byteOffset % 4) {
    for (let i = 0; i < srcRows * n; i++) or |= (src[i]! & 0x7fff) | (map ? 0 : subnormalHalf(src[i]!));
    packElements(dst, rows, n, row0, 0, src, srcRows, n, 1, 'f16', map);
    return or;
  }
  const full = n - (n % TILE);
  const tail = n - full;
  const d32 = new Uint32Array(dst.buffer, dst.byteOffset, dst.length >> 1);
  // The source as words from the one holding its first half: half i is in word (lead + i) >> 1.
  const lead = (src.byteOffset >> 1) & 1;
  const s32 = new Uint32Array(src.buffer, src.byteOffset - 2 * lead, (lead + src.length) >> 1);
  for (let r = 0; r < srcRows; r++) {
    const row = row0 + r;
    const from = r * n;
    const word = (lead + from) >> 1;
    if (map) {
      // The signs off: that bit is SUBNORMAL's.
      or |= ((lead + from) & 1 ? mappedTilesFromHalves(d32, row, rows, full, src, from, map) : mappedTilesFromWords(d32, row, rows, full, s32, word, map)) & 0x7fff7fff;
    } else {
      or |= (lead + from) & 1 ? tilesFromHalves(d32, row, rows, full, src, from) : tilesFromWords(d32, row, rows, full, s32, word);
    }
    const at = full * rows + row * tail - full;
    for (let c = full; c < n; c++) {
      const h = src[from + c]!;
      or |= (h & 0x7fff) | (map ? 0 : subnormalHalf(h));
      dst[at + c] = map ? map[h]! : h;
    }
  }
  return (or | (or >>> 16)) & 0xffff;
}

/**
 * A source row's full tiles (`full` items from word `s` on: items 0|1, 2|3, …) as row `row` of each tile of a
 * [rows, n] packing, written as 32-bit words through `map` (mappedTilesFromWords: the OR of the words read) or
 * as they are (tilesFromWords: packHalves' result, both halves of a word apart). One
 * loop each: with both in one, the mapped one ran at 1.5–2× the time (registers spilled, V8 on x64).
 */
function mappedTilesFromWords(d32: Uint32Array, row: number, rows: number, full: number, s32: Uint32Array, s: number, map: Uint16Array): number {
  // Nothing after the loops but the return: code after a hot loop has no type feedback when V8 compiles the
  // loop on stack, and a binary operation there deoptimised every call (measured: 2.5× the time).
  let or = 0;
  const step = (rows * TILE) >> 1;
  for (let t = (row * TILE) >> 1, end = t + (full / TILE) * step; t < end; t += step) {
    for (let d = t; d < t + TILE / 2; d += 4, s += 4) {
      const w0 = s32[s]!;
      const w1 = s32[s + 1]!;
      const w2 = s32[s + 2]!;
      const w3 = s32[s + 3]!;
      or |= w0 | w1 | w2 | w3;
      d32[d] = map[w0 & 0xffff]! | (map[w2 & 0xffff]! << 16);
      d32[d + 1] = map[w0 >>> 16]! | (map[w2 >>> 16]! << 16);
      d32[d + 2] = map[w1 & 0xffff]! | (map[w3 & 0xffff]! << 16);
      d32[d + 3] = map[w1 >>> 16]! | (map[w3 >>> 16]! << 16);
    }
  }
  return or;
}

function tilesFromWords(d32: Uint32Array, row: number, rows: number, full: number, s32: Uint32Array, s: number): number {
  let or = 0;
  const step = (rows * TILE) >> 1;
  for (let t = (row * TILE) >> 1, end = t + (full / TILE) * step; t < end; t += step) {
    for (let d = t; d < t + TILE / 2; d += 4, s += 4) {
      const w0 = s32[s]!;
      const w1 = s32[s + 1]!;
      const w2 = s32[s + 2]!;
      const w3 = s32[s + 3]!;
      or |= ((w0 | w1 | w2 | w3) & 0x7fff7fff) | subnormalLanes(w0) | subnormalLanes(w1) | subnormalLanes(w2) | subnormalLanes(w3);
      d32[d] = (w0 & 0xffff) | (w2 << 16);
      d32[d + 1] = (w0 >>> 16) | (w2 & 0xffff0000);
      d32[d + 2] = (w1 & 0xffff) | (w3 << 16);
      d32[d + 3] = (w1 >>> 16) | (w3 & 0xffff0000);
    }
  }
  return or;
}

/** The word loops for a source row that starts mid-word: read as halves, from index `s` on. */
function mappedTilesFromHalves(d32: Uint32Array, row: number, rows: number, full: number, src: Uint16Array, s: number, map: Uint16Array): number {
  let or = 0;
  const step = (rows * TILE) >> 1;
  for (let t = (row * TILE) >> 1, end = t + (full / TILE) * step; t < end; t += step) {
    for (let d = t; d < t + TILE / 2; d += 4, s += 8) {
      for (let j = 0; j < 4; j++) {
        const lo = src[s + j]!;
        const hi = src[s + j + 4]!;
        or |= lo | hi;
        d32[d + j] = map[lo]! | (map[hi]! << 16);
      }
    }
  }
  return or;
}

function tilesFromHalves(d32: Uint32Array, row: number, rows: number, full: number, src: Uint16Array, s: number): number {
  let or = 0;
  const step = (rows * TILE) >> 1;
  for (let t = (row * TILE) >> 1, end = t + (full / TILE) * step; t < end; t += step) {
    for (let d = t; d < t + TILE / 2; d += 4, s += 8) {
      for (let j = 0; j < 4; j++) {
        const lo = src[s + j]!;
        const hi = src[s + j + 4]!;
        or |= ((lo | hi) & 0x7fff) | subnormalHalf(lo) | subnormalHalf(hi);
        d32[d + j] = lo | (hi << 16);
      }
    }
  }
  return or;
}

/**
 * Reads the dim-major [outRows, outCols] block at logical (row0, col0) of a
 * packed [rows, n] matrix starting at element `base` of `src` (i8: the int8
 * values, as packInto was given them).
 */
export function unpack<T extends Elements>(src: T, base: number, rows: number, n: number, row0: number, col0: number, outRows: number, outCols: number, dtype: Dtype = 'f32'): T {
  const dst = new (src.constructor as new (length: number) => T)(outRows * outCols);
  const full = n - (n % TILE);
  const tail = n - full;
  const end = col0 + outCols;
  for (let r = 0; r < outRows; r++) {
    const to = r * outCols - col0;
    const row = row0 + r;
    let col = col0;
    // packInto's loops, reversed (i8: each element xor-ed back as it was held).
    const flip = dtype === 'i8' ? i8Flip(rows, row) : 0;
    const tailFlip = dtype === 'i8' ? -128 : 0;
    for (const stop = Math.min(end, full); col < stop; col++) {
      const held = src[base + (col - (col % TILE)) * rows + inTile(rows, row, col % TILE, dtype)]!;
      dst[to + col] = flip ? held ^ flip : held;
    }
    const tailBase = base + full * rows + row * tail - full;
    for (; col < end; col++) dst[to + col] = tailFlip ? src[tailBase + col]! ^ tailFlip : src[tailBase + col]!;
  }
  return dst;
}
