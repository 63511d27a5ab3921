/**
 * The f16 halves of the bench's 1M catalog as the load-time scripts (subnormal-scan.ts, pack-halves.ts) draw them:
 * item groups of 50,000 items × 32 rows, values ~N(0, 0.1) (sums of three uniforms, as the bench's catalogs), with a
 * chosen share of subnormal halves.
 */
import { encodeBlock } from '@peelrec/format';

export const ITEMS_PER_GROUP = 50_000;
export const ROWS = 32;
/** Rows per block (the bench's 1M catalog: 8 blocks of 4 dims), each packed and lifted on its own as the runtime does. */
export const BLOCK_DIM = 4;

/** mulberry32, as the bench's catalogs draw their values. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const isSubnormal = (h: number) => (h & 0x7c00) === 0 && (h & 0x3ff) !== 0;

/** One group's halves, dim-major as in the block files, with `fraction` of them subnormal (natural ones kept, more set at random places; 0: none). */
export function groupHalves(rand: () => number, fraction: number): Uint16Array {
  const n = ITEMS_PER_GROUP;
  const bytes = encodeBlock(
    Float32Array.from({ length: ROWS * n }, () => (rand() + rand() + rand() - 1.5) * 0.2),
    'f16',
  );
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  if (fraction === 0) {
    for (let i = 0; i < halves.length; i++) if (isSubnormal(halves[i]!)) halves[i] = halves[i]! & 0x8000;
  } else {
    let have = halves.reduce((c, h) => c + (isSubnormal(h) ? 1 : 0), 0);
    for (const want = Math.round(fraction * halves.length); have < want; ) {
      const i = Math.floor(rand() * halves.length);
      if (isSubnormal(halves[i]!)) continue;
      halves[i] = (rand() < 0.5 ? 0x8000 : 0) | (1 + Math.floor(rand() * 0x3ff));
      have++;
    }
  }
  return halves;
}
