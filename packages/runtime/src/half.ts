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
