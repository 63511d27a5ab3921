// The one pseudo-random generator of the trainer (mulberry32). Plain JavaScript so that the worker threads,
// which load .mjs without a TypeScript loader, draw from the same code as the main thread (data/random.ts).

/** Seeded uniforms in [0, 1); seed 0 maps to a fixed non-zero state. */
export class Mulberry32 {
  /** @param {number} seed */
  constructor(seed) {
    /** @protected */
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** @returns {number} uniform in [0, 1) */
  next() {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * The generator as a function, for the worker code.
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  const g = new Mulberry32(seed);
  return () => g.next();
}
