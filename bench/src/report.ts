/** The goals, judged from the measured rows, and the markdown the README quotes. */
import { markdownTable } from 'markdown-table';
import type { ScoringRow } from '../page/scoring.js';
import type { Machine } from './machine.js';
import type { MemoryReportRow } from './memory.js';
import type { CaseOutcome, Ratio } from './scoring.js';
import type { StartupSummary } from './startup-summary.js';

export interface Goal {
  readonly goal: string;
  readonly met: boolean | null;
  readonly figure: string;
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '–');
const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;

export function scoringGoals(ratios: readonly Ratio[], outcomes: readonly CaseOutcome[], millionCatalog: string): Goal[] {
  const goals: Goal[] = [];
  const runtimeWasm = ratios.filter((r) => r.impl === 'runtime' && r.series === 'wasm');
  for (const r of runtimeWasm) {
    const where = `${r.catalog} @ ${mb(r.budgetBytes)}`;
    goals.push({
      goal: `runtime (wasm) within 1.5× of the bound: ${where}`,
      met: r.xBound <= 1.5,
      figure: `${r.xBound}× at p50 (${ms(r.p50ms)} ms vs ${ms(r.boundMs)} ms, ${r.boundGBps} GB/s); ${r.xBoundMin}× fastest vs fastest`,
    });
    if (r.vsOnnxruntimeWeb !== null) {
      goals.push({
        goal: `runtime (wasm) faster than onnxruntime-web: ${where}`,
        met: r.vsOnnxruntimeWeb < 1,
        figure: `${r.vsOnnxruntimeWeb}× onnxruntime-web's p50; ${r.vsOnnxruntimeWebMin}× fastest vs fastest`,
      });
    }
  }
  const million = runtimeWasm.find((r) => r.catalog === millionCatalog);
  goals.push({ goal: '≤ 10 ms p50 for 1M items at 16 MiB on wasm', met: million ? million.p50ms <= 10 : null, figure: million ? `${ms(million.p50ms)} ms` : 'not measured' });
  for (const o of outcomes) {
    const goal = `runtime serves ${o.catalog} @ ${o.budgetLabel} (${o.budgetBytes} B)`;
    const served = o.result?.rows.find((r) => r.impl === 'runtime' && r.series === 'wasm');
    if (o.error) goals.push({ goal, met: false, figure: o.error.split('\n')[0]! });
    else if (served) {
      const refused = (o.result?.refusals ?? []).map((r) => `; ${r.backend} (f32 resident) refuses it: ${r.error.split('\n')[0]!}`).join('');
      goals.push({ goal, met: true, figure: `wasm: ${served.dtype} blocks, ${served.residentBytes} B resident${refused}` });
    }
  }
  return goals;
}

export function markdown(opts: {
  machine: Machine;
  scoring?: { rows: ScoringRow[]; ratios: Ratio[]; outcomes: CaseOutcome[]; catalogs: Record<string, string> };
  startup?: StartupSummary;
  memory?: { rows: MemoryReportRow[]; errors: { case: { catalog: string; budgetBytes: number; backend: string }; error: string }[] };
  goals: Goal[];
  notes: string[];
  quality?: string;
}): string {
  const { machine: m } = opts;
  const out: string[] = [];
  out.push('# peelrec benchmarks', '');
  out.push(
    `Machine: ${m.cpu} (model name from /proc/cpuinfo), ${m.cores} cores, ${m.memoryGiB} GiB; Chromium ${m.chromium} (headless); Node ${m.node}. Load average at start: ${m.loadAverageAtStart}.`,
    '',
  );
  out.push('Regenerate with `npm run bench` (quick mode) from the repository root. Compare ratios measured side by side (same series), not absolute times across runs.', '');
  for (const n of opts.notes) out.push(`- ${n}`);
  out.push('');
  out.push('## Goals', '');
  out.push(markdownTable([['goal', 'met', 'figure'], ...opts.goals.map((g) => [g.goal, g.met === null ? 'n/a' : g.met ? 'met' : '**missed**', g.figure])]), '');

  if (opts.scoring) {
    const { rows, ratios, catalogs } = opts.scoring;
    out.push('## Scoring summary (wasm series; p50 ms, then × the bound at p50 / × the bound fastest-vs-fastest)', '');
    // The wasm series, or the f16 series timed without the runtime where it refused the budget.
    const primary = (r: ScoringRow) => r.series === 'wasm' || r.series.startsWith('no runtime');
    const at = (c: string, b: number, impl: string) => rows.find((r) => r.catalog === c && r.budgetBytes === b && primary(r) && r.impl === impl);
    const cases = [...new Map(rows.filter(primary).map((r) => [`${r.catalog}|${r.budgetBytes}`, r])).values()];
    const cell = (r: ScoringRow | undefined, bound: number, boundMin: number) => (r ? `${ms(r.p50ms)} (${(r.p50ms / bound).toFixed(1)}× / ${(r.minms / boundMin).toFixed(1)}×)` : '–');
    out.push(
      markdownTable([
        ['catalog', 'budget', 'series', 'bound', 'runtime', 'onnxruntime-web', 'plain TS loop', 'fused SIMD prototype', 'same, f16-resident', 'runtime / ORT (p50 / fastest)'],
        ...cases.map((c) => {
          const bounds = rows.filter((r) => r.catalog === c.catalog && r.budgetBytes === c.budgetBytes && primary(r) && r.impl.startsWith('bound-'));
          const bound = Math.min(...bounds.map((r) => r.p50ms));
          const boundMin = Math.min(...bounds.map((r) => r.minms));
          const rt = at(c.catalog, c.budgetBytes, 'runtime');
          const ort = at(c.catalog, c.budgetBytes, 'onnxruntime-web');
          return [
            c.catalog,
            mb(c.budgetBytes),
            c.series,
            `${ms(bound)} (${(c.boundBytes / (bound / 1000) / 1e9).toFixed(1)} GB/s)`,
            cell(rt, bound, boundMin),
            cell(ort, bound, boundMin),
            cell(at(c.catalog, c.budgetBytes, 'ts-loop'), bound, boundMin),
            cell(at(c.catalog, c.budgetBytes, 'proto-simd-fused-topk'), bound, boundMin),
            cell(at(c.catalog, c.budgetBytes, 'proto-simd-fused-topk-f16'), bound, boundMin),
            rt && ort ? `${(rt.p50ms / ort.p50ms).toFixed(2)} / ${(rt.minms / ort.minms).toFixed(2)}` : '–',
          ];
        }),
      ]),
      '',
    );
    out.push('## Scoring speed, every row (p50 / p95, ms)', '');
    out.push(
      'Catalogs: ' +
        Object.entries(catalogs)
          .map(([k, v]) => `\`${k}\`: ${v}`)
          .join('; ') +
        '.',
      '',
    );
    out.push(
      "`series` = the runtime backend whose interleaved run the row belongs to; `×bound` = p50 / the faster bound kernel's p50 in the same series; `vs ORT` = p50 / onnxruntime-web's p50 in the same series.",
      '',
    );
    const ratio = new Map(ratios.map((r) => [`${r.catalog}|${r.budgetBytes}|${r.series}|${r.impl}|${r.backend}`, r]));
    const table = [['catalog', 'items', 'budget', 'dtype', 'series', 'impl', 'backend', 'p50', 'p95', 'min', '×bound', 'vs ORT']];
    for (const r of rows) {
      const q = ratio.get(`${r.catalog}|${r.budgetBytes}|${r.series}|${r.impl}|${r.backend}`);
      const boundNote = r.impl.startsWith('bound-') ? `${(r.boundBytes / (r.p50ms / 1000) / 1e9).toFixed(1)} GB/s` : '';
      table.push([
        r.catalog,
        String(r.items),
        mb(r.budgetBytes),
        r.dtype,
        r.series,
        r.impl,
        r.backend,
        ms(r.p50ms),
        ms(r.p95ms),
        ms(r.minms),
        q ? `${q.xBound}` : boundNote,
        q?.vsOnnxruntimeWeb != null ? `${q.vsOnnxruntimeWeb}` : '',
      ]);
    }
    out.push(markdownTable(table), '');
  }
  if (opts.startup) {
    const s = opts.startup;
    out.push(`## Start-up (${s.catalog}, budget ${mb(s.budgetBytes)}, localhost, median of ${s.runs} runs)`, '');
    out.push(
      markdownTable([
        ['', 'first recommendations', 'all IndexedDB writes committed', 'main-thread task time (of which script)', 'artifact bytes downloaded', 'of which blocks'],
        ...(['cold', 'warm'] as const).map((kind) => {
          const r = s[kind];
          return [kind, `${ms(r.firstRecommendationsMs)} ms`, `${ms(r.persistedMs)} ms`, `${ms(r.mainThreadBusyMs)} ms (${ms(r.scriptMs)} ms)`, `${r.downloadedBytes} B`, `${r.blockBytes} B`];
        }),
        ["cold, storage 'memory' (diagnostic: no IndexedDB)", `${ms(s.coldMemoryStorageMs)} ms`, '–', '', '', ''],
      ]),
      '',
    );
    out.push(
      'Main-thread task time = CDP Performance TaskDuration / ScriptDuration of the page until the driver read the result (so it includes the IndexedDB work after the first recommendations). It is wall time inside main-thread tasks: close to the whole cold start means the main thread, not the network, is the critical path.',
      '',
    );
    const t = (x: number | null) => (x === null ? '–' : `${x.toFixed(0)} ms`);
    out.push('Where the time went (medians, ms from navigation start):', '');
    out.push(
      markdownTable([
        ['', 'app code loaded', 'manifest fetched', 'first block request', 'last block received', 'recommender ready', 'first recommendations'],
        ...(['cold', 'warm'] as const).map((k) => [
          k,
          t(s[k].timeline.appCodeLoadedMs),
          t(s[k].timeline.manifestFetchedMs),
          t(s[k].timeline.firstBlockRequestMs),
          t(s[k].timeline.lastBlockReceivedMs),
          t(s[k].timeline.recommenderReadyMs),
          t(s[k].firstRecommendationsMs),
        ]),
      ]),
      '',
    );
    out.push(
      `Selected: ${s.selectedBlocks} blocks, ${s.selectedFileBytes} B of ${s.dtype} files; downloaded / selected = ${s.downloadedOverSelected} on the wire with JSON gzipped (${s.uncompressedOverSelected} uncompressed; blocks only: ${s.blocksOverSelected}). Cold downloads by kind (on the wire): ${Object.entries(
        s.coldByKind,
      )
        .map(([k, v]) => `${k} ${v} B`)
        .join(', ')}. Backend: ${s.backend}.`,
      '',
    );
    const h = s.history;
    out.push(`A new user's history (${h.items.join(', ')}: user group ${h.groupBlind.userGroup}), cold (issue 27):`, '');
    out.push(
      markdownTable([
        ['', 'first recommendations', 'artifact bytes downloaded', "× a known user's cold download", 'of which block tables / blocks'],
        ...(
          [
            ['group-blind (default)', h.groupBlind, h.groupBlindOverKnownCold],
            ['groupBlind: false (the group is fetched by name)', h.revealing, h.revealingOverKnownCold],
          ] as const
        ).map(([label, c, x]) => [label, `${ms(c.firstRecommendationsMs)} ms`, `${c.downloadedBytes} B`, `${x}×`, `${c.byKind['block tables'] ?? 0} B / ${c.byKind.blocks ?? 0} B`]),
      ]),
      '',
    );
    out.push(
      markdownTable([
        ['option (block bytes at this budget)', 'block bytes', '× one group', 'the server learns'],
        ...h.options.map((o) => [o.option, `${o.blockBytes} B`, `${o.overOneGroup}×`, o.serverLearns]),
      ]),
      '',
    );
  }
  if (opts.memory) {
    out.push('## Memory', '');
    out.push(
      markdownTable([
        ['catalog', 'budget', 'backend', 'dtype', 'resident (rec.info)', 'tf.memory()', '≤ budget', 'wasm memory (× budget)', 'JS heap after GC (× budget)'],
        ...opts.memory.rows.map((r) => [
          r.catalog,
          mb(r.budgetBytes),
          r.backend,
          r.dtype,
          mb(r.residentBytes),
          mb(r.tensorBytes),
          r.embeddingWithinBudget ? 'yes' : '**no**',
          r.wasmMemoryBytes === null ? '–' : `${mb(r.wasmMemoryBytes)} (${(r.wasmMemoryBytes / r.budgetBytes).toFixed(1)}×)`,
          r.jsHeapUsedBytes === null ? '–' : `${mb(r.jsHeapUsedBytes)} (${(r.jsHeapUsedBytes / r.budgetBytes).toFixed(1)}×)`,
        ]),
      ]),
      '',
    );
    for (const e of opts.memory.errors) out.push(`- ${e.case.catalog} @ ${mb(e.case.budgetBytes)} on ${e.case.backend}: ${e.error.split('\n')[0]}`);
    out.push('');
  }
  if (opts.quality) out.push(opts.quality);
  return out.join('\n');
}
