/** `--only threads`: does a second scan thread pay (issue 26)? One fresh page per case (page/threads.ts). */
import type { Browser } from 'playwright-core';
import type { ThreadsCase, ThreadsRow } from '../page/threads.js';
import { onBenchPage } from './browser.js';
import { within } from './deadline.js';
import type { Machine } from './machine.js';
import { measuredOn } from './results-sections.js';
import { type Spread, spreadOf } from './spread.js';

/** 1M items at 16 MiB in both compute-bound dtypes, and the Gowalla shape's 4 MiB in f16. */
export const THREADS_CASES: readonly ThreadsCase[] = (['cold', 'warm'] as const).flatMap((cache) => [
  { label: '1M items, f16, 8 dims (16 MiB)', dtype: 'f16' as const, rows: 8, items: 1_048_576, k: 20, calls: 200, cache },
  { label: '1M items, i8, 16 dims (16 MiB)', dtype: 'i8' as const, rows: 16, items: 1_048_576, k: 20, calls: 200, cache },
  { label: 'Gowalla shape, f16, 48 dims (3.75 MiB)', dtype: 'f16' as const, rows: 48, items: 40_981, k: 20, calls: 400, cache },
]);

/** Every case `reps` times (repetitions outermost, so that each case's samples are spread over the run), a fresh page each. */
export async function runThreadsCases(browser: Browser, origin: string, cases: readonly ThreadsCase[], reps: number, log: (s: string) => void): Promise<ThreadsRow[]> {
  const rows: ThreadsRow[] = [];
  for (const c of Array.from({ length: reps }, () => cases).flat()) {
    const row = await onBenchPage(browser, origin, (page) =>
      within(
        300_000,
        `threads ${c.label}`,
        page.evaluate((s) => window.peelBench.runThreadsCase(s), c),
      ),
    );
    rows.push(row);
    log(`  threads ${c.label}, ${c.cache}: 1 thread ${row.one.p50ms} ms, 2 threads ${row.two.p50ms} ms (×${row.ratio}), same top-k ${row.sameTop}`);
  }
  return rows;
}

export interface ThreadsFile {
  readonly generatedAt: string;
  readonly machine: Machine;
  /** Every repetition's row. */
  readonly rows: readonly ThreadsRow[];
}

/** Median [min–max] over the repetitions. */
function spread(s: Spread | null, unit: 'ms' | '×'): string {
  if (!s) return '–';
  const f = (x: number) => x.toFixed(unit === 'ms' ? 3 : 2);
  const u = unit === 'ms' ? ' ms' : '×';
  return s.min === s.max ? `${f(s.median)}${u}` : `${f(s.median)}${u} [${f(s.min)}–${f(s.max)}]`;
}

export function threadsSection(f: ThreadsFile): string {
  const out = [
    measuredOn('threads.json', f.machine, f.generatedAt),
    '',
    `The runtime's scan kernel (relaxed SIMD) on a synthetic catalog in its packed layout, top-20, timed from the page through a worker, messages included, "cold" after the page swept 128 MiB of its own (what other work between an app's requests does to the caches), "warm" back to back: one thread holding the whole catalog, against two holding half each (the first asks the second for its half's top-k over a \`MessagePort\`, scans its own half meanwhile, and merges). The two configurations alternate in rounds of 10 calls on one page. "scan", "bound" and "wait" are medians inside the workers: the one thread's scan, the bandwidth bound (the bench's streaming sum over as many bytes, on that thread, in the same cache state), and, with two threads, the coordinator's own scan, then its wait for the helper.`,
    '',
    "Each figure is the median of the repetitions' per-call medians (p50), with their min–max.",
    '',
    '| catalog | cache | reps × calls | 1 thread | 2 threads | 2 ÷ 1 | 1 thread: scan | bound | scan ÷ bound | 2 threads: own scan + wait | same top-k |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  // Per row: a column's figure in each repetition, and its unit.
  const columns: readonly [(r: ThreadsRow) => number, 'ms' | '×'][] = [
    [(r) => r.one.p50ms, 'ms'],
    [(r) => r.two.p50ms, 'ms'],
    [(r) => r.ratio, '×'],
    [(r) => r.oneScanMs, 'ms'],
    [(r) => r.boundMs, 'ms'],
    [(r) => r.scanOverBound, '×'],
  ];
  const cases = new Map<string, ThreadsRow[]>();
  for (const r of f.rows) {
    const key = `${r.label}\t${r.cache}`;
    cases.set(key, [...(cases.get(key) ?? []), r]);
  }
  for (const rs of cases.values()) {
    const r = rs[0]!;
    const cell = (pick: (r: ThreadsRow) => number, unit: 'ms' | '×') => spread(spreadOf(rs.map(pick)), unit);
    const figures = columns.map(([pick, unit]) => cell(pick, unit));
    const two = `${cell((x) => x.twoScanMs, 'ms')} + ${cell((x) => x.twoWaitMs, 'ms')}`;
    out.push(`| ${r.label} | ${r.cache} | ${rs.length} × ${r.calls} | ${figures.join(' | ')} | ${two} | ${rs.every((x) => x.sameTop) ? 'yes' : '**no**'} |`);
  }
  return out.join('\n');
}
