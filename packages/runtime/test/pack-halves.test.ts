/**
 * The f16 packing path (packed-layout.ts packHalves): whole rows of halves land where packedIndex puts them,
 * through the lift table or as they are, whatever the alignment of the source rows and of the destination, and it
 * says what it saw (the OR of the magnitudes; SUBNORMAL where it copied a subnormal half as it is); and half.ts's
 * packLifted, which picks a band's scale while packing it, reading it again only where the first pass was wrong.
 */
import { describe, expect, it } from 'vitest';
import { liftScale, liftTable, packLifted } from '../src/half.js';
import { packedIndex, packHalves, SUBNORMAL } from '../src/packed-layout.js';
import { mulberry32 } from './fixtures/artifact.js';

const isSubnormal = (h: number) => (h & 0x7c00) === 0 && (h & 0x3ff) !== 0;

/** Nonzero halves below 64 of both signs (so the lift table maps each to a nonzero half), ~5 % subnormal. */
function randomHalves(seed: number, length: number): Uint16Array {
  const rand = mulberry32(seed);
  return Uint16Array.from({ length }, () => (rand() < 0.5 ? 0x8000 : 0) | (1 + Math.floor(rand() * 0x53ff)));
}

describe('packHalves', () => {
  it.each([
    [4, 100, 0],
    [4, 101, 1],
    [3, 33, 2],
    [1, 31, 0],
    [8, 64, 3],
    [2, 97, 1],
    [5, 131, 0],
  ])('a [%i, %i] block at row %i: each half where packedIndex says, mapped or not, from any alignment', (srcRows, n, row0) => {
    const rows = row0 + srcRows + 1;
    const drawn = randomHalves(srcRows * n, srcRows * n);
    // As drawn, and with every subnormal half made normal.
    for (const values of [drawn, drawn.map((h) => (isSubnormal(h) ? h | 0x400 : h))]) {
      const magnitudes = values.reduce((a, h) => a | (h & 0x7fff), 0);
      const subnormal = values.some(isSubnormal) ? SUBNORMAL : 0;
      for (const lead of [0, 1]) {
        // The source at a word boundary or 2 bytes past one: with an odd n, every other row starts mid-word either way.
        const host = new Uint16Array(lead + values.length);
        host.set(values, lead);
        const src = host.subarray(lead);
        for (const map of [undefined, liftTable()]) {
          for (const offset of [0, 1]) {
            // A destination off a 4-byte boundary takes the general loop.
            const dst = new Uint16Array(offset + rows * n).subarray(offset);
            // What it saw: the magnitudes' OR, and whether a half it copied as it is is subnormal.
            expect(packHalves(dst, rows, n, row0, src, srcRows, map)).toBe(magnitudes | (map ? 0 : subnormal));
            for (let r = 0; r < srcRows; r++) {
              for (let c = 0; c < n; c++) {
                const h = values[r * n + c]!;
                expect(dst[packedIndex(rows, n, row0 + r, c, 'f16')]).toBe(map ? map[h] : h);
              }
            }
            // Nothing written outside the block's rows.
            expect(dst.reduce((count, h) => count + (h ? 1 : 0), 0)).toBe(srcRows * n);
          }
        }
      }
    }
  });
});

describe('packLifted', () => {
  const n = 20_000;
  /** A part of n normal halves below 2 (both signs), with `set` (index → half) written over them, at an odd half offset of its buffer. */
  const part = (seed: number, set: Record<number, number> = {}) => {
    const rand = mulberry32(seed);
    const host = new Uint16Array(n + 1);
    for (let i = 1; i <= n; i++) host[i] = (rand() < 0.5 ? 0x8000 : 0) | (0x400 + Math.floor(rand() * 0x3800));
    for (const [i, h] of Object.entries(set)) host[1 + Number(i)] = h;
    return host.subarray(1);
  };

  it.each([
    ['no subnormal: copied once as it is', [part(1), part(2)], 1, 'as is'],
    ['a subnormal early in the last part: copied once, lifted', [part(3), part(4, { 5: 0x8001 })], 2 ** -10, 'lifted'],
    ['a subnormal early and values in [2, 64): copied once, lifted', [part(5, { 9: 0x03ff, 10: 0x53ff }), part(6, { 0: 0xd000 })], 2 ** -10, 'lifted'],
    ['a subnormal early and a 64 in another part: lifted, then copied again as it is', [part(7, { 3: 0x0001 }), part(8, { 19999: 0x5400 })], 1, 'lifted, as is'],
    ['a subnormal past the probe: copied as it is, then again lifted', [part(9, { 18000: 0x0200 }), part(10)], 2 ** -10, 'as is, lifted'],
    ['a subnormal past the probe and an infinity: copied once as it is', [part(11, { 18000: 0x0200 }), part(12, { 7: 0xfc00 })], 1, 'as is'],
  ] as const)('%s', (_what, parts, scale, passes) => {
    const dst = new Uint16Array(parts.length * n);
    const mapped: boolean[] = [];
    const got = packLifted(parts, (p, r, map) => {
      mapped.push(map !== undefined);
      return packHalves(dst, parts.length, n, r, p, 1, map);
    });
    expect(got).toBe(scale);
    // Each pass packs every part, through the lift table or not.
    expect(mapped).toEqual(passes.split(', ').flatMap((pass) => parts.map(() => pass === 'lifted')));
    // The parts as one band get the same scale from liftScale, and the band holds them at it.
    const whole = Uint16Array.from(parts.flatMap((p) => [...p]));
    expect(liftScale(whole)).toBe(scale);
    const lift = liftTable();
    const want = new Uint16Array(dst.length);
    parts.forEach((p, r) => p.forEach((h, c) => (want[packedIndex(parts.length, n, r, c, 'f16')] = scale === 1 ? h : lift[h]!)));
    expect(dst).toEqual(want);
  });

  it('packs an empty band as it is', () => {
    const calls: number[] = [];
    expect(packLifted([], () => calls.push(0))).toBe(1);
    expect(calls).toEqual([]);
  });
});
