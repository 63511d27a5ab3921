/**
 * Main-thread long tasks (PerformanceObserver 'longtask': tasks over 50 ms) while the runtime loads, scores with
 * exclusions and switches user groups: what a page's input handling would wait behind (issue 26).
 */
import { createRecommender, type Recommender, type RecommenderOptions } from '@peelrec/runtime';
import { fetchSource, readManifest } from '@peelrec/format';
import { TFJS_WASM_PATHS, userOfGroup } from './common.js';

export interface LongTaskCase {
  readonly catalog: string;
  readonly manifestUrl: string;
  readonly budgetBytes: number;
  /** The recommend() calls of the "calls" phase. */
  readonly calls: number;
  /** Excluded ids per request. */
  readonly exclude: number;
  /** A second user group to switch to (the first two requests of its user are the "switch" phase); none: no switch. */
  readonly switchTo?: number;
  /** The runtime's `worker` option; absent: its default. */
  readonly worker?: boolean;
}

export interface PhaseTasks {
  /** `between`: the gaps from the first phase's start to the last one's end that no phase covers. */
  readonly phase: 'create' | 'first-exclude' | 'calls' | 'switch' | 'between';
  readonly ms: number;
  /** Long tasks that overlap the phase. */
  readonly longTasks: number;
  readonly maxTaskMs: number;
}

export interface LongTaskRow {
  readonly catalog: string;
  readonly budgetBytes: number;
  readonly worker: boolean | 'default';
  readonly backend: string;
  readonly phases: readonly PhaseTasks[];
  /** What ran in the long tasks: scripts over 30 ms in Long Animation Frames (Chromium 123+), by phase. */
  readonly scripts: readonly { readonly phase: string; readonly invoker: string; readonly source: string; readonly ms: number }[];
}

interface LoafScript {
  readonly invoker: string;
  readonly sourceURL: string;
  readonly sourceFunctionName: string;
  readonly startTime: number;
  readonly duration: number;
}

export async function runLongTaskCase(spec: LongTaskCase): Promise<LongTaskRow> {
  const manifest = await readManifest(fetchSource(spec.manifestUrl), { userGroups: [] });
  const ids = (await (await fetch(new URL(manifest.items.ids.url, spec.manifestUrl))).json()) as string[];
  const user = await userOfGroup(manifest, spec.manifestUrl, 0);
  const other = spec.switchTo === undefined ? undefined : await userOfGroup(manifest, spec.manifestUrl, spec.switchTo);
  const exclude = Array.from({ length: spec.exclude }, (_, i) => ids[(i * 7919) % ids.length]!);
  const tasks: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
  });
  observer.observe({ type: 'longtask' });
  const scripts: LoafScript[] = [];
  const frames = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) scripts.push(...((e as PerformanceEntry & { scripts: LoafScript[] }).scripts ?? []));
  });
  if (PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')) frames.observe({ type: 'long-animation-frame' });
  const windows: { phase: PhaseTasks['phase']; t0: number; t1: number }[] = [];
  const timed = async <T>(phase: PhaseTasks['phase'], fn: () => Promise<T>): Promise<T> => {
    // Each phase starts in a task of its own, as a click's handler would: a continuation of the previous phase's task is not counted in it.
    await new Promise((r) => setTimeout(r, 0));
    const t0 = performance.now();
    const out = await fn();
    windows.push({ phase, t0, t1: performance.now() });
    return out;
  };
  const options: RecommenderOptions = { manifestUrl: spec.manifestUrl, budget: spec.budgetBytes, storage: 'memory', wasmPaths: TFJS_WASM_PATHS, userGroup: 0, metadata: false };
  // The option is new with the Worker; spread so that this page also measures a runtime without it.
  const rec: Recommender = await timed('create', () => createRecommender({ ...options, ...(spec.worker === undefined ? {} : { worker: spec.worker }) } as RecommenderOptions));
  try {
    const request = { user: { vector: user.vector, group: 0 }, k: 20, exclude };
    await timed('first-exclude', () => rec.recommend(request));
    await timed('calls', async () => {
      for (let i = 0; i < spec.calls; i++) await rec.recommend(request);
    });
    if (other) {
      await timed('switch', async () => {
        for (let i = 0; i < 2; i++) await rec.recommend({ user: { vector: other.vector, group: spec.switchTo! }, k: 20, exclude });
      });
    }
    // Long-task entries are delivered after their task: let them arrive.
    await new Promise((r) => setTimeout(r, 200));
    for (const e of observer.takeRecords()) tasks.push({ start: e.startTime, duration: e.duration });
    observer.disconnect();
    frames.disconnect();
    const overlaps = (t: { start: number; duration: number }, t0: number, t1: number) => t.start < t1 && t.start + t.duration > t0;
    const counted = (phase: PhaseTasks['phase'], ms: number, inside: typeof tasks): PhaseTasks => ({
      phase,
      ms: Math.round(ms),
      longTasks: inside.length,
      maxTaskMs: Math.round(Math.max(0, ...inside.map((t) => t.duration))),
    });
    const phases = windows.map(({ phase, t0, t1 }) =>
      counted(
        phase,
        t1 - t0,
        tasks.filter((t) => overlaps(t, t0, t1)),
      ),
    );
    // The gaps between phases (each phase starts in a task of its own): a long task there is reported too.
    const [first, last] = [windows[0]!, windows[windows.length - 1]!];
    const gaps = windows.slice(1).reduce((ms, w, i) => ms + Math.max(0, w.t0 - windows[i]!.t1), 0);
    phases.push(
      counted(
        'between',
        gaps,
        tasks.filter((t) => overlaps(t, first.t0, last.t1) && !windows.some((w) => overlaps(t, w.t0, w.t1))),
      ),
    );
    const phaseAt = (t: number) => windows.find((w) => t >= w.t0 && t < w.t1)?.phase ?? 'between';
    const long = scripts
      .filter((x) => x.duration > 30)
      .map((x) => ({ phase: phaseAt(x.startTime), invoker: x.invoker, source: `${x.sourceURL.split('/').pop() ?? ''} ${x.sourceFunctionName}`.trim(), ms: Math.round(x.duration) }));
    return { catalog: spec.catalog, budgetBytes: spec.budgetBytes, worker: spec.worker ?? 'default', backend: rec.info.backend.name, phases, scripts: long };
  } finally {
    await rec.dispose();
  }
}
