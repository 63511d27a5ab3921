/** `--only longtasks`: main-thread long tasks (over 50 ms) of load, scoring with exclusions and a group switch, one fresh page per case. */
import type { Browser } from 'playwright-core';
import type { LongTaskCase, LongTaskRow } from '../page/longtasks.js';
import { onBenchPage } from './browser.js';
import { within } from './deadline.js';

export async function runLongTaskCases(browser: Browser, origin: string, cases: readonly LongTaskCase[], log: (s: string) => void): Promise<LongTaskRow[]> {
  const rows: LongTaskRow[] = [];
  for (const c of cases) {
    const row = await onBenchPage(browser, origin, (page) =>
      within(
        300_000,
        `long tasks ${c.catalog} @ ${c.budgetBytes}`,
        page.evaluate((s) => window.peelBench.runLongTaskCase(s), c),
      ),
    );
    rows.push(row);
    const phases = row.phases.map((p) => `${p.phase} ${p.ms} ms: ${p.longTasks} long tasks, max ${p.maxTaskMs} ms`).join('; ');
    log(`  long tasks ${c.catalog} @ ${c.budgetBytes} B, worker ${row.worker}, ${row.backend}: ${phases}`);
  }
  return rows;
}

/** The goal of issue 26: no main-thread task over 50 ms in any phase. */
export function longTaskGoal(rows: readonly LongTaskRow[]): { goal: string; met: boolean; figure: string } {
  const all = rows.flatMap((r) => r.phases.map((p) => ({ ...p, catalog: r.catalog })));
  return {
    goal: 'no main-thread task over 50 ms during load, 100 recommend() calls with exclusions and a group switch',
    met: all.length > 0 && all.every((p) => p.longTasks === 0),
    figure: all.map((p) => `${p.catalog} ${p.phase}: ${p.longTasks} (max ${p.maxTaskMs} ms)`).join(', '),
  };
}
