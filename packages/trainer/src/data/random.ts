import { Mulberry32 } from './mulberry32.mjs';

/**
 * Seeded pseudo-random numbers (mulberry32). Everything random in the
 * pipeline draws from one of these so the same seed gives the same artifact.
 */
export class Random extends Mulberry32 {
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A child generator, so adding draws in one stage does not shift another's. */
  fork(salt: number): Random {
    return new Random((Math.imul(this.state ^ salt, 0x85ebca6b) + salt) >>> 0);
  }
}
