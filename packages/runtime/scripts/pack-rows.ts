/**
 * Times packing one item group of the bench's 1M catalog (halves-catalog.ts: 32 rows × 50,000 items, 8 blocks of
 * 4 rows) as packed-wasm-layout.ts packs fresh f32 and i8 blocks (packInto, block after block), for the working tree
 * and for other versions of packed-layout.ts, each in a folder of its own:
 *   tsx --conditions=@peelrec/source scripts/pack-rows.ts [reps] [DIR ...]
 * For instance, the version before packFloats and packBytes:
 *   mkdir -p /tmp/old && git show 05f4419:packages/runtime/src/packed-layout.ts > /tmp/old/packed-layout.ts
 * Every rep times every (version, dtype) once, interleaved, in an order that rotates. Prints each one's median [p10, p90] ms and ns an
 * element, its per-rep ratio to each other version on the same dtype, and whether it packs the same bytes.
 */
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Elements, packInto } from '../src/packed-layout.js';
import { BLOCK_DIM, ITEMS_PER_GROUP, prng, ROWS } from './halves-catalog.js';

type PackInto = typeof packInto;
type Dtype = 'f32' | 'i8';

const [repsArg, ...dirs] = process.argv.slice(2);
const REPS = Number(repsArg ?? 31);
const N = ITEMS_PER_GROUP;

/** Packs a group's file into `dst`, block after block, as packed-wasm-layout.ts's `band` does. */
const packer = (pack: PackInto) => (dst: Elements, file: Elements, dtype: Dtype) => {
  for (let k = 0; k < ROWS / BLOCK_DIM; k++) pack(dst, ROWS, N, k * BLOCK_DIM, 0, file.subarray(k * BLOCK_DIM * N, (k + 1) * BLOCK_DIM * N), BLOCK_DIM, N, { dtype });
};

const versions = [
  { name: 'tree', pack: packer(packInto) },
  ...(await Promise.all(
    dirs.map(async (d) => ({ name: basename(resolve(d)), pack: packer(((await import(pathToFileURL(join(resolve(d), 'packed-layout.ts')).href)) as { packInto: PackInto }).packInto) })),
  )),
];
const rand = prng(5);
const files: Record<Dtype, Elements> = {
  f32: Float32Array.from({ length: ROWS * N }, () => (rand() + rand() + rand() - 1.5) * 0.2),
  i8: Int8Array.from({ length: ROWS * N }, () => Math.floor(rand() * 256) - 128),
};
const runs = (['f32', 'i8'] as const).flatMap((dtype) => versions.map((v) => ({ ...v, dtype, ms: [] as number[], packed: dtype === 'f32' ? new Float32Array(ROWS * N) : new Int8Array(ROWS * N) })));

// Warm-up (tier-up), keeping what each packs to compare; then each packs over what it packed (no allocation timed).
for (const r of runs) r.pack(r.packed, files[r.dtype], r.dtype);
// The order rotates every rep: the first timed after another dtype's packs ran up to 1.6× slower (a loaded 2-core VM).
for (let rep = 0; rep < REPS; rep++) {
  for (const r of [...runs.slice(rep % runs.length), ...runs.slice(0, rep % runs.length)]) {
    const t0 = performance.now();
    r.pack(r.packed, files[r.dtype], r.dtype);
    r.ms.push(performance.now() - t0);
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.round(p * (xs.length - 1))]!;
const at = (xs: number[], digits = 2) => `${pct(xs, 0.5).toFixed(digits)} [${pct(xs, 0.1).toFixed(digits)}, ${pct(xs, 0.9).toFixed(digits)}]`;
const sameBytes = (a: Elements, b: Elements) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
console.log(`${REPS} reps, one group of ${ROWS} rows × ${N} items in blocks of ${BLOCK_DIM} rows; median [p10, p90]`);
for (const dtype of ['f32', 'i8'] as const) {
  console.log(`\n${dtype}`);
  const mine = runs.filter((r) => r.dtype === dtype);
  const base = mine[0]!;
  for (const r of mine) {
    const bytes = r === base ? '' : `, bytes ${sameBytes(r.packed, base.packed) ? 'as' : 'NOT as'} tree`;
    console.log(`  ${r.name.padEnd(8)} ${at(r.ms)} ms, ${at(r.ms.map((m) => (m * 1e6) / (ROWS * N)))} ns an element${bytes}`);
    for (const o of mine.filter((x) => x !== r))
      console.log(
        `           / ${o.name} ${at(
          r.ms.map((m, i) => m / o.ms[i]!),
          3,
        )}`,
      );
  }
}
