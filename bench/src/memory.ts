/** Memory at each budget, one fresh page per case so nothing of another case is counted. */
import type { Browser } from 'playwright-core';
import type { MemoryCase, MemoryRow } from '../page/memory.js';
import { onBenchPage } from './browser.js';
import { within } from './deadline.js';

export interface MemoryReportRow extends MemoryRow {
  /** performance.memory.usedJSHeapSize after a forced GC (Chromium, --enable-precise-memory-info). */
  readonly jsHeapUsedBytes: number | null;
  /** CDP Runtime.getHeapUsage after a forced GC: the V8 heap and, where Chromium reports it, ArrayBuffer backing stores. */
  readonly cdpHeapUsedBytes: number;
  readonly cdpBackingStoreBytes: number | null;
  readonly embeddingWithinBudget: boolean;
}

export async function runMemoryCases(
  browser: Browser,
  origin: string,
  cases: readonly MemoryCase[],
  log: (s: string) => void,
): Promise<{ rows: MemoryReportRow[]; errors: { case: MemoryCase; error: string }[] }> {
  const rows: MemoryReportRow[] = [];
  const errors: { case: MemoryCase; error: string }[] = [];
  for (const c of cases) {
    try {
      await onBenchPage(browser, origin, async (page, context) => {
        const row = await within(
          120_000,
          `memory ${c.catalog} @ ${c.budgetBytes} on ${c.backend}`,
          page.evaluate((s) => window.peelBench.runMemoryCase(s), c),
        );
        const cdp = await context.newCDPSession(page);
        await cdp.send('HeapProfiler.collectGarbage');
        const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
        const jsHeapUsedBytes = await page.evaluate(() => (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null);
        await page.evaluate(() => (window as unknown as { disposeLast: () => Promise<void> }).disposeLast());
        rows.push({
          ...row,
          jsHeapUsedBytes,
          cdpHeapUsedBytes: heap.usedSize,
          cdpBackingStoreBytes: heap.backingStorageSize ?? null,
          embeddingWithinBudget: row.tensorBytes <= c.budgetBytes && row.residentBytes <= c.budgetBytes,
        });
        log(`  memory ${c.catalog} @ ${c.budgetBytes} B on ${c.backend}: resident ${row.residentBytes} B, tensors ${row.tensorBytes} B`);
      });
    } catch (e) {
      const error = String((e as Error).message ?? e)
        .split('\n')
        .slice(0, 4)
        .join('\n');
      log(`  memory ${c.catalog} @ ${c.budgetBytes} B on ${c.backend}: ${error}`);
      errors.push({ case: c, error });
    }
  }
  return { rows, errors };
}
