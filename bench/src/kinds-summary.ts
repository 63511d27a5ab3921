/**
 * The figures of the kinds series (issue 20), from the rows the page measured: per repetition and budget, each
 * table's ×bound (its p50 over the time the bound kernels take to stream its own bytes, at the bandwidth they
 * measured in the same interleaved run), its cost per stored value (per nonzero for sparse) and its p50 over PEEL's;
 * then medians over the repetitions, linear cost fits across budgets, and where sparse beats dense at equal bytes.
 */
import { sparseByteLength } from '@peelrec/format';
import type { KindResult, KindRow, KindTable } from '../page/kinds.js';
import { foldReps, type Folded } from './spread.js';

export interface KindOutcome {
  readonly shape: string;
  readonly budgetLabel: string;
  readonly budgetBytes: number;
  /** One result per repetition that ran. */
  readonly results: readonly KindResult[];
  readonly error?: string;
}

export interface KindRatio {
  readonly shape: string;
  readonly budgetLabel: string;
  readonly budgetBytes: number;
  readonly items: number;
  readonly fullDim: number;
  readonly table: KindTable;
  readonly catalog: string;
  readonly variant: string;
  readonly dtype: string;
  readonly residentBytes: number;
  readonly storedValues: number;
  readonly p50ms: number;
  readonly minms: number;
  /** The faster bound kernel's p50 scaled to this table's bytes: residentBytes at the bandwidth it measured. */
  readonly boundMs: number;
  readonly boundGBps: number;
  /** p50 / boundMs: the bandwidth-bound ratio (1 = as fast as streaming the bytes held). */
  readonly xBound: number;
  /** The same from the fastest samples. */
  readonly xBoundMin: number;
  /** p50 per stored value (per nonzero for sparse), in ns. */
  readonly nsPerValue: number;
  /** p50 / the PEEL table's p50 in the same run (< 1: faster than PEEL blocks at these bytes); null without PEEL. */
  readonly vsPeel: number | null;
  readonly vsPeelMin: number | null;
}

const isTable = (r: KindRow): r is KindRow & { table: KindTable } => r.table !== 'bound';
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** The ratios of one repetition's rows (any number of budgets): each table against the bound and PEEL of its own run. */
export function kindRatiosOf(rows: readonly KindRow[], labels: ReadonlyMap<string, string> = new Map()): KindRatio[] {
  const runs = new Map<string, KindRow[]>();
  for (const r of rows) runs.set(`${r.shape}|${r.budgetBytes}`, [...(runs.get(`${r.shape}|${r.budgetBytes}`) ?? []), r]);
  const out: KindRatio[] = [];
  for (const run of runs.values()) {
    const bounds = run.filter((r) => r.table === 'bound');
    if (!bounds.length) continue;
    const bound = bounds.reduce((a, b) => (b.p50ms < a.p50ms ? b : a));
    const boundMin = Math.min(...bounds.map((b) => b.minms));
    const perByte = bound.p50ms / bound.residentBytes;
    const perByteMin = boundMin / bound.residentBytes;
    const peel = run.find((r) => r.table === 'peel-blocks');
    for (const r of run.filter(isTable)) {
      const boundMs = perByte * r.residentBytes;
      out.push({
        shape: r.shape,
        budgetLabel: labels.get(`${r.shape}|${r.budgetBytes}`) ?? `${r.budgetBytes} B`,
        budgetBytes: r.budgetBytes,
        items: r.items,
        fullDim: r.fullDim,
        table: r.table,
        catalog: r.catalog,
        variant: r.variant,
        dtype: r.dtype,
        residentBytes: r.residentBytes,
        storedValues: r.storedValues,
        p50ms: r.p50ms,
        minms: r.minms,
        boundMs: round(boundMs, 4),
        boundGBps: round(bound.residentBytes / bound.p50ms / 1e6, 2),
        xBound: round(r.p50ms / boundMs, 2),
        xBoundMin: round(r.minms / (perByteMin * r.residentBytes), 2),
        nsPerValue: round((r.p50ms * 1e6) / r.storedValues, 4),
        vsPeel: peel ? round(r.p50ms / peel.p50ms, 2) : null,
        vsPeelMin: peel ? round(r.minms / peel.minms, 2) : null,
      });
    }
  }
  return out;
}

/** A least-squares line `ms = fixedMs + perUnitMs × x`; undefined with fewer than two distinct x. */
export function fitLine(points: readonly { x: number; ms: number }[]): { fixedMs: number; perUnitMs: number } | undefined {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.ms, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (n < 2 || !(sxx > 0)) return undefined;
  const perUnitMs = points.reduce((s, p) => s + (p.x - mx) * (p.ms - my), 0) / sxx;
  return { fixedMs: my - perUnitMs * mx, perUnitMs };
}

export interface CostFit {
  readonly shape: string;
  readonly items: number;
  readonly fullDim: number;
  readonly table: KindTable;
  readonly budgets: number;
  /** Marginal cost of one more stored value (sparse: nonzero), from the p50s across budgets, in ns. */
  readonly nsPerValue: number;
  /** The fit's cost at no stored value: per-call and per-row work (sparse: the row counts), in ms. */
  readonly fixedMs: number;
  /** The same line against held bytes: ns per byte, to find the equal-bytes crossover. */
  readonly nsPerByte: number;
  readonly fixedMsAtZeroBytes: number;
}

/** Per shape and table: p50 against stored values and against bytes, across the budgets measured. */
export function costFits(ratios: readonly Pick<KindRatio, 'shape' | 'items' | 'fullDim' | 'table' | 'storedValues' | 'residentBytes' | 'p50ms'>[]): CostFit[] {
  const groups = new Map<string, (typeof ratios)[number][]>();
  for (const r of ratios) groups.set(`${r.shape}|${r.table}`, [...(groups.get(`${r.shape}|${r.table}`) ?? []), r]);
  const out: CostFit[] = [];
  for (const g of groups.values()) {
    const byValues = fitLine(g.map((r) => ({ x: r.storedValues, ms: r.p50ms })));
    const byBytes = fitLine(g.map((r) => ({ x: r.residentBytes, ms: r.p50ms })));
    if (!byValues || !byBytes) continue;
    out.push({
      shape: g[0]!.shape,
      items: g[0]!.items,
      fullDim: g[0]!.fullDim,
      table: g[0]!.table,
      budgets: g.length,
      nsPerValue: round(byValues.perUnitMs * 1e6, 4),
      fixedMs: round(byValues.fixedMs, 4),
      nsPerByte: round(byBytes.perUnitMs * 1e6, 5),
      fixedMsAtZeroBytes: round(byBytes.fixedMs, 4),
    });
  }
  return out;
}

/** Where sparse is faster by the fitted lines: above or below `fittedBytes`, at every budget, or at none. */
export type FittedSide = 'above' | 'below' | 'always' | 'never';

export interface Crossover {
  readonly shape: string;
  readonly dense: 'peel-blocks' | 'mixed';
  /** Budgets (bytes) where the sparse table's p50 was below the dense one's at (nearly) the same bytes. */
  readonly sparseFasterAt: readonly number[];
  readonly measuredAt: readonly number[];
  /** Where the fitted lines (p50 against held bytes) cross at a positive budget; null where they do not. */
  readonly fittedBytes: number | null;
  /** On which side of `fittedBytes` sparse is faster by the fits; null without two fits. */
  readonly fittedSparseFaster: FittedSide | null;
  /**
   * The same values, not the same bytes: a pruned table scores faster stored sparse than stored dense at full
   * width (zeros kept; the dense fit's line at items × fullDim values) below this density; null without two fits.
   */
  readonly sameValues: SameValues | null;
}

export interface SameValues {
  /** The dense table at full width, by the dense fit (extrapolated beyond the largest budget measured). */
  readonly fullWidthMs: number;
  /** Nonzeros below which sparse is faster, as a share of items × fullDim (0: never; 1: even full). */
  readonly density: number;
  /** The f16 sparse variant's bytes at that density: the budget below which sparse beats its dense table. */
  readonly sparseBytes: number;
}

/** Where a sparse table (fit `sparse`) scores faster than the full-width dense table (fit `dense`) of the same values. */
export function sameValuesCrossover(sparse: Pick<CostFit, 'items' | 'fullDim' | 'fixedMs' | 'nsPerValue'>, dense: Pick<CostFit, 'fixedMs' | 'nsPerValue'>): SameValues | null {
  if (!(sparse.nsPerValue > 0)) return null;
  const full = sparse.items * sparse.fullDim;
  const fullWidthMs = dense.fixedMs + (dense.nsPerValue * full) / 1e6;
  const nnz = Math.min(full, Math.max(0, Math.floor(((fullWidthMs - sparse.fixedMs) * 1e6) / sparse.nsPerValue)));
  return { fullWidthMs: round(fullWidthMs, 4), density: round(nnz / full, 4), sparseBytes: sparseByteLength(sparse.items, nnz, 'f16') };
}

/** Where the line `sparse` (ms = fixed + ns/byte × B) is below `dense`, for B > 0. */
export function fittedSide(sparse: Pick<CostFit, 'fixedMsAtZeroBytes' | 'nsPerByte'>, dense: Pick<CostFit, 'fixedMsAtZeroBytes' | 'nsPerByte'>): { bytes: number | null; side: FittedSide } {
  const dFixed = (sparse.fixedMsAtZeroBytes - dense.fixedMsAtZeroBytes) * 1e6; // ns
  const dSlope = sparse.nsPerByte - dense.nsPerByte;
  if (dSlope === 0) return { bytes: null, side: dFixed < 0 ? 'always' : 'never' };
  const cross = -dFixed / dSlope;
  if (cross <= 0) return { bytes: null, side: dSlope < 0 ? 'always' : 'never' };
  return { bytes: Math.round(cross), side: dSlope < 0 ? 'above' : 'below' };
}

/** Per shape, sparse against each dense table: the measured budgets where it is faster, and the fitted crossover. */
export function crossovers(ratios: readonly Pick<KindRatio, 'shape' | 'table' | 'budgetBytes' | 'p50ms'>[], fits: readonly CostFit[]): Crossover[] {
  const out: Crossover[] = [];
  for (const shape of [...new Set(ratios.map((r) => r.shape))]) {
    for (const dense of ['peel-blocks', 'mixed'] as const) {
      const at = (table: KindTable, b: number) => ratios.find((r) => r.shape === shape && r.table === table && r.budgetBytes === b);
      const budgets = [...new Set(ratios.filter((r) => r.shape === shape).map((r) => r.budgetBytes))];
      const measuredAt = budgets.filter((b) => at('sparse', b) && at(dense, b)).sort((a, b) => a - b);
      if (!measuredAt.length) continue;
      const s = fits.find((f) => f.shape === shape && f.table === 'sparse');
      const d = fits.find((f) => f.shape === shape && f.table === dense);
      const fitted = s && d ? fittedSide(s, d) : undefined;
      out.push({
        shape,
        dense,
        sparseFasterAt: measuredAt.filter((b) => at('sparse', b)!.p50ms < at(dense, b)!.p50ms),
        measuredAt,
        fittedBytes: fitted?.bytes ?? null,
        fittedSparseFaster: fitted?.side ?? null,
        sameValues: s && d ? sameValuesCrossover(s, d) : null,
      });
    }
  }
  return out;
}

const ROW_FIGURES = ['p50ms', 'p95ms', 'minms', 'samples'] as const;
const RATIO_FIGURES = ['p50ms', 'minms', 'boundMs', 'boundGBps', 'xBound', 'xBoundMin', 'nsPerValue', 'vsPeel', 'vsPeelMin'] as const;
export type KindRowSummary = Folded<KindRow, (typeof ROW_FIGURES)[number]>;
export type KindRatioSummary = Folded<KindRatio, (typeof RATIO_FIGURES)[number]>;

export interface KindsSummary {
  readonly rows: KindRowSummary[];
  readonly ratios: KindRatioSummary[];
  readonly fits: CostFit[];
  readonly crossovers: Crossover[];
  readonly refusals: { shape: string; budgetBytes: number; table: KindTable; error: string }[];
  readonly agreement: { shape: string; budgetBytes: number; rep: number; table: KindTable; maxScoreError: number }[];
  readonly errors: { shape: string; budgetBytes: number; error: string }[];
}

/** Medians over the repetitions (ratios taken within each), then the fits and crossovers from those medians. */
export function summariseKinds(outcomes: readonly KindOutcome[]): KindsSummary {
  const labels = new Map(outcomes.map((o) => [`${o.shape}|${o.budgetBytes}`, o.budgetLabel]));
  const results = outcomes.flatMap((o) => o.results);
  const key = (r: { shape: string; budgetBytes: number; table: string }) => `${r.shape}|${r.budgetBytes}|${r.table}`;
  const rows = foldReps(
    results.flatMap((r) => r.rows),
    (r) => `${key(r)}|${r.impl}|${r.backend}`,
    ROW_FIGURES,
  );
  const ratios = foldReps(
    results.flatMap((r) => kindRatiosOf(r.rows, labels)),
    key,
    RATIO_FIGURES,
  );
  const fits = costFits(ratios);
  const firstRefusals = outcomes.flatMap((o) => (o.results[0]?.refusals ?? []).map((x) => ({ shape: o.shape, budgetBytes: o.budgetBytes, ...x })));
  return {
    rows,
    ratios,
    fits,
    crossovers: crossovers(ratios, fits),
    refusals: firstRefusals,
    agreement: outcomes.flatMap((o) =>
      o.results.flatMap((r, i) => r.agreement.map((a) => ({ shape: o.shape, budgetBytes: o.budgetBytes, rep: i + 1, table: a.table, maxScoreError: a.maxScoreError }))),
    ),
    errors: outcomes.filter((o) => o.error).map((o) => ({ shape: o.shape, budgetBytes: o.budgetBytes, error: o.error! })),
  };
}
