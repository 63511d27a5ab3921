/**
 * Subnormal halves out of the scan kernel's way (half.ts): the lift table multiplies every half below 64 by 2^10
 * exactly and leaves none subnormal, liftScale says which bands to lift, and the WASM layout (both builds, on
 * tfjs-wasm in Node) holds no subnormal half yet scores every item with the same bits as the kernel over the
 * file's halves, and reads item vectors back as the file's values.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { encodeBlock, type Selection, selectBlocks } from '@peelrec/format';
import { halfToFloat, halves, liftScale, liftTable } from '../src/half.js';
import { tableLayouts } from '../src/layouts.js';
import { Scorer } from '../src/scorer.js';
import { type ScanSegment, WasmScan } from '../src/wasm-scan.js';
import { buildFixture, type Fixture, mulberry32 } from './fixtures/artifact.js';
import { BUILDS, type Group, kernel, runKernel } from './fixtures/scan-kernel.js';

const isSubnormal = (h: number) => (h & 0x7c00) === 0 && (h & 0x3ff) !== 0;
/** Halves with magnitude bits ≥ this are 64 or more (or inf, NaN): 2^10 would overflow them. */
const TOO_LARGE = 0x5400;

describe('liftTable', () => {
  it('multiplies every half below 64, of both signs, by 2^10 exactly, and leaves none subnormal', () => {
    const lift = liftTable();
    let subnormals = 0;
    for (const sign of [0, 0x8000]) {
      for (let a = 0; a < TOO_LARGE; a++) {
        const h = sign | a;
        if (isSubnormal(h)) subnormals++;
        expect(Object.is(halfToFloat(lift[h]!), halfToFloat(h) * 1024)).toBe(true);
        expect(isSubnormal(lift[h]!)).toBe(false);
      }
    }
    expect(subnormals).toBe(2 * 1023);
  });
});

describe('liftScale', () => {
  /** `values` as halves at an odd half offset of their buffer (not 4-byte aligned) and at offset 0. */
  const views = (values: readonly number[]) => {
    const buffer = new Uint16Array(values.length + 1);
    buffer.set(values, 1);
    return [Uint16Array.from(values), new Uint16Array(buffer.buffer, 2, values.length)];
  };

  it.each([
    ['no subnormal', [0x2e66, 0xae66, 0, 0x8000, 0x3c00], 1],
    ['a subnormal', [0x2e66, 0x0001, 0x3c00], 2 ** -10],
    ['a negative subnormal last', [0x2e66, 0x3c00, 0x2e66, 0x83ff], 2 ** -10],
    ['subnormals and values in [2, 64)', [0x0200, 0x4000, 0xd3ff, 0x53ff], 2 ** -10],
    ['a subnormal and a 64 first', [0x5400, 0x0001, 0x3c00, 0x2e66], 1],
    ['a subnormal and a -64 last (an odd tail)', [0x0001, 0x3c00, 0x2e66, 0x3c00, 0xd400], 1],
    ['a subnormal and 65504 in the middle', [0x0001, 0x3c00, 0x7bff, 0x3c00], 1],
    ['a subnormal and an infinity', [0x0001, 0x7c00], 1],
  ] as const)('%s', (_what, values, scale) => {
    for (const view of views(values)) expect(liftScale(view)).toBe(scale);
  });

  it('is 1 for an empty band', () => {
    expect(liftScale(new Uint16Array(0))).toBe(1);
  });
});

describe.each(BUILDS)('the %s WASM layout on f16 blocks with subnormal halves', (build, base64) => {
  let fixture: Fixture;
  /** Each block's file: ~5 % subnormal halves, the rest in (-0.5, 0.5). */
  const files = new Map<string, Uint8Array>();
  const registry = [...tableLayouts];

  beforeAll(async () => {
    // Node 20's V8 has relaxed SIMD behind a flag (on by default from V8 11.4 / Chromium 114).
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    expect(await tf.setBackend('wasm')).toBe(true);
    fixture = await buildFixture({ seed: 21, items: 300, blockDim: 4, blocksPerItem: 4, dtypes: ['f16'] });
    const rand = mulberry32(22);
    const { blockDim, blocksPerItem } = fixture.manifest.dims;
    fixture.manifest.itemGroups.forEach((g, i) => {
      for (let b = 0; b < blocksPerItem; b++) {
        const values = Float32Array.from({ length: blockDim * g.count }, () => (rand() < 0.05 ? Math.sign(rand() - 0.5) * Math.ceil(rand() * 1023) * 2 ** -24 : rand() - 0.5));
        files.set(`${i}/${b}`, encodeBlock(values, 'f16'));
      }
    });
  });
  afterEach(() => {
    tableLayouts.splice(0, tableLayouts.length, ...registry);
    vi.restoreAllMocks();
  });

  const file = (g: number, b: number) => files.get(`${g}/${b}`)!;

  /** The kernel's top-k over the file's halves as they are, with the weights the layout gives unlifted rows. */
  async function expected(selection: Selection, vector: Float32Array, k: number, exclude: ReadonlySet<number>) {
    const { blockDim } = fixture.manifest.dims;
    const weight = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, Math.fround(b.scoreWeight)]));
    const groups: Group[] = selection.byItemGroup.map((blocks, g) => {
      const { start, count: n } = fixture.manifest.itemGroups[g]!;
      const values = new Float32Array(blocks.length * blockDim * n);
      blocks.forEach((b, i) => values.set(Array.from(halves(file(g, b)), halfToFloat), i * blockDim * n));
      const rows = blocks.length * blockDim;
      return {
        rows,
        n,
        start,
        values,
        coef: Float32Array.from({ length: rows }, (_, r) => weight.get(`${g}/${blocks[Math.floor(r / blockDim)]}`)!),
        dims: Int32Array.from({ length: rows }, (_, r) => blocks[Math.floor(r / blockDim)]! * blockDim + (r % blockDim)),
      };
    });
    const { k: scan, memory } = await kernel(base64);
    return runKernel(scan, memory, groups, 'f16', k, exclude, fixture.manifest.items.count, 1, vector);
  }

  it('holds no subnormal half, scores with the same bits as the kernel over the file halves, and reads back the file values', async () => {
    tableLayouts.splice(0, tableLayouts.length, ...registry.filter((f) => f.name === `wasm-packed-${build}`));
    const plans: ScanSegment[][] = [];
    const plan = WasmScan.prototype.plan;
    vi.spyOn(WasmScan.prototype, 'plan').mockImplementation(function (this: WasmScan, segments, items) {
      plans.push([...segments]);
      return plan.call(this, segments, items);
    });
    const m = fixture.manifest;
    const scorer = new Scorer(m);
    await scorer.prepare();
    const vector = fixture.userVectors.subarray(0, m.dims.fullDim);
    const exclude = new Set([3, 64, 200]);
    const fullBytes = m.items.count * m.dims.fullDim * 2;
    // Half the table, then all of it: the second apply copies the first one's lifted bands and lifts the rest.
    for (const budget of [fullBytes / 2, fullBytes]) {
      const selection = selectBlocks(m, 0, budget, { dtype: 'f16' });
      scorer.apply(selection, file);
      const segments = plans.at(-1)!;
      expect(segments).toHaveLength(m.itemGroups.length);
      for (const s of segments) {
        const held = new Uint16Array(Uint8Array.from((await s.matrix.data()) as Uint8Array).buffer);
        expect(held.length).toBe(s.rows * s.count);
        expect(held.some(isSubnormal)).toBe(false);
      }
      expect(await scorer.top(vector, 25, exclude)).toEqual(await expected(selection, vector, 25, exclude));
      // Item vectors: the file's values, each exactly.
      const positions = [0, 49, 50, 149, 150, 299];
      const { vectors, known } = await scorer.itemVectors(positions);
      positions.forEach((p, i) => {
        const g = m.itemGroups.findIndex((x) => p >= x.start && p < x.start + x.count);
        const { start, count } = m.itemGroups[g]!;
        for (const b of selection.byItemGroup[g]!) {
          expect(known[i]![b]).toBe(1);
          const values = halves(file(g, b));
          for (let r = 0; r < m.dims.blockDim; r++) expect(vectors[i]![b * m.dims.blockDim + r]).toBe(halfToFloat(values[r * count + p - start]!));
        }
      });
    }
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });
});
