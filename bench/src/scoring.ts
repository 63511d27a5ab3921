/**
 * Drives the scoring cases in Chromium, `reps` times each (a fresh page per
 * case and repetition), and derives the ratios from the rows: per repetition,
 * then folded into medians with their spread (issue 26).
 */
import type { Browser } from 'playwright-core';
import { fullTableBytes, type Manifest } from '@peelrec/format';
import type { RuntimeSeries, ScoringCase, ScoringResult, ScoringRow } from '../page/scoring.js';
import { GOWALLA_SHAPE, MILLION_SHAPE, SMALL_SHAPE } from './catalog.js';
import { within } from './deadline.js';
import { foldReps, type Folded } from './spread.js';

/** One scoring case (all its series) must finish within this. */
const CASE_TIMEOUT_MS = 180_000;

export interface ScoringPlanEntry {
  readonly catalog: string;
  readonly budgetBytes: number;
  readonly budgetLabel: string;
  readonly backends: ScoringCase['backends'];
  readonly peers: boolean;
  readonly webgpu?: boolean;
}

export interface CaseOutcome {
  readonly catalog: string;
  readonly budgetLabel: string;
  readonly budgetBytes: number;
  /** One result per repetition that ran, in run order. */
  readonly results: readonly ScoringResult[];
  /** Why the case could not run (e.g. the runtime refused the budget). */
  readonly error?: string;
}

export const MiB = 2 ** 20;

export function gowallaBudgets(m: Manifest): { label: string; bytes: number }[] {
  const full = fullTableBytes(m, 'f32');
  return [
    { label: '100 %', bytes: full },
    { label: '20 %', bytes: Math.floor(full * 0.2) },
    { label: '5 %', bytes: Math.floor(full * 0.05) },
  ];
}

/**
 * The runtime on wasm asked for f16, under the series name `wasm`: the catalogs export i8 too, which `auto`
 * would pick on wasm below the full budget, and the `wasm` rows stay the f16 ones they were.
 */
const WASM_F16: RuntimeSeries = { backend: 'wasm', dtype: 'f16', name: 'wasm' };
/** The runtime on wasm asked for i8: int8 resident, scored with integer dot products (its bound streams those bytes). */
const WASM_I8: RuntimeSeries = { backend: 'wasm', dtype: 'i8', name: 'wasm i8' };

/** The scoring cases: the Gowalla-shaped catalog at its budgets (and 10 % for i8), the 1M catalog, the small one on WebGPU. */
export function scoringPlan(gowalla: Manifest): ScoringPlanEntry[] {
  const [full, ...tight] = gowallaBudgets(gowalla);
  const tenPercent = { label: '10 %', bytes: Math.floor(full!.bytes * 0.1) };
  return [
    { catalog: GOWALLA_SHAPE.name, budgetBytes: full!.bytes, budgetLabel: full!.label, backends: ['wasm', 'cpu'], peers: true },
    ...tight.map((b) => ({ catalog: GOWALLA_SHAPE.name, budgetBytes: b.bytes, budgetLabel: b.label, backends: [WASM_F16, 'cpu', WASM_I8] as const, peers: true })),
    { catalog: GOWALLA_SHAPE.name, budgetBytes: tenPercent.bytes, budgetLabel: tenPercent.label, backends: [WASM_F16, WASM_I8], peers: false },
    { catalog: MILLION_SHAPE.name, budgetBytes: 16 * MiB, budgetLabel: '16 MiB', backends: [WASM_F16, 'cpu', WASM_I8], peers: true },
    { catalog: SMALL_SHAPE.name, budgetBytes: 2 * MiB, budgetLabel: '100 % (2 MiB budget)', backends: ['webgpu'], peers: false, webgpu: true },
  ];
}

/** A runtime series' name in the rows' `series` column: its `name`, else its backend. */
export const seriesName = (b: ScoringPlanEntry['backends'][number]): string => (typeof b === 'string' ? b : (b.name ?? b.backend));

/**
 * The plan narrowed to the runtime series named (e.g. `wasm i8`), without peers: to time one series quickly while
 * exploring. Each kept series still runs with its bound kernels, so its ratios are measured as in the full plan.
 * @throws Error for a name no entry of the plan has
 */
export function onlySeries(plan: readonly ScoringPlanEntry[], names: readonly string[]): ScoringPlanEntry[] {
  const known = new Set(plan.flatMap((e) => e.backends.map(seriesName)));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`no scoring series ${unknown.map((n) => `"${n}"`).join(', ')}; the plan has ${[...known].join(', ')}`);
  return plan.flatMap((e) => {
    const backends = e.backends.filter((b) => names.includes(seriesName(b)));
    return backends.length ? [{ ...e, backends, peers: false }] : [];
  });
}

export async function runScoringPlan(
  browsers: { plain: Browser; webgpu: () => Promise<Browser> },
  origin: string,
  plan: readonly ScoringPlanEntry[],
  timing: Pick<ScoringCase, 'minSamples' | 'maxSamples' | 'maxMs'>,
  reps: number,
  log: (s: string) => void,
): Promise<CaseOutcome[]> {
  const results = plan.map(() => [] as ScoringResult[]);
  const errors: (string | undefined)[] = plan.map(() => undefined);
  // Repetition-major, so that a slow spell of the machine lands on one repetition of every case, not on every repetition of one.
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, entry] of plan.entries()) {
      // A case that could not run (a hang, a crash) would cost its timeout again: do not spend the time.
      if (errors[i] && !results[i]!.length) continue;
      const outcome = await runCase(entry, `${rep + 1}/${reps}`);
      if (outcome.result) results[i]!.push(outcome.result);
      errors[i] ??= outcome.error;
    }
  }
  return plan.map((entry, i) => ({ catalog: entry.catalog, budgetLabel: entry.budgetLabel, budgetBytes: entry.budgetBytes, results: results[i]!, error: errors[i] }));

  async function runCase(entry: ScoringPlanEntry, rep: string): Promise<{ result?: ScoringResult; error?: string }> {
    const browser = entry.webgpu ? await browsers.webgpu() : browsers.plain;
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(`${origin}/bench.html`);
      await page.waitForFunction(() => document.title === 'ready' || document.title === 'error');
      const spec: ScoringCase = {
        catalog: entry.catalog,
        manifestUrl: `${origin}/artifacts/${entry.catalog}/manifest.json`,
        budgetBytes: entry.budgetBytes,
        backends: entry.backends,
        peers: entry.peers,
        backendLabel: entry.webgpu ? { webgpu: 'webgpu (swiftshader)' } : undefined,
        k: 20,
        userGroup: 0,
        ...timing,
      };
      const series = entry.backends.map(seriesName);
      log(`scoring ${entry.catalog} @ ${entry.budgetLabel} (${entry.budgetBytes} B) on ${series.join(', ')}${entry.peers ? ' + peers' : ''}, repetition ${rep}`);
      const result = await within(
        CASE_TIMEOUT_MS,
        `scoring ${entry.catalog} @ ${entry.budgetLabel}`,
        page.evaluate((s) => window.peelBench.runScoringCase(s), spec),
      );
      if (result.runtimeError) log(`  the runtime refused it: ${result.runtimeError.split('\n')[0]}`);
      return { result, error: result.runtimeError };
    } catch (e) {
      const message = String((e as Error).message ?? e)
        .split('\n')
        .slice(0, 6)
        .join('\n');
      if (message.includes('DISAGREEMENT')) throw new Error(`implementations disagree on ${entry.catalog} @ ${entry.budgetLabel}: ${message}`);
      log(`  ${entry.catalog} @ ${entry.budgetLabel}: could not run: ${message}${errors.length ? `\n  page errors: ${errors.join('; ')}` : ''}`);
      return { error: message };
    } finally {
      await context.close();
    }
  }
}

export interface Ratio {
  readonly catalog: string;
  readonly budgetBytes: number;
  readonly series: string;
  readonly impl: string;
  readonly backend: string;
  /** p50 and fastest sample in the run the ×bound comes from: the bound run for the runtime, the peers run for the others. */
  readonly p50ms: number;
  readonly minms: number;
  /** True where this implementation was interleaved with the bound kernels (the runtime); false for a peer, timed among the peers, over the bound run's bound. */
  readonly sameRunAsBound: boolean;
  /** The faster bound kernel's p50 in the series' bound run, and the bandwidth it implies. */
  readonly boundMs: number;
  readonly boundGBps: number;
  readonly xBound: number;
  /** p50 of this implementation / p50 of onnxruntime-web, both in the series' peers run (< 1: faster); null without it. */
  readonly vsOnnxruntimeWeb: number | null;
  /** The same two ratios from the fastest samples, steadier when the machine is loaded. */
  readonly xBoundMin: number;
  readonly vsOnnxruntimeWebMin: number | null;
}

const isBound = (r: ScoringRow) => r.impl.startsWith('bound-');
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

/** The ratios of one repetition's rows, per series: ×bound against the series' bound run, vs onnxruntime-web within its peers run. */
export function ratiosOf(rows: readonly ScoringRow[]): Ratio[] {
  const out: Ratio[] = [];
  const key = (r: ScoringRow) => `${r.catalog}|${r.budgetBytes}|${r.series}`;
  const groups = new Map<string, ScoringRow[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  for (const g of groups.values()) {
    const boundRun = g.filter((r) => r.timedWith === 'bound');
    const peersRun = g.filter((r) => r.timedWith === 'peers');
    const bounds = boundRun.filter(isBound);
    if (!bounds.length) continue;
    const bound = bounds.reduce((a, b) => (b.p50ms < a.p50ms ? b : a));
    const boundMin = Math.min(...bounds.map((b) => b.minms));
    const ort = peersRun.find((r) => r.impl === 'onnxruntime-web');
    const seen = new Set<string>();
    for (const r of g) {
      const id = `${r.impl}|${r.backend}`;
      if (isBound(r) || seen.has(id)) continue;
      seen.add(id);
      const withBound = boundRun.find((x) => x.impl === r.impl && x.backend === r.backend);
      const withPeers = peersRun.find((x) => x.impl === r.impl && x.backend === r.backend);
      const timed = (withBound ?? withPeers)!;
      out.push({
        catalog: r.catalog,
        budgetBytes: r.budgetBytes,
        series: r.series,
        impl: r.impl,
        backend: r.backend,
        p50ms: timed.p50ms,
        minms: timed.minms,
        sameRunAsBound: withBound !== undefined,
        boundMs: bound.p50ms,
        boundGBps: Number((r.boundBytes / (bound.p50ms / 1000) / 1e9).toFixed(2)),
        xBound: ratio(timed.p50ms, bound.p50ms),
        vsOnnxruntimeWeb: ort && withPeers ? ratio(withPeers.p50ms, ort.p50ms) : null,
        xBoundMin: ratio(timed.minms, boundMin),
        vsOnnxruntimeWebMin: ort && withPeers ? ratio(withPeers.minms, ort.minms) : null,
      });
    }
  }
  return out;
}

const ROW_FIGURES = ['p50ms', 'p95ms', 'minms', 'samples'] as const;
const RATIO_FIGURES = ['p50ms', 'minms', 'boundMs', 'boundGBps', 'xBound', 'xBoundMin', 'vsOnnxruntimeWeb', 'vsOnnxruntimeWebMin'] as const;

/** A row over the repetitions: each figure the median of the repetitions' figures, with their spread. */
export type RowSummary = Folded<ScoringRow, (typeof ROW_FIGURES)[number]>;
/** A ratio over the repetitions: taken within each repetition (so the runtime and its bound share a run), then the median. */
export type RatioSummary = Folded<Ratio, (typeof RATIO_FIGURES)[number]>;

export function summariseScoring(outcomes: readonly CaseOutcome[]): { rows: RowSummary[]; ratios: RatioSummary[] } {
  const results = outcomes.flatMap((o) => o.results);
  const rows = foldReps(
    results.flatMap((r) => r.rows),
    (r) => `${r.catalog}|${r.budgetBytes}|${r.series}|${r.timedWith}|${r.impl}|${r.backend}`,
    ROW_FIGURES,
  );
  const ratios = foldReps(
    results.flatMap((r) => ratiosOf(r.rows)),
    (r) => `${r.catalog}|${r.budgetBytes}|${r.series}|${r.impl}|${r.backend}`,
    RATIO_FIGURES,
  );
  return { rows, ratios };
}
