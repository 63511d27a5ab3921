/** Medians over the start-up runs (with their spread), and the start-up goals. */
import type { GroupBlindOption } from './group-blind-cost.js';
import type { Goal } from './report.js';
import { median, spreadOf, type Spread } from './spread.js';
import type { ColdRun, StartupRun } from './startup.js';

export interface StartupSide {
  readonly firstRecommendationsMs: number;
  readonly persistedMs: number;
  /** Artifact bytes on the wire (JSON gzip-compressed, as a static host sends it). */
  readonly downloadedBytes: number;
  readonly uncompressedBytes: number;
  readonly blockBytes: number;
  /** Median main-thread task time (CDP TaskDuration: wall time inside main-thread tasks) until the driver read the result. */
  readonly mainThreadBusyMs: number;
  readonly scriptMs: number;
  /** Medians, ms from navigation start: where the time to first recommendations went. */
  readonly timeline: {
    readonly appCodeLoadedMs: number;
    readonly manifestFetchedMs: number | null;
    readonly firstBlockRequestMs: number | null;
    readonly lastBlockReceivedMs: number | null;
    readonly recommenderReadyMs: number;
  };
  /** Over the runs: median, min–max and every run's value of the times above (issue 26: one run is one noisy sample). */
  readonly spread: {
    readonly firstRecommendationsMs: Spread;
    readonly persistedMs: Spread;
    readonly mainThreadBusyMs: Spread;
    readonly recommenderReadyMs: Spread;
  };
}

export interface StartupSummary {
  readonly catalog: string;
  readonly budgetBytes: number;
  readonly runs: number;
  readonly backend: string;
  readonly dtype: string;
  readonly selectedBlocks: number;
  readonly selectedFileBytes: number;
  readonly cold: StartupSide;
  readonly warm: StartupSide;
  /** Median first recommendations of a cold load with storage 'memory' (no IndexedDB at all). */
  readonly coldMemoryStorageMs: number;
  /** Diagnostic: `worker: false`, cold and warm first recommendations and main-thread task time (medians), the spread of warm. */
  readonly inThread?: { readonly coldMs: number; readonly warmMs: number; readonly coldBusyMs: number; readonly warmBusyMs: number; readonly warmSpread: Spread };
  readonly coldByKind: Record<string, number>;
  readonly downloadedOverSelected: number;
  readonly uncompressedOverSelected: number;
  readonly blocksOverSelected: number;
  /** Issue 27: a cold `{ history }` user, group-blind (the default) and with `groupBlind: false`, against `cold` (a known user). */
  readonly history: HistorySummary;
}

export interface HistoryCold {
  readonly firstRecommendationsMs: number;
  /** Artifact bytes on the wire (medians), and by kind (first run). */
  readonly downloadedBytes: number;
  readonly byKind: Record<string, number>;
  readonly requests: number;
  readonly userGroup: number;
  readonly groupBlind: boolean;
}

export interface HistorySummary {
  readonly items: readonly string[];
  readonly groupBlind: HistoryCold;
  readonly revealing: HistoryCold;
  /** Group-blind bytes over a known user's cold download (`cold.downloadedBytes`). */
  readonly groupBlindOverKnownCold: number;
  readonly revealingOverKnownCold: number;
  /** The block bytes of every option issue 27 lists, on this catalog and with the trained Gowalla artifact's pack sharing. */
  readonly options: readonly GroupBlindOption[];
}

function medianOrNull(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
}

function historyCold(runs: readonly ColdRun[]): HistoryCold {
  const first = runs[0]!;
  return {
    firstRecommendationsMs: median(runs.map((r) => r.result.firstRecommendationsMs)),
    downloadedBytes: median(runs.map((r) => r.served.bytes)),
    byKind: first.served.byKind,
    requests: median(runs.map((r) => r.served.requests)),
    userGroup: first.result.userGroup,
    groupBlind: first.result.groupBlind,
  };
}

export function summariseStartup(catalog: string, budgetBytes: number, runs: readonly StartupRun[], history: { items: readonly string[]; options: readonly GroupBlindOption[] }): StartupSummary {
  if (runs.length === 0) throw new Error('no start-up run to summarise');
  const over = (xs: number[]) => spreadOf(xs)!;
  const side = (pick: 'cold' | 'warm'): StartupSide => ({
    firstRecommendationsMs: median(runs.map((r) => r[pick].firstRecommendationsMs)),
    persistedMs: median(runs.map((r) => r[pick].persistedMs)),
    downloadedBytes: median(runs.map((r) => r[pick === 'cold' ? 'coldServed' : 'warmServed'].bytes)),
    mainThreadBusyMs: median(runs.map((r) => r[pick === 'cold' ? 'coldBusy' : 'warmBusy'].taskMs)),
    scriptMs: median(runs.map((r) => r[pick === 'cold' ? 'coldBusy' : 'warmBusy'].scriptMs)),
    uncompressedBytes: median(runs.map((r) => r[pick === 'cold' ? 'coldServed' : 'warmServed'].uncompressedBytes)),
    blockBytes: median(runs.map((r) => r[pick === 'cold' ? 'coldServed' : 'warmServed'].byKind.blocks ?? 0)),
    timeline: {
      appCodeLoadedMs: median(runs.map((r) => r[pick].timeline.appCodeLoadedMs)),
      manifestFetchedMs: medianOrNull(runs.map((r) => r[pick].timeline.manifestFetchedMs)),
      firstBlockRequestMs: medianOrNull(runs.map((r) => r[pick].timeline.firstBlockRequestMs)),
      lastBlockReceivedMs: medianOrNull(runs.map((r) => r[pick].timeline.lastBlockReceivedMs)),
      recommenderReadyMs: median(runs.map((r) => r[pick].recommenderReadyMs)),
    },
    spread: {
      firstRecommendationsMs: over(runs.map((r) => r[pick].firstRecommendationsMs)),
      persistedMs: over(runs.map((r) => r[pick].persistedMs)),
      mainThreadBusyMs: over(runs.map((r) => r[pick === 'cold' ? 'coldBusy' : 'warmBusy'].taskMs)),
      recommenderReadyMs: over(runs.map((r) => r[pick].recommenderReadyMs)),
    },
  });
  const first = runs[0]!;
  const cold = side('cold');
  const selected = first.cold.selectionFileBytes;
  return {
    catalog,
    budgetBytes,
    runs: runs.length,
    backend: first.cold.backend,
    dtype: first.cold.dtype,
    selectedBlocks: first.cold.selectedBlocks,
    selectedFileBytes: selected,
    cold,
    warm: side('warm'),
    coldMemoryStorageMs: median(runs.map((r) => r.coldMemory.firstRecommendationsMs)),
    inThread: {
      coldMs: median(runs.map((r) => r.inThread.cold.firstRecommendationsMs)),
      warmMs: median(runs.map((r) => r.inThread.warm.firstRecommendationsMs)),
      coldBusyMs: median(runs.map((r) => r.inThread.coldBusy.taskMs)),
      warmBusyMs: median(runs.map((r) => r.inThread.warmBusy.taskMs)),
      warmSpread: over(runs.map((r) => r.inThread.warm.firstRecommendationsMs)),
    },
    coldByKind: first.coldServed.byKind,
    downloadedOverSelected: Number((cold.downloadedBytes / selected).toFixed(3)),
    uncompressedOverSelected: Number((cold.uncompressedBytes / selected).toFixed(3)),
    blocksOverSelected: Number((cold.blockBytes / selected).toFixed(3)),
    history: summariseHistory(runs, cold.downloadedBytes, history),
  };
}

function summariseHistory(runs: readonly StartupRun[], knownCold: number, history: { items: readonly string[]; options: readonly GroupBlindOption[] }): HistorySummary {
  const groupBlind = historyCold(runs.map((r) => r.history.blind));
  const revealing = historyCold(runs.map((r) => r.history.revealing));
  return {
    items: history.items,
    groupBlind,
    revealing,
    groupBlindOverKnownCold: Number((groupBlind.downloadedBytes / knownCold).toFixed(3)),
    revealingOverKnownCold: Number((revealing.downloadedBytes / knownCold).toFixed(3)),
    options: history.options,
  };
}

/** `412 ms (median of 5 runs, 398–440)`. */
function msOverRuns(x: Spread): string {
  return `${x.median.toFixed(0)} ms (median of ${x.values.length} runs, ${x.min.toFixed(0)}–${x.max.toFixed(0)})`;
}

export function startupGoals(s: StartupSummary): Goal[] {
  return [
    { goal: 'cold start ≤ 350 ms (first recommendations; issue 26)', met: s.cold.firstRecommendationsMs <= 350, figure: msOverRuns(s.cold.spread.firstRecommendationsMs) },
    { goal: 'warm start ≤ 100 ms (from IndexedDB; issue 26)', met: s.warm.firstRecommendationsMs <= 100, figure: msOverRuns(s.warm.spread.firstRecommendationsMs) },
    {
      goal: 'downloaded ≤ 1.05 × selected (every artifact byte, cold)',
      met: s.downloadedOverSelected <= 1.05,
      figure: `${s.downloadedOverSelected}× on the wire, JSON gzipped (${s.uncompressedOverSelected}× uncompressed; blocks alone ${s.blocksOverSelected}×)`,
    },
    { goal: 'warm start downloads no blocks', met: s.warm.blockBytes === 0, figure: `${s.warm.blockBytes} B of blocks, ${s.warm.downloadedBytes} B in all` },
    {
      goal: "group-blind history user, cold: downloaded ≤ 1.5 × a known user's cold download (issue 27)",
      met: s.history.groupBlindOverKnownCold <= 1.5,
      figure: `${s.history.groupBlindOverKnownCold}× (${s.history.groupBlind.downloadedBytes} B vs ${s.cold.downloadedBytes} B); with groupBlind false ${s.history.revealingOverKnownCold}× (group ${s.history.revealing.userGroup})`,
    },
  ];
}
