/** Drives the scoring cases in Chromium and derives the ratios and goals from the rows. */
import type { Browser } from 'playwright-core';
import { fullTableBytes, type Manifest } from '@peelrec/format';
import type { ScoringCase, ScoringResult, ScoringRow } from '../page/scoring.js';
import { within } from './deadline.js';

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
  readonly result?: ScoringResult;
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

export async function runScoringPlan(
  browsers: { plain: Browser; webgpu: () => Promise<Browser> },
  origin: string,
  plan: readonly ScoringPlanEntry[],
  timing: Pick<ScoringCase, 'minSamples' | 'maxSamples' | 'maxMs'>,
  log: (s: string) => void,
): Promise<CaseOutcome[]> {
  const out: CaseOutcome[] = [];
  for (const entry of plan) {
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
      log(`scoring ${entry.catalog} @ ${entry.budgetLabel} (${entry.budgetBytes} B) on ${entry.backends.join(', ')}${entry.peers ? ' + peers' : ''}`);
      const result = await within(
        CASE_TIMEOUT_MS,
        `scoring ${entry.catalog} @ ${entry.budgetLabel}`,
        page.evaluate((s) => window.peelBench.runScoringCase(s), spec),
      );
      out.push({ catalog: entry.catalog, budgetLabel: entry.budgetLabel, budgetBytes: entry.budgetBytes, result, error: result.runtimeError });
      if (result.runtimeError) log(`  the runtime refused it: ${result.runtimeError.split('\n')[0]}`);
    } catch (e) {
      const message = String((e as Error).message ?? e)
        .split('\n')
        .slice(0, 6)
        .join('\n');
      if (message.includes('DISAGREEMENT')) throw new Error(`implementations disagree on ${entry.catalog} @ ${entry.budgetLabel}: ${message}`);
      log(`  ${entry.catalog} @ ${entry.budgetLabel}: could not run: ${message}${errors.length ? `\n  page errors: ${errors.join('; ')}` : ''}`);
      out.push({ catalog: entry.catalog, budgetLabel: entry.budgetLabel, budgetBytes: entry.budgetBytes, error: message });
    } finally {
      await context.close();
    }
  }
  return out;
}

export interface Ratio {
  readonly catalog: string;
  readonly budgetBytes: number;
  readonly series: string;
  readonly impl: string;
  readonly backend: string;
  readonly p50ms: number;
  /** The faster bound kernel's p50 in the same series, and the bandwidth it implies. */
  readonly boundMs: number;
  readonly boundGBps: number;
  readonly xBound: number;
  /** p50 of this row / p50 of onnxruntime-web in the same series (< 1: faster). */
  readonly vsOnnxruntimeWeb: number | null;
  /** The same two ratios from the fastest samples, steadier when the machine is loaded. */
  readonly xBoundMin: number;
  readonly vsOnnxruntimeWebMin: number | null;
}

export function ratiosOf(rows: readonly ScoringRow[]): Ratio[] {
  const out: Ratio[] = [];
  const key = (r: ScoringRow) => `${r.catalog}|${r.budgetBytes}|${r.series}`;
  const groups = new Map<string, ScoringRow[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  for (const g of groups.values()) {
    const bounds = g.filter((r) => r.impl.startsWith('bound-'));
    if (!bounds.length) continue;
    const bound = bounds.reduce((a, b) => (b.p50ms < a.p50ms ? b : a));
    const boundMin = Math.min(...bounds.map((b) => b.minms));
    const ort = g.find((r) => r.impl === 'onnxruntime-web');
    for (const r of g) {
      if (r.impl.startsWith('bound-')) continue;
      out.push({
        catalog: r.catalog,
        budgetBytes: r.budgetBytes,
        series: r.series,
        impl: r.impl,
        backend: r.backend,
        p50ms: r.p50ms,
        boundMs: bound.p50ms,
        boundGBps: Number((r.boundBytes / (bound.p50ms / 1000) / 1e9).toFixed(2)),
        xBound: Number((r.p50ms / bound.p50ms).toFixed(2)),
        vsOnnxruntimeWeb: ort ? Number((r.p50ms / ort.p50ms).toFixed(2)) : null,
        xBoundMin: Number((r.minms / boundMin).toFixed(2)),
        vsOnnxruntimeWebMin: ort ? Number((r.minms / ort.minms).toFixed(2)) : null,
      });
    }
  }
  return out;
}
