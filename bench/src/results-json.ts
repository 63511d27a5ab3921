/**
 * The documents written to bench/results/{scoring,startup,memory}.json. Other
 * tools read these keys (the report, generated result pages): keep this list
 * in step with the code below.
 *
 * Every file:
 *   machine       { cpu (os.cpus()[0].model), cores, memoryGiB, memoryBytes, chromium, node,
 *                   date (ISO, when the run started), loadAverageAtStart }
 *   generatedAt   ISO time the file was written
 * scoring.json (issue 26):
 *   reps          repetitions of every case, each on a fresh page (`--reps`)
 *   seriesMs      time of each interleaved run (`--series-ms`)
 *   rows[]        one per (catalog, budgetBytes, series, timedWith, impl, backend);
 *                 p50ms, p95ms, minms, samples: medians over the repetitions;
 *                 timedWith: 'bound' (only the runtime and the bound kernels interleaved) or 'peers'
 *                 (the runtime and every other implementation); reps: repetitions that had the row;
 *                 spread.{p50ms,p95ms,minms,samples}: { median, min, max, values[] }
 *   ratios[]      one per (catalog, budgetBytes, series, impl, backend): each ratio taken within a
 *                 repetition, then the median; sameRunAsBound: true for the runtime (its ×bound comes
 *                 from the bound run); reps; spread.<figure> as for rows, null where no repetition had one
 *   agreement[]   each with rep (1-based)
 *   kinds         (issue 20; absent before it) the table kinds beside PEEL at the same bytes, on wasm:
 *                 about, catalogs, rows[] (one per shape, budgetBytes, table, impl, backend; `table` 'bound'
 *                 for the bound kernels; residentBytes, storedValues; folded like rows above),
 *                 ratios[] (one per shape, budgetBytes, table: xBound, xBoundMin, nsPerValue, vsPeel, vsPeelMin,
 *                 boundMs (the bound at the table's own bytes), boundGBps; folded), fits[] (ns per value and per
 *                 byte across budgets), crossovers[] (where sparse beats dense at equal bytes), refusals[],
 *                 agreement[], errors[]
 * startup.json:
 *   summary.{cold,warm}.spread.{firstRecommendationsMs,persistedMs,mainThreadBusyMs,recommenderReadyMs}:
 *                 { median, min, max, values[] } over the runs (`--startup-runs`, default 5)
 */
import type { Machine } from './machine.js';
import type { MemoryReportRow } from './memory.js';
import type { KindsFile } from './kinds-section.js';
import type { Goal } from './report.js';
import type { CaseOutcome, RatioSummary, RowSummary } from './scoring.js';
import type { StartupRun } from './startup.js';
import type { StartupSummary } from './startup-summary.js';

function header(machine: Machine) {
  return { machine, generatedAt: new Date().toISOString() };
}

export function scoringJson(
  machine: Machine,
  s: { reps: number; seriesMs: number; catalogs: Record<string, string>; rows: RowSummary[]; ratios: RatioSummary[]; goals: Goal[]; outcomes: readonly CaseOutcome[]; kinds?: KindsFile },
) {
  return {
    ...header(machine),
    reps: s.reps,
    seriesMs: s.seriesMs,
    catalogs: s.catalogs,
    rows: s.rows,
    ratios: s.ratios,
    goals: s.goals,
    agreement: s.outcomes.flatMap((o) => o.results.flatMap((r, i) => r.agreement.map((a) => ({ catalog: o.catalog, budgetBytes: o.budgetBytes, rep: i + 1, ...a })))),
    errors: s.outcomes.filter((o) => o.error).map((o) => ({ catalog: o.catalog, budgetBytes: o.budgetBytes, error: o.error })),
    env: s.outcomes.find((o) => o.results.length)?.results[0]?.env,
    ...(s.kinds && { kinds: s.kinds }),
  };
}

export function startupJson(machine: Machine, summary: StartupSummary, goals: Goal[], runs: StartupRun[]) {
  return { ...header(machine), summary, goals, runs };
}

export function memoryJson(machine: Machine, mem: { rows: MemoryReportRow[]; errors: unknown[] }, goals: Goal[]) {
  return { ...header(machine), rows: mem.rows, errors: mem.errors, goals };
}
