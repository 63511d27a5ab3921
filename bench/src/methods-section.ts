/**
 * The methods section of bench/results.md (issue 20), rendered from bench/results/methods-<dataset>.json alone: one
 * table per accounting (rows: methods; columns: the budgets; Recall@20 / NDCG@20), the training time and the paired
 * difference from PEEL, then the primitives' cost per call and the trim-or-fall-back measurement.
 */
import { markdownTable } from 'markdown-table';

interface PairedVsPeel {
  readonly recall20: number;
  readonly se: number | null;
}

interface BudgetRow {
  readonly fraction: number;
  readonly bytes: number;
  readonly dtype: string;
  readonly recall20: number;
  readonly ndcg20: number;
  readonly paperSparsity: number;
  readonly pairedVsPeel: PairedVsPeel | null;
}

interface TrimRow {
  readonly fraction: number;
  readonly trim: { readonly from: number; readonly columns: number; readonly of: number; readonly recall20: number } | null;
  readonly fallback: { readonly from: number; readonly recall20: number } | null;
  readonly exact: { readonly recall20: number } | null;
  readonly trimMinusFallback: { readonly recall20: number; readonly se: number | null } | null;
}

interface MethodEntry {
  readonly seconds: number;
  readonly kind: string;
  readonly about: string;
  readonly budgets: readonly BudgetRow[];
  readonly trimVsFallback?: readonly TrimRow[];
}

/** The parts of methods-<dataset>.json the section reads (the trainer's harness/report.ts writes it). */
export interface MethodsFile {
  readonly dataset: string;
  readonly split: string;
  readonly generatedAt: string;
  readonly trainer: string;
  readonly seed: number;
  readonly users: number;
  readonly items: number;
  readonly budgets: readonly { readonly fraction: number; readonly bytes: number }[];
  readonly backbone: { readonly recipe: string; readonly seconds: number; readonly test: { readonly recall20: number; readonly ndcg20: number } };
  readonly fineTune: { readonly recipe: { readonly epochs: number } };
  readonly validation: { readonly edges: number; readonly users: number; readonly sampledUsers: number };
  readonly primitives: Readonly<Record<string, { readonly calls: number; readonly secondsPerCall: number; readonly secondsPerEpoch?: number }>>;
  readonly methods: Readonly<Record<string, MethodEntry>>;
  readonly wallSeconds: number;
  readonly notes?: readonly string[];
  /** Added by the bench's runner (methods-run.ts): the suite's line about the dataset. */
  readonly suite?: { readonly about: string; readonly trainerArgs?: readonly string[] };
}

const pct = (f: number) => `${+(f * 100).toFixed(1)} %`;
const f4 = (x: number) => x.toFixed(4);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;
const int = (n: number) => n.toLocaleString('en-US');
const paired = (p: PairedVsPeel | null) => (p ? `${signed(p.recall20)} ± ${p.se === null ? '–' : p.se.toFixed(4)}` : '–');

function methodsTables(file: string, r: MethodsFile): string[] {
  const names = Object.keys(r.methods);
  const fractions = r.budgets.map((b) => b.fraction);
  const at = (m: MethodEntry, f: number) => m.budgets.find((b) => b.fraction === f);
  const when = r.generatedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  const out = [
    ...(r.suite ? [r.suite.about, '', ...(r.suite.trainerArgs?.length ? [`Flags added to the defaults: \`${r.suite.trainerArgs.join(' ')}\`.`, ''] : [])] : []),
    `From [\`results/${file}\`](results/${file}), ${when} (${r.trainer}, seed ${r.seed}): ${r.dataset}, ${r.split}; ${int(r.users)} users, ${int(r.items)} items. One command, ${int(r.wallSeconds)} s in all. Backbone: ${r.backbone.recipe} (${int(Math.round(r.backbone.seconds))} s; test ${f4(r.backbone.test.recall20)} / ${f4(r.backbone.test.ndcg20)}). Masked methods fine-tune ${r.fineTune.recipe.epochs} epochs from it. Validation: ${int(r.validation.edges)} held-out edges of ${int(r.validation.users)} users, the quick metric on ${int(r.validation.sampledUsers)} of them.`,
    '',
    '**Device bytes of the item table** (test Recall@20 / NDCG@20; Δ = method − PEEL, Recall@20, paired over the test users ± its standard error; seconds: the method alone, after the shared backbone):',
    '',
  ];
  out.push(
    markdownTable([
      ['method', 'kind', ...r.budgets.map((b) => `${pct(b.fraction)} (${int(b.bytes)} B)`), ...fractions.map((f) => `Δ ${pct(f)}`), 'seconds'],
      ...names.map((n) => {
        const m = r.methods[n]!;
        return [
          n,
          m.kind,
          ...fractions.map((f) => {
            const b = at(m, f);
            return b ? `${f4(b.recall20)} / ${f4(b.ndcg20)}` : '–';
          }),
          ...fractions.map((f) => (n === 'peel' ? '' : paired(at(m, f)?.pairedVsPeel ?? null))),
          int(Math.round(m.seconds)),
        ];
      }),
    ]),
    '',
    "**The papers' accounting** (sparsity of the user + item parameters; the same models, so the same metrics, at the sparsity each reaches: the uniform methods keep w columns of each user, every other method the whole user table, so only they come near the papers' 80/90/95 %):",
    '',
    markdownTable([
      ['method', ...fractions.map((f) => `${pct(f)} budget: sparsity → R@20 / N@20`)],
      ...names.map((n) => {
        const m = r.methods[n]!;
        return [
          n,
          ...fractions.map((f) => {
            const b = at(m, f);
            return b ? `${pct(b.paperSparsity)} → ${f4(b.recall20)} / ${f4(b.ndcg20)}` : '–';
          }),
        ];
      }),
    ]),
  );
  const prims = Object.entries(r.primitives);
  if (prims.length) {
    out.push(
      '',
      '**Cost of the harness primitives** in this run (what BET and CIESS will call hundreds of times):',
      '',
      markdownTable([
        ['primitive', 'calls', 's per call', 's per epoch'],
        ...prims.map(([k, c]) => [k, int(c.calls), c.secondsPerCall.toFixed(c.secondsPerCall < 0.1 ? 4 : 2), c.secondsPerEpoch === undefined ? '' : c.secondsPerEpoch.toFixed(2)]),
      ]),
    );
  }
  const trims = names.flatMap((n) => (r.methods[n]!.trimVsFallback ?? []).map((t) => ({ n, t })));
  if (trims.length) {
    out.push(
      '',
      '**Trim or fall back** (mixed variants, validation Recall@20): the next larger variant cut to its longest column prefix that fits, against the next smaller variant as it is; the variant trained for the budget beside them:',
      '',
      markdownTable([
        ['method', 'budget', 'trim (from, columns kept)', 'fall back (from)', 'trained for it', 'trim − fall back'],
        ...trims.map(({ n, t }) => [
          n,
          pct(t.fraction),
          t.trim ? `${f4(t.trim.recall20)} (${pct(t.trim.from)}, ${t.trim.columns} of ${t.trim.of})` : '–',
          t.fallback ? `${f4(t.fallback.recall20)} (${pct(t.fallback.from)})` : '–',
          t.exact ? f4(t.exact.recall20) : '–',
          t.trimMinusFallback ? `${signed(t.trimMinusFallback.recall20)} ± ${t.trimMinusFallback.se === null ? '–' : t.trimMinusFallback.se.toFixed(4)}` : '–',
        ]),
      ]),
    );
  }
  for (const n of r.notes ?? []) out.push('', `Note: ${n}`);
  return out;
}

/** Every methods-<dataset>.json, each under its dataset's heading. */
export function methodsSection(files: readonly { readonly file: string; readonly report: MethodsFile }[]): string {
  // The file's name, not the report's dataset: two runs on one dataset (methods-gowalla, methods-gowalla-bet) need two headings.
  return files.flatMap(({ file, report }) => [`### Methods on ${file.replace(/^methods-(.+)\.json$/, '$1')}`, '', ...methodsTables(file, report)]).join('\n');
}
