/**
 * Drives the kinds series of the scoring benchmark (issue 20) in Chromium: at each budget of kindBudgets, the
 * PEEL catalog and the `mixed` and `sparse` catalogs of its shape on one fresh page, `reps` times (repetition-major,
 * as scoring.ts does, so a slow spell of the machine lands on one repetition of every case).
 */
import type { Browser } from 'playwright-core';
import type { KindCase, KindResult } from '../page/kinds.js';
import { type CatalogShape, GOWALLA_SHAPE, MILLION_SHAPE } from './catalog.js';
import { within } from './deadline.js';
import { KIND_CATALOGS, type KindBudget, kindBudgets, kindCatalog, type KindCatalog } from './kind-catalog.js';
import type { KindsFile } from './kinds-section.js';
import { type KindOutcome, summariseKinds } from './kinds-summary.js';

/** One case (three tables loaded, checked and timed) must finish within this. */
const CASE_TIMEOUT_MS = 180_000;

export interface KindPlanEntry {
  readonly shape: CatalogShape;
  readonly budget: KindBudget;
  readonly mixed: KindCatalog;
  readonly sparse: KindCatalog;
}

/** Every budget of both shapes, smallest first within a shape. */
export function kindPlan(shapes: readonly CatalogShape[] = [GOWALLA_SHAPE, MILLION_SHAPE]): KindPlanEntry[] {
  return shapes.flatMap((shape) => kindBudgets(shape).map((budget) => ({ shape, budget, mixed: kindCatalog(shape, 'mixed'), sparse: kindCatalog(shape, 'sparse') })));
}

export async function runKindPlan(
  browser: Browser,
  origin: string,
  plan: readonly KindPlanEntry[],
  timing: Pick<KindCase, 'minSamples' | 'maxSamples' | 'maxMs'>,
  reps: number,
  log: (s: string) => void,
): Promise<KindOutcome[]> {
  const results = plan.map(() => [] as KindResult[]);
  const errors: (string | undefined)[] = plan.map(() => undefined);
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, entry] of plan.entries()) {
      // A case that could not run at all would cost its timeout again.
      if (errors[i] && !results[i]!.length) continue;
      try {
        results[i]!.push(await runCase(entry, `${rep + 1}/${reps}`));
      } catch (e) {
        const message = String((e as Error).message ?? e)
          .split('\n')
          .slice(0, 6)
          .join('\n');
        if (message.includes('DISAGREEMENT')) throw new Error(`a table disagrees with its reference on ${entry.shape.name} @ ${entry.budget.label}: ${message}`);
        log(`  kinds ${entry.shape.name} @ ${entry.budget.label}: could not run: ${message}`);
        errors[i] ??= message;
      }
    }
  }
  return plan.map((e, i) => ({ shape: e.shape.name, budgetLabel: e.budget.label, budgetBytes: e.budget.bytes, results: results[i]!, error: errors[i] }));

  async function runCase(entry: KindPlanEntry, rep: string): Promise<KindResult> {
    const context = await browser.newContext();
    const pageErrors: string[] = [];
    try {
      const page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await page.goto(`${origin}/bench.html`);
      await page.waitForFunction(() => document.title === 'ready' || document.title === 'error');
      const url = (catalog: string) => `${origin}/artifacts/${catalog}/manifest.json`;
      const spec: KindCase = {
        shape: entry.shape.name,
        budgetBytes: entry.budget.bytes,
        tables: [
          { table: 'peel-blocks', catalog: entry.shape.name, manifestUrl: url(entry.shape.name) },
          { table: 'mixed', catalog: entry.mixed.name, manifestUrl: url(entry.mixed.name) },
          { table: 'sparse', catalog: entry.sparse.name, manifestUrl: url(entry.sparse.name) },
        ],
        k: 20,
        ...timing,
      };
      log(`kinds ${entry.shape.name} @ ${entry.budget.label} (${entry.budget.bytes} B): PEEL, mixed, sparse on wasm, repetition ${rep}`);
      const result = await within(
        CASE_TIMEOUT_MS,
        `kinds ${entry.shape.name} @ ${entry.budget.label}`,
        page.evaluate((s) => window.peelBench.runKindCase(s), spec),
      );
      for (const r of result.refusals) log(`  ${r.table} refused it: ${r.error.split('\n')[0]}`);
      return result;
    } catch (e) {
      if (pageErrors.length) (e as Error).message += `\n  page errors: ${pageErrors.join('; ')}`;
      throw e;
    } finally {
      await context.close();
    }
  }
}

/** `scoring.json`'s `kinds` member: what was run, the catalogs, and the figures. */
export function kindsFile(outcomes: readonly KindOutcome[], reps: number, seriesMs: number): KindsFile {
  return {
    about: `On wasm, f16 values: at each budget one page loads the PEEL catalog (f16 blocks) and the mixed and sparse catalogs of its shape through createRecommender, checks each against its float64 reference, and times them interleaved with the bound kernels (${reps} repetition${reps === 1 ? '' : 's'} of ${seriesMs} ms runs; medians [min–max]). ×bound = p50 ÷ (the table's held bytes at the bandwidth the bound kernels measured in the same run); ns per value = p50 ÷ stored values (sparse: nonzeros, whose u8 indices and row counts are held too).`,
    catalogs: Object.fromEntries(KIND_CATALOGS.map((c) => [c.name, c.label])),
    ...summariseKinds(outcomes),
  };
}
