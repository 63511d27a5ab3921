/** Half-precision (f16) bit patterns as the packed layout holds them and the scan kernel widens them. */
import { SUBNORMAL } from './packed-layout.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The half-precision bit patterns of an f16 block file (little-endian), without a copy where alignment allows. */
export function halves(bytes: Uint8Array): Uint16Array {
  if (bytes.byteLength % 2) throw new RangeError(`an f16 payload of ${bytes.byteLength} bytes is not a whole number of halves`);
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint16Array.from({ length: bytes.byteLength / 2 }, (_, i) => view.getUint16(i * 2, true));
}

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
/** An f16 bit pattern's value, computed as the kernel widens it (exact for every finite half). */
export function halfToFloat(h: number): number {
  bits[0] = ((h & 0x8000) << 16) | ((h & 0x7fff) << 13);
  return asFloat[0]! * 2 ** 112;
}

/**
 * Why a band of halves may be held times 2^10: the scan kernel widens a half to its value times 2^-112, an f32
 * subnormal for a subnormal half (|v| < 2^-14), and x86 multiplies f32 subnormals through a microcode assist.
 * Trained tables hold ~0.1 % subnormal halves: +5–10 % scan time, and 1 % doubles it (scripts/subnormal-scan.ts,
 * V8 on a Xeon). Times 2^10 every subnormal half is a normal one and every normal one gains 10 in
 * its exponent, exactly; with the 2^-10 folded into the band's row weights, every product the kernel forms is
 * the same real number as before, so the scores are the same bits (while |weight · user dim| ≥ 2^-116, where the
 * lifted weight's product is still a normal f32).
 */
const SHIFT = 10;
/** Magnitude bits from which a half times 2^SHIFT overflows: exponent field 31 - SHIFT (|v| ≥ 64), inf and NaN. */
const TOO_LARGE = (31 - SHIFT) << 10;

/** Whether a half is subnormal: magnitudes 1–0x3ff (0 wraps to 2^32 - 1). */
const subnormal = (h: number) => ((h & 0x7fff) - 1) >>> 0 < 0x3ff;

/** Whether any half is subnormal; most bands of a trained table have one in their first thousand. */
function hasSubnormal(halves: Uint16Array): boolean {
  for (let i = 0; i < halves.length; i++) if (subnormal(halves[i]!)) return true;
  return false;
}

/** Whether any half is one {@link liftTable} would overflow (|v| ≥ 64, inf, NaN). */
function hasTooLarge(halves: Uint16Array): boolean {
  for (let i = 0; i < halves.length; i++) if ((halves[i]! & 0x7fff) >= TOO_LARGE) return true;
  return false;
}

/**
 * The scale a band of halves is held at: 2^-10 where it has a subnormal half and none that {@link liftTable}
 * would overflow (hold it through that table), else 1 (hold it as it is).
 */
export function liftScale(halves: Uint16Array): number {
  if (!hasSubnormal(halves)) return 1;
  // No half with exponent bit 0x4000 (|v| ≥ 2) is the common case, found by OR-ing two halves at a time (3× faster).
  const n = halves.length;
  const head = halves.byteOffset % 4 ? 1 : 0;
  const words = new Uint32Array(halves.buffer, halves.byteOffset + 2 * head, (n - head) >> 1);
  let or = (head ? halves[0]! : 0) | ((n - head) & 1 ? halves[n - 1]! : 0);
  for (let j = 0; j < words.length; j++) or |= words[j]!;
  return or & 0x40004000 && hasTooLarge(halves) ? 1 : 2 ** -SHIFT;
}

/** Lifts `halves` in place where {@link liftScale} says so; returns the scale they are then held at. */
export function liftInPlace(halves: Uint16Array): number {
  const scale = liftScale(halves);
  if (scale === 1) return 1;
  const map = liftTable();
  for (let i = 0; i < halves.length; i++) halves[i] = map[halves[i]!]!;
  return scale;
}

/**
 * Halves searched for a subnormal before a band is packed: at a trained table's ~0.1 % a band has one among its
 * first 16,384 but for e^-16 (at 4,096 one band in 60 was read twice), and a band with none spends ~8 % of a
 * 4-row, 50,000-item block's copy on the search.
 */
const PROBE = 16_384;

/**
 * Packs a band of halves given in parts, each by `pack` (packed-layout.ts packHalves: writing through `map` where
 * given, returning what it saw), at the scale {@link liftScale} picks for the parts together; returns that scale.
 * The check rides on the copy: a band with a subnormal half among its first PROBE goes through the lift table at
 * once, any other is copied as it is, and only where the copy saw otherwise (a subnormal half after all; a half
 * ≥ 64, which bit 0x4000 of the OR flags for every one ≥ 2 and a scan confirms) is it packed again. So a band is
 * read once but for those: a group of 1.6M halves packs in 0.25–0.32× the time of 1d54496's liftScale + packInto
 * and 0.30–0.39× that of packing before it (scripts/pack-halves.ts, V8, medians of per-rep ratios).
 */
export function packLifted(parts: readonly Uint16Array[], pack: (part: Uint16Array, index: number, map: Uint16Array | undefined) => number): number {
  const packAll = (map?: Uint16Array) => parts.reduce((or, part, i) => or | pack(part, i, map), 0);
  const map = liftTable();
  if (parts.some((part) => hasSubnormal(part.subarray(0, PROBE)))) {
    if (!(packAll(map) & 0x4000 && parts.some(hasTooLarge))) return 2 ** -SHIFT;
    packAll();
    return 1;
  }
  const or = packAll();
  if (!(or & SUBNORMAL) || (or & 0x4000 && parts.some(hasTooLarge))) return 1;
  packAll(map);
  return 2 ** -SHIFT;
}

let lift: Uint16Array | undefined;
/** Each half (indexed by its bits) times 2^10: exact for |v| < 64, which {@link liftScale} checks first. */
export function liftTable(): Uint16Array {
  lift ??= Uint16Array.from({ length: 0x10000 }, (_, h) => {
    const a = h & 0x7fff;
    if (a >= 0x400) return a < TOO_LARGE ? h + (SHIFT << 10) : h;
    if (a === 0) return h;
    // Subnormal m·2^-24, times 2^10: m·2^-14 = 2^(p-14)·(m / 2^p), p = ⌊log2 m⌋, the exponent field p + 1.
    const p = 31 - Math.clz32(a);
    return (h & 0x8000) | ((p + 1) << 10) | ((a << (10 - p)) & 0x3ff);
  });
  return lift;
}
