/**
 * The generated sections of bench/results.md, each rendered from one JSON file of bench/results/ alone, so that
 * the document can be rebuilt (and checked) without rerunning anything. results-doc.ts places them.
 */
import { markdownTable } from 'markdown-table';
import type { Machine } from './machine.js';
import { type QualityFile, qualityMarkdown } from './quality-summary.js';
import type { MemoryReportRow } from './memory.js';
import { type KindsFile, kindsSection } from './kinds-section.js';
import type { Goal } from './report.js';
import type { RatioSummary, RowSummary } from './scoring.js';
import type { Spread } from './spread.js';
import type { StartupSummary } from './startup-summary.js';

/** What every file the bench writes starts with. */
interface Measured {
  readonly machine: Machine;
  readonly generatedAt: string;
  readonly goals: readonly Goal[];
}

export interface ScoringFile extends Measured {
  /** Repetitions of every case (each on a fresh page), and the time of each interleaved run. */
  readonly reps: number;
  readonly seriesMs: number;
  readonly catalogs: Readonly<Record<string, string>>;
  readonly rows: readonly RowSummary[];
  readonly ratios: readonly RatioSummary[];
  /** The table kinds beside PEEL at the same bytes (issue 20); absent in runs before them. */
  readonly kinds?: KindsFile;
}

export interface StartupFile extends Measured {
  readonly summary: StartupSummary;
}

export interface MemoryFile extends Measured {
  readonly rows: readonly MemoryReportRow[];
  readonly errors: readonly { readonly case: { readonly catalog: string; readonly budgetBytes: number; readonly backend: string }; readonly error: string }[];
}

// Sub-millisecond bounds (0.145 ms) need the third digit.
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1) : '–');
const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const bytes = (b: number) => `${b.toLocaleString('en-US')} B`;
const firstLine = (s: string) => s.split('\n')[0]!;
/** ` [1.20–1.35]`: the min–max over the repetitions, where there were several. */
const range = (s: Spread | null | undefined, f: (x: number) => string = String) => (s && s.values.length > 1 ? ` [${f(s.min)}–${f(s.max)}]` : '');

/** Which file, when, and on what: the figures mean nothing without it. */
export function measuredOn(file: string, m: Machine, generatedAt: string): string {
  const when = generatedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  const out = [
    `From [\`results/${file}\`](results/${file}), ${when}: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Chromium ${m.chromium} (headless); Node ${m.node}; load average ${m.loadAverageAtStart} at the start.`,
  ];
  if (m.loadAverageAtStart > m.cores) {
    out.push(
      '',
      `**Noisy run**: the load average was above the ${m.cores} cores when it started (other work on the machine), so absolute times are inflated and spreads are wide; compare only figures measured side by side.`,
    );
  }
  return out.join('\n');
}

/** The goals of every bench file, with the file each comes from. */
export function goalsSection(files: readonly { readonly file: string; readonly goals: readonly Goal[] }[]): string {
  const rows = files.flatMap(({ file, goals }) => goals.map((g) => [g.goal, g.met === null ? 'n/a' : g.met ? 'met' : '**missed**', g.figure.replaceAll('\n', ' '), `\`${file}\``]));
  return markdownTable([['goal', 'met', 'figure', 'from'], ...rows]);
}

export function scoringSection(s: ScoringFile): string {
  const { reps, rows, ratios, catalogs } = s;
  const out = [measuredOn('scoring.json', s.machine, s.generatedAt), ''];
  out.push(
    `Every case ran ${reps} times, each on a fresh page, with interleaved runs of ${s.seriesMs} ms after the minimum samples; every figure is the median over the repetitions, with their min–max in brackets.`,
    '',
  );
  // The wasm series, or the f16 series timed without the runtime where it refused the budget.
  const primary = (r: { series: string }) => r.series === 'wasm' || r.series.startsWith('no runtime');
  const caseKey = (r: { catalog: string; budgetBytes: number }) => `${r.catalog}|${r.budgetBytes}`;
  const cases = [...new Map(ratios.filter(primary).map((r) => [caseKey(r), r])).values()];
  const cell = (r: RatioSummary | undefined) => (r ? `${ms(r.p50ms)} (${r.xBound}×${range(r.spread.xBound)} / ${r.xBoundMin}×)` : '–');
  out.push('**Summary** (wasm series; p50 ms, then × the bound at p50 [min–max] / × the bound fastest-vs-fastest):', '');
  out.push(
    markdownTable([
      ['catalog', 'budget', 'series', 'bound [min–max]', 'runtime', 'onnxruntime-web', 'plain TS loop', 'fused SIMD prototype', 'same, f16-resident', 'runtime / ORT (p50 [min–max] / fastest)'],
      ...cases.map((c) => {
        const at = (impl: string) => ratios.find((r) => caseKey(r) === caseKey(c) && primary(r) && r.impl === impl);
        const boundRow = rows.find((r) => caseKey(r) === caseKey(c) && primary(r) && r.impl.startsWith('bound-'));
        const rt = at('runtime');
        return [
          c.catalog,
          mb(c.budgetBytes),
          c.series,
          `${ms(c.boundMs)}${range(c.spread.boundMs, ms)} (${c.boundGBps} GB/s${boundRow ? `, ${mb(boundRow.boundBytes)}` : ''})`,
          cell(rt),
          cell(at('onnxruntime-web')),
          cell(at('ts-loop')),
          cell(at('proto-simd-fused-topk')),
          cell(at('proto-simd-fused-topk-f16')),
          rt?.vsOnnxruntimeWeb != null ? `${rt.vsOnnxruntimeWeb}${range(rt.spread.vsOnnxruntimeWeb)} / ${rt.vsOnnxruntimeWebMin}` : '–',
        ];
      }),
    ]),
    '',
  );
  out.push(
    `**Every row** (ms). Catalogs: ${Object.entries(catalogs)
      .map(([k, v]) => `\`${k}\`: ${v}`)
      .join(
        '; ',
      )}. \`series\` = the runtime backend the row belongs to; \`run\` = \`bound\` (interleaved with the bound kernels only) or \`peers\` (with every other implementation); \`p50 range\` = the min–max over the repetitions; \`×bound\` = p50 / the faster bound kernel's p50 in the series' bound run; \`vs ORT\` = p50 / onnxruntime-web's p50 in the peers run.`,
    '',
  );
  const ratio = new Map(ratios.map((r) => [`${r.catalog}|${r.budgetBytes}|${r.series}|${r.impl}|${r.backend}`, r]));
  const table = [['catalog', 'items', 'budget', 'dtype', 'series', 'run', 'impl', 'backend', 'p50', 'p50 range', 'p95', 'min', '×bound', 'vs ORT']];
  for (const r of rows) {
    const found = ratio.get(`${r.catalog}|${r.budgetBytes}|${r.series}|${r.impl}|${r.backend}`);
    // A ratio belongs to the run it was taken from: ×bound to the bound run for the runtime, to the peers run for the others.
    const q = found && (found.sameRunAsBound ? r.timedWith === 'bound' : r.timedWith === 'peers') ? found : undefined;
    const vsOrt = found && r.timedWith === 'peers' ? found.vsOnnxruntimeWeb : null;
    const boundNote = r.impl.startsWith('bound-') ? `${(r.boundBytes / (r.p50ms / 1000) / 1e9).toFixed(1)} GB/s` : '';
    table.push([
      r.catalog,
      String(r.items),
      mb(r.budgetBytes),
      r.dtype,
      r.series,
      r.timedWith,
      r.impl,
      r.backend,
      ms(r.p50ms),
      range(r.spread.p50ms, ms).trim(),
      ms(r.p95ms),
      ms(r.minms),
      q ? `${q.xBound}` : boundNote,
      vsOrt != null ? `${vsOrt}` : '',
    ]);
  }
  out.push(markdownTable(table));
  if (s.kinds) out.push('', kindsSection(s.kinds));
  return out.join('\n');
}

export function startupSection(file: StartupFile): string {
  const s = file.summary;
  const out = [measuredOn('startup.json', file.machine, file.generatedAt), ''];
  out.push(`**${s.catalog}, budget ${mb(s.budgetBytes)}, localhost, median of ${s.runs} runs [min–max]** (a known \`{ id }\` user; backend ${s.backend}):`, '');
  out.push(
    markdownTable([
      ['', 'first recommendations', 'all IndexedDB writes committed', 'main-thread task time (of which script)', 'artifact bytes downloaded', 'of which blocks'],
      ...(['cold', 'warm'] as const).map((kind) => {
        const r = s[kind];
        const sp = r.spread;
        return [
          kind,
          `${ms(r.firstRecommendationsMs)} ms${range(sp.firstRecommendationsMs, ms)}`,
          `${ms(r.persistedMs)} ms${range(sp.persistedMs, ms)}`,
          `${ms(r.mainThreadBusyMs)} ms${range(sp.mainThreadBusyMs, ms)} (${ms(r.scriptMs)} ms)`,
          bytes(r.downloadedBytes),
          bytes(r.blockBytes),
        ];
      }),
      ["cold, storage 'memory' (diagnostic: no IndexedDB)", `${ms(s.coldMemoryStorageMs)} ms`, '–', '', '', ''],
      ...(s.inThread
        ? [
            ['cold, worker false (diagnostic: on the page’s thread)', `${ms(s.inThread.coldMs)} ms`, '–', `${ms(s.inThread.coldBusyMs)} ms`, '', ''],
            ['warm, worker false (diagnostic)', `${ms(s.inThread.warmMs)} ms${range(s.inThread.warmSpread, ms)}`, '–', `${ms(s.inThread.warmBusyMs)} ms`, '', ''],
          ]
        : []),
    ]),
    '',
  );
  out.push(
    'Main-thread task time = CDP Performance TaskDuration / ScriptDuration of the page until the driver read the result (so it includes the IndexedDB work after the first recommendations): wall time inside main-thread tasks. Close to the whole cold start means the main thread, not the network, is the critical path.',
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
    `Selected: ${s.selectedBlocks} blocks, ${bytes(s.selectedFileBytes)} of ${s.dtype} files; downloaded / selected = ${s.downloadedOverSelected} on the wire with JSON gzipped (${s.uncompressedOverSelected} uncompressed; blocks only: ${s.blocksOverSelected}). Cold downloads by kind (on the wire): ${Object.entries(
      s.coldByKind,
    )
      .map(([k, v]) => `${k} ${bytes(v)}`)
      .join(', ')}.`,
    '',
  );
  const h = s.history;
  out.push(`**A new user's history** (${h.items.join(', ')}: user group ${h.groupBlind.userGroup}), cold (issue 27):`, '');
  out.push(
    markdownTable([
      ['', 'first recommendations', 'artifact bytes downloaded', "× a known user's cold download", 'of which block tables / blocks'],
      ...(
        [
          ['group-blind (default)', h.groupBlind, h.groupBlindOverKnownCold],
          ['groupBlind: false (the group is fetched by name)', h.revealing, h.revealingOverKnownCold],
        ] as const
      ).map(([label, c, x]) => [label, `${ms(c.firstRecommendationsMs)} ms`, bytes(c.downloadedBytes), `${x}×`, `${bytes(c.byKind['block tables'] ?? 0)} / ${bytes(c.byKind.blocks ?? 0)}`]),
    ]),
    '',
  );
  out.push(`**What each way of hiding the group costs** (block bytes at this budget, from the catalog's block tables):`, '');
  out.push(markdownTable([['option', 'block bytes', '× one group', 'the server learns'], ...h.options.map((o) => [o.option, bytes(o.blockBytes), `${o.overOneGroup}×`, o.serverLearns])]));
  return out.join('\n');
}

export function memorySection(m: MemoryFile): string {
  const out = [measuredOn('memory.json', m.machine, m.generatedAt), ''];
  out.push(
    markdownTable([
      ['catalog', 'budget', 'backend', 'dtype', 'resident (rec.info)', 'tf.memory()', '≤ budget', 'wasm memory (× budget)', 'JS heap after GC (× budget)'],
      ...m.rows.map((r) => [
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
  );
  if (m.errors.length) out.push('', ...m.errors.map((e) => `- ${e.case.catalog} @ ${mb(e.case.budgetBytes)} on ${e.case.backend}: ${firstLine(e.error)}`));
  return out.join('\n');
}

/** The trainer's quality report as the quality suite leaves it, with its `suite` note (quality-suite.ts); older reports have none. */
export interface SuiteQualityFile extends QualityFile {
  readonly suite?: {
    readonly dataset?: string;
    readonly about?: string;
    /** The derived folder's stamp (the trainer's data/derive.ts). */
    readonly derived?: {
      readonly description?: string;
      readonly stats?: {
        readonly users?: number;
        readonly items?: number;
        readonly train?: number;
        readonly valid?: number;
        readonly test?: number;
        readonly density?: number;
        readonly movedToTrain?: number;
      };
    };
    readonly trainerArgs?: readonly string[];
  };
}

const count = (x?: number) => (typeof x === 'number' ? x.toLocaleString('en-US') : '?');

/** What the suite says of a dataset: why it is there, how it was derived, and any flag beyond the defaults. */
function suiteNote(q: SuiteQualityFile): string[] {
  const s = q.suite;
  if (!s) return [];
  const out = s.about ? [s.about] : [];
  const d = s.derived;
  if (d) {
    const t = d.stats ?? {};
    const moved = t.movedToTrain ? `; ${count(t.movedToTrain)} held-out interactions moved to train, one per item that train would otherwise lack` : '';
    const density = typeof t.density === 'number' ? ` (density ${Number((t.density * 100).toPrecision(2))} %)` : '';
    out.push(
      `Derived: ${d.description ?? '?'}. ${count(t.users)} users, ${count(t.items)} items; ${count(t.train)} / ${count(t.valid)} / ${count(t.test)} train / validation / test interactions${density}${moved}.`,
    );
  }
  if (s.trainerArgs?.length) out.push(`**Not the default settings**: trainer flags \`${s.trainerArgs.join(' ')}\`.`);
  return out;
}

/**
 * The quality section: Gowalla's report first, under the document's own heading, then each other dataset of the
 * suite under a heading of its own.
 */
export function qualitySection(
  gowalla: { readonly file: string; readonly report: SuiteQualityFile } | undefined,
  others: readonly { readonly file: string; readonly report: SuiteQualityFile }[],
): string {
  const parts: string[] = [];
  if (gowalla) parts.push(...suiteNote(gowalla.report), qualityMarkdown(gowalla.report, gowalla.file));
  for (const { file, report } of others) {
    parts.push(`### Quality on ${report.suite?.dataset ?? file.replace(/^quality-|\.json$/g, '')}`, ...suiteNote(report), qualityMarkdown(report, file));
  }
  return parts.join('\n\n');
}
