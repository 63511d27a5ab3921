/** bench/results.md's main-thread section, from longtasks.json (`npm run bench -- --only longtasks`, issue 26). */
import type { LongTaskRow } from '../page/longtasks.js';
import type { Machine } from './machine.js';
import { measuredOn } from './results-sections.js';
import type { Goal } from './report.js';

export interface LongTasksFile {
  readonly generatedAt: string;
  readonly machine: Machine;
  readonly rows: readonly LongTaskRow[];
  readonly goals: readonly Goal[];
}

const MiB = 1024 * 1024;

export function longTasksSection(f: LongTasksFile): string {
  const out = [
    measuredOn('longtasks.json', f.machine, f.generatedAt),
    '',
    'Main-thread tasks over 50 ms (`PerformanceObserver` `longtask`), one fresh page per row: `createRecommender`, the first call with 40 exclusions, 100 calls with them, and the first two calls of a user of another group (Gowalla shape). "worker": the runtime\'s default (its scoring worker) or `worker: false`. What ran: scripts over 30 ms in Long Animation Frames.',
    '',
    '| catalog | budget | worker | phase | wall | long tasks | longest | what ran |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of f.rows) {
    for (const p of r.phases) {
      const ran = (r.scripts ?? []).filter((s) => s.phase === p.phase).map((s) => `${s.invoker} ${s.ms} ms`);
      out.push(
        `| ${r.catalog} | ${(r.budgetBytes / MiB).toFixed(2)} MiB | ${r.worker} | ${p.phase} | ${p.ms} ms | ${p.longTasks} | ${p.longTasks ? `${p.maxTaskMs} ms` : '–'} | ${ran.join(', ') || '–'} |`,
      );
    }
  }
  return out.join('\n');
}
