/** Half-precision (f16) bit patterns as the packed layout holds them and the scan kernel widens them. */

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

/**
 * The scale a band of halves is held at: 2^-10 where it has a subnormal half and none that {@link liftTable}
 * would overflow (hold it through that table), else 1 (hold it as it is).
 */
export function liftScale(halves: Uint16Array): number {
  const n = halves.length;
  let i = 0;
  // Magnitudes 1–0x3ff are the subnormals (0 wraps to 2^32 - 1); most bands have one in their first thousand.
  while (i < n && ((halves[i]! & 0x7fff) - 1) >>> 0 >= 0x3ff) i++;
  if (i === n) return 1;
  // No half with exponent bit 0x4000 (|v| ≥ 2) is the common case, found by OR-ing two halves at a time (3× faster).
  const head = halves.byteOffset % 4 ? 1 : 0;
  const words = new Uint32Array(halves.buffer, halves.byteOffset + 2 * head, (n - head) >> 1);
  let or = (head ? halves[0]! : 0) | ((n - head) & 1 ? halves[n - 1]! : 0);
  for (let j = 0; j < words.length; j++) or |= words[j]!;
  if (or & 0x40004000) for (let j = 0; j < n; j++) if ((halves[j]! & 0x7fff) >= TOO_LARGE) return 1;
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
