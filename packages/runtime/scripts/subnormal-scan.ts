/**
 * Times the scan kernel (src/kernel/scan.wat) over an f16 table holding (a) no, (b) 0.1 % and (c) 1 % subnormal
 * halves, in Node's V8, driven as test/fixtures/scan-kernel.ts drives it: the bench's 1M catalog shape (20 item
 * groups × 50,000 items × 32 rows, values ~N(0, 0.1)), k = 20, one `run` per request. The kernel widens a
 * subnormal half (|v| < 2^-14) to an f32 subnormal, which x86 multiplies through a microcode assist; (b) and (c)
 * are also timed as the packed layout now holds them ("fixed": each 4-row block lifted times 2^10 where half.ts
 * says so, the 2^-10 in its row weights), and their top-k checked to be the same bits as unfixed. (Packing
 * alone, against the versions before and at 1d54496: pack-halves.ts.)
 *   tsx --conditions=@peelrec/source scripts/subnormal-scan.ts [reps] [OTHER_SCAN_WASM.ts ...]
 * Each OTHER file is a generated scan-wasm.ts (e.g. `git show HEAD:…/scan-wasm.ts > /tmp/old.ts`), timed beside
 * the working tree's in the same run (also as a ratio to it). Prints the median and spread of each, and each
 * table's ratio to (a) in the same rep.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { packLifted } from '../src/half.js';
import { packHalves } from '../src/packed-layout.js';
import { BLOCK_DIM, groupHalves, isSubnormal, ITEMS_PER_GROUP, prng, ROWS } from './halves-catalog.js';

const GROUPS = 20;
const K = 20;
const [repsArg, ...others] = process.argv.slice(2);
const REPS = Number(repsArg ?? 15);

interface Scan {
  run(table: number, segments: number, user: number, scale: number, heap: number, k: number, excl: number, coef: number, tmp: number): void;
  size: WebAssembly.Global;
}

/** A group's halves in the packed layout, block after block, each lifted times 2^10 where `fix` and half.ts say so (as packed-wasm-layout.ts packs), and each block's scale. */
function packGroup(file: Uint16Array, fix: boolean): { halves: Uint16Array; scales: number[] } {
  const halves = new Uint16Array(ROWS * ITEMS_PER_GROUP);
  const scales: number[] = [];
  for (let r0 = 0; r0 < ROWS; r0 += BLOCK_DIM) {
    const block = file.subarray(r0 * ITEMS_PER_GROUP, (r0 + BLOCK_DIM) * ITEMS_PER_GROUP);
    const pack = (part: Uint16Array, _: number, map: Uint16Array | undefined) => packHalves(halves, ROWS, ITEMS_PER_GROUP, r0, part, BLOCK_DIM, map);
    scales.push(fix ? packLifted([block], pack) : (pack(block, 0, undefined), 1));
  }
  return { halves, scales };
}

/** One memory per table: [scratch | table | matrices], each table scanned by every kernel build given. */
function table(fraction: number, fix: boolean): { memory: WebAssembly.Memory; args: Parameters<Scan['run']>; subnormal: number } {
  const bytesPerGroup = ROWS * ITEMS_PER_GROUP * 2;
  const base = 1 << 20;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((base + GROUPS * bytesPerGroup) / 65536) });
  const u8 = new Uint8Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  const f32 = new Float32Array(memory.buffer);
  const [heap, excl, tableAt, meta, user, coef, tmp] = [1024, 4096, 200_000, 201_024, 210_000, 211_000, 212_000];
  const rand = prng(2);
  let subnormal = 0;
  for (let g = 0; g < GROUPS; g++) {
    const file = groupHalves(rand, fraction);
    subnormal += file.reduce((c, h) => c + (isSubnormal(h) ? 1 : 0), 0);
    const { halves, scales } = packGroup(file, fix);
    const mat = base + g * bytesPerGroup;
    u8.set(new Uint8Array(halves.buffer), mat);
    i32.set([mat, ROWS, ITEMS_PER_GROUP, g * ITEMS_PER_GROUP, 1, meta + g * ROWS * 8, meta + g * ROWS * 8 + ROWS * 4, 0], (tableAt >> 2) + g * 8);
    for (let r = 0; r < ROWS; r++) {
      i32[((meta + g * ROWS * 8) >> 2) + r] = r;
      f32[((meta + g * ROWS * 8) >> 2) + ROWS + r] = Math.fround(0.05 + rand() * 0.2) * scales[Math.floor(r / BLOCK_DIM)]!;
    }
  }
  for (let d = 0; d < ROWS; d++) f32[(user >> 2) + d] = (rand() + rand() + rand() - 1.5) * 0.2;
  return { memory, args: [tableAt, GROUPS, user, 1, heap, K, excl, coef, tmp], subnormal: subnormal / (GROUPS * ROWS * ITEMS_PER_GROUP) };
}

async function builds(path: string, label: string): Promise<{ name: string; bytes: Uint8Array<ArrayBuffer> }[]> {
  const m = (await import(pathToFileURL(resolve(path)).href)) as { SCAN_WASM_RELAXED_BASE64: string; SCAN_WASM_SIMD_BASE64: string };
  return [
    { name: `${label} relaxed`, bytes: Uint8Array.from(Buffer.from(m.SCAN_WASM_RELAXED_BASE64, 'base64')) },
    { name: `${label} simd`, bytes: Uint8Array.from(Buffer.from(m.SCAN_WASM_SIMD_BASE64, 'base64')) },
  ];
}

setFlagsFromString('--experimental-wasm-relaxed-simd');
const kernels = [...(await builds(new URL('../src/kernel/scan-wasm.ts', import.meta.url).pathname, 'tree')), ...(await Promise.all(others.map((p, i) => builds(p, `other${i + 1}`)))).flat()];
const tables = (
  [
    [0, false],
    [0.001, false],
    [0.001, true],
    [0.01, false],
    [0.01, true],
  ] as const
).map(([f, fix]) => ({ fraction: f, fix, ...table(f, fix) }));
const runs = await Promise.all(
  kernels.flatMap((kern) =>
    tables.map(async (t) => {
      const instance = await WebAssembly.instantiate(await WebAssembly.compile(kern.bytes), { env: { memory: t.memory } });
      return { kernel: kern.name, fraction: t.fraction, fix: t.fix, subnormal: t.subnormal, memory: t.memory, scan: instance.exports as unknown as Scan, args: t.args, ms: [] as number[] };
    }),
  ),
);
/** The heap after a run, best first. */
function topk(r: (typeof runs)[number]): string {
  r.scan.run(...r.args);
  const i32 = new Int32Array(r.memory.buffer, r.args[4], 2 * K);
  const f32 = new Float32Array(r.memory.buffer, r.args[4], 2 * K);
  const out = Array.from({ length: r.scan.size.value as number }, (_, i) => ({ position: i32[2 * i + 1]!, score: f32[2 * i]! }));
  return JSON.stringify(out.sort((a, b) => b.score - a.score || a.position - b.position));
}
// Warm-up (tier-up, page faults), and the fixed tables' top-k against the unfixed ones', bit for bit.
for (const r of runs) {
  if (!r.fix) continue;
  const same = topk(r) === topk(runs.find((x) => x.kernel === r.kernel && x.fraction === r.fraction && !x.fix)!);
  console.log(`${r.kernel} ${(100 * r.fraction).toFixed(1)} %: fixed top-${K} ${same ? 'is' : 'IS NOT'} the unfixed one, bit for bit`);
  if (!same) process.exitCode = 1;
}
for (const r of runs) r.scan.run(...r.args);
// Interleaved: every rep times every (kernel, table) once, so drift from the other load hits all alike.
for (let rep = 0; rep < REPS; rep++) {
  for (const r of runs) {
    const t0 = performance.now();
    r.scan.run(...r.args);
    r.ms.push(performance.now() - t0);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.round(p * (xs.length - 1))]!;
const at = (xs: number[]) => `${median(xs).toFixed(3)} [${pct(xs, 0.1).toFixed(3)}, ${pct(xs, 0.9).toFixed(3)}]`;
console.log(`${REPS} reps, ${GROUPS} × ${ITEMS_PER_GROUP} items × ${ROWS} rows f16, k = ${K}, median [p10, p90] of: ms per run; its ratio to the 0 % table's run in the same rep`);
for (const r of runs) {
  const a = runs.find((x) => x.kernel === r.kernel && x.fraction === 0)!;
  // Per-rep ratios: the other load on the machine hits the two runs of a rep alike.
  const ratio = r.ms.map((m, i) => m / a.ms[i]!);
  const name = `${r.kernel} ${(100 * r.subnormal).toFixed(3)} %${r.fix ? ' fixed' : ''}`;
  // Another kernel: also its ratio to the working tree's same build on the same table.
  const tree = runs.find((x) => x.kernel === r.kernel.replace(/^other\d+/, 'tree') && x.fraction === r.fraction && x.fix === r.fix)!;
  const vsTree = tree === r ? '' : `   vs tree ${at(r.ms.map((m, i) => m / tree.ms[i]!))}`;
  console.log(`${name.padEnd(30)} ${at(r.ms)} ms   ratio ${at(ratio)}${vsTree}`);
}
