// Worker thread for refineUserGroups: refines the user groups the plan gives this thread, one after another.
import { startWorker } from '../kernels/worker-runtime.mjs';
import { refineGroup } from './refine-group.mjs';

startWorker({
  /**
   * @param {{ base: import('./refine-group.mjs').RefineTask, groups: Array<Partial<import('./refine-group.mjs').RefineTask> & { id: number }>,
   *   plan: number[][], scratch: import('./refine-group.mjs').RefineTask['scratch'][], counter: number, totalEdges: number }} task
   * @param {import('../kernels/worker-runtime.mjs').WorkerContext} ctx
   */
  refine(task, ctx) {
    const counter = new Int32Array(ctx.buffer, task.counter, 1);
    /** @type {Array<{ id: number } & import('./refine-group.mjs').RefineResult>} */
    const results = [];
    let last = 0;
    for (const index of task.plan[ctx.threadId] ?? []) {
      const g = task.groups[index];
      const t = /** @type {import('./refine-group.mjs').RefineTask} */ ({ ...task.base, ...g, scratch: task.scratch[ctx.threadId] });
      const r = refineGroup(t, ctx.buffer, ctx.gemm, (rows) => {
        const done = Atomics.add(counter, 0, rows) + rows;
        const now = Date.now();
        if (now - last > 200) {
          last = now;
          ctx.progress(done, task.totalEdges);
        }
      });
      results.push({ id: g.id, ...r });
    }
    return results;
  },
});
