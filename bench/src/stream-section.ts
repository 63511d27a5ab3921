/** bench/results.md's streaming section, from stream-synthetic.json (the trainer's `stream` command, issue 24). */
import { markdownTable } from 'markdown-table';

interface Figures {
  readonly recall20: number;
  readonly ndcg20: number;
}

interface MethodFigures extends Figures {
  /** Absent in files written before the delta was measured. */
  readonly itemDelta?: { readonly fullBytes: number; readonly newBytes: number; readonly resizedBytes: number; readonly unchangedBytes: number };
  readonly values: number;
  readonly budgetMet: boolean;
  readonly seconds: number;
  readonly details?: { readonly served?: string };
}

/** The parts of the trainer's StreamReport (packages/trainer/src/stream/run.ts) the section reads. */
export interface StreamFile {
  readonly dataset: string;
  readonly generatedAt: string;
  readonly trainer: string;
  readonly settings: { readonly scall: { readonly rlSteps: number; readonly sacUpdates: number; readonly serve?: string }; readonly seed: number };
  readonly budget: { readonly values: number; readonly about: string };
  readonly segments: readonly {
    readonly index: number;
    readonly users: number;
    readonly items: number;
    readonly seconds: number;
    readonly reference: Figures;
    readonly methods: Readonly<Record<string, MethodFigures>>;
  }[];
  readonly meanFromSegment1: Readonly<Record<string, Figures>>;
  /** Absent in files written before paired differences were kept. */
  readonly pairedVsScallFrom1?: Readonly<Record<string, { readonly recall20: number; readonly se: number | null }>>;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

const f4 = (x: number) => x.toFixed(4);
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

/** SCALL's served item table against its last: the share of the full table's bytes a row-level delta would fetch. */
function deltaCells(m: MethodFigures | undefined): string[] {
  const d = m?.itemDelta;
  if (!d || d.fullBytes === 0) return ['–', '–'];
  return [pct((d.fullBytes - d.unchangedBytes) / d.fullBytes), pct((d.newBytes + d.resizedBytes) / d.fullBytes)];
}

const signed = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(4)}`;

/** method − SCALL over t ≥ 1, ± its standard error; '–' for SCALL itself or a file without paired figures. */
function vsScall(r: StreamFile, m: string): string {
  const p = r.pairedVsScallFrom1?.[m];
  if (!p) return '–';
  return p.se === null ? signed(p.recall20) : `${signed(p.recall20)} ± ${p.se.toFixed(4)}`;
}

export function streamSection(file: string, r: StreamFile): string {
  const methods = Object.keys(r.segments[0]?.methods ?? {});
  const scall = r.settings.scall;
  const means = markdownTable([
    ['', 'Recall@20', 'NDCG@20', 'Recall@20 − SCALL (paired)', 'budget met at every segment'],
    ['reference (full size, no budget)', f4(r.meanFromSegment1.reference!.recall20), f4(r.meanFromSegment1.reference!.ndcg20), '–', '–'],
    ...methods.map((m) => [
      m,
      f4(r.meanFromSegment1[m]!.recall20),
      f4(r.meanFromSegment1[m]!.ndcg20),
      vsScall(r, m),
      r.segments.every((s) => s.methods[m]!.budgetMet && s.methods[m]!.values === r.budget.values) ? 'yes' : '**no**',
    ]),
  ]);
  const perSegment = markdownTable([
    ['segment', 'users', 'items', ...methods.map((m) => `${m} Recall@20`), 'SCALL served', 'SCALL rows changed', 'of which new or resized', 'seconds'],
    ...r.segments.map((s) => [
      String(s.index),
      String(s.users),
      String(s.items),
      ...methods.map((m) => f4(s.methods[m]!.recall20)),
      s.methods.scall?.details?.served ?? '–',
      ...deltaCells(s.methods.scall),
      s.seconds.toFixed(1),
    ]),
  ]);
  return [
    `From [\`results/${file}\`](results/${file}), ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC (${r.trainer}, seed ${r.settings.seed}): ${r.dataset}, ${r.segments.length} segments; budget ${r.budget.values.toLocaleString('en-US')} values, ${r.budget.about}. SCALL: ${scall.rlSteps} exploratory actions and ${scall.sacUpdates} SAC steps after each transition a segment, serving ${scall.serve === 'policy' ? "the policy's mean action" : 'the best of its mean and exploratory actions on validation'}. ${r.wallSeconds.toFixed(0)} s wall, ${r.cpuSeconds.toFixed(0)} s CPU.`,
    '',
    "**Mean over segments t ≥ 1** (test, each segment's last 20 %; − SCALL: the mean of the segments' paired differences, ± √(Σ se²) / T, counting the segments as independent):",
    '',
    means,
    '',
    "**Per segment** (test Recall@20; segment 0 is not in the mean. SCALL rows changed: the share of its served item table's f16 bytes in rows that are new or differ from its last segment's, what a row-level delta would fetch; of which new or resized: the share the issue's delta counts):",
    '',
    perSegment,
  ].join('\n');
}
