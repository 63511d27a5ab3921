/**
 * Times packing one item group of the bench's 1M catalog (halves-catalog.ts: 32 rows × 50,000 items f16, 8 blocks
 * of 4 rows) as packed-wasm-layout.ts packs a fresh f16 block, from tables of (a) no and (b) 0.1 % subnormal
 * halves, for the working tree and for other versions of packed-layout.ts, each in a folder of its own:
 *   tsx --conditions=@peelrec/source scripts/pack-halves.ts [reps] [DIR ...]
 * A DIR with a half.ts beside its packed-layout.ts packs as 1d54496 does (liftScale, then packInto through
 * liftTable where it lifts), one without packs as it is (packInto, as before 1d54496). For instance:
 *   mkdir -p /tmp/old /tmp/lift && git show 1d54496^:packages/runtime/src/packed-layout.ts > /tmp/old/packed-layout.ts
 *   for f in packed-layout half; do git show 1d54496:packages/runtime/src/$f.ts > /tmp/lift/$f.ts; done
 * Every rep times every (version, table) once, interleaved. Prints each one's median [p10, p90] ms and ns a half,
 * its per-rep ratio to each other version on the same table, and whether it packs the same bytes and scales.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packLifted } from '../src/half.js';
import { packHalves } from '../src/packed-layout.js';
import { BLOCK_DIM, groupHalves, isSubnormal, ITEMS_PER_GROUP, prng, ROWS } from './halves-catalog.js';

type PackInto = (dst: Uint16Array, rows: number, n: number, row0: number, col0: number, src: Uint16Array, srcRows: number, srcCols: number, o: { dtype: 'f16'; map?: Uint16Array }) => void;
interface Lift {
  liftScale(halves: Uint16Array): number;
  liftTable(): Uint16Array;
}
/** Packs a group's file into `dst`, block after block; returns each block's scale. */
type Packer = (dst: Uint16Array, file: Uint16Array) => number[];

const [repsArg, ...dirs] = process.argv.slice(2);
const REPS = Number(repsArg ?? 31);
const N = ITEMS_PER_GROUP;
const blocks = (file: Uint16Array) => Array.from({ length: ROWS / BLOCK_DIM }, (_, k) => file.subarray(k * BLOCK_DIM * N, (k + 1) * BLOCK_DIM * N));

/** The working tree: packLifted over packHalves, as packed-wasm-layout.ts packs a fresh f16 block. */
const tree: Packer = (dst, file) => blocks(file).map((block, k) => packLifted([block], (part, _, map) => packHalves(dst, ROWS, N, k * BLOCK_DIM, part, BLOCK_DIM, map)));

async function other(dir: string): Promise<Packer> {
  const { packInto } = (await import(pathToFileURL(join(resolve(dir), 'packed-layout.ts')).href)) as { packInto: PackInto };
  if (!existsSync(join(dir, 'half.ts'))) {
    return (dst, file) => blocks(file).map((block, k) => (packInto(dst, ROWS, N, k * BLOCK_DIM, 0, block, BLOCK_DIM, N, { dtype: 'f16' }), 1));
  }
  const lift = (await import(pathToFileURL(join(resolve(dir), 'half.ts')).href)) as Lift;
  return (dst, file) =>
    blocks(file).map((block, k) => {
      const scale = lift.liftScale(block);
      packInto(dst, ROWS, N, k * BLOCK_DIM, 0, block, BLOCK_DIM, N, { dtype: 'f16', map: scale === 1 ? undefined : lift.liftTable() });
      return scale;
    });
}

const versions = [{ name: 'tree', pack: tree }, ...(await Promise.all(dirs.map(async (d) => ({ name: basename(resolve(d)), pack: await other(d) }))))];
const tables = [0, 0.001].map((fraction) => {
  const file = groupHalves(prng(3), fraction);
  return { fraction, file, subnormal: file.reduce((c, h) => c + (isSubnormal(h) ? 1 : 0), 0) / file.length };
});
const runs = tables.flatMap((t) => versions.map((v) => ({ ...v, table: t, ms: [] as number[], packed: new Uint16Array(ROWS * N), scales: [] as number[] })));

// Warm-up (tier-up), keeping what each packs to compare. Then each packs over what it packed: no allocation (and
// no page faults, no GC it would trigger) in the time, which is the same for every version.
for (const r of runs) r.scales = r.pack(r.packed, r.table.file);
for (let rep = 0; rep < REPS; rep++) {
  for (const r of runs) {
    const t0 = performance.now();
    r.pack(r.packed, r.table.file);
    r.ms.push(performance.now() - t0);
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.round(p * (xs.length - 1))]!;
const at = (xs: number[], digits = 2) => `${pct(xs, 0.5).toFixed(digits)} [${pct(xs, 0.1).toFixed(digits)}, ${pct(xs, 0.9).toFixed(digits)}]`;
const same = (a: Uint16Array, b: Uint16Array) => a.length === b.length && a.every((h, i) => h === b[i]);
console.log(`${REPS} reps, one group of ${ROWS} rows × ${N} items f16 in blocks of ${BLOCK_DIM} rows; median [p10, p90]`);
for (const t of tables) {
  console.log(`\n${(100 * t.subnormal).toFixed(3)} % subnormal halves`);
  const mine = runs.filter((r) => r.table === t);
  const base = mine[0]!;
  for (const r of mine) {
    const nsPerHalf = r.ms.map((m) => (m * 1e6) / (ROWS * N));
    const ratios = mine
      .filter((o) => o !== r)
      .map(
        (o) =>
          `/ ${o.name} ${at(
            r.ms.map((m, i) => m / o.ms[i]!),
            3,
          )}`,
      );
    const bytes = r === base ? '' : `, bytes and scales ${same(r.packed, base.packed) && r.scales.join() === base.scales.join() ? 'as' : 'NOT as'} tree`;
    console.log(`  ${r.name.padEnd(8)} ${at(r.ms)} ms, ${at(nsPerHalf)} ns a half, ${r.scales.filter((s) => s !== 1).length}/${r.scales.length} blocks lifted${bytes}`);
    for (const ratio of ratios) console.log(`           ${ratio}`);
  }
}
