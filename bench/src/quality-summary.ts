/**
 * Renders the trainer's quality JSON (bench/results/quality-<dataset>.json) for bench/results.md. Its shape
 * belongs to the trainer (packages/trainer/src/quality/report.ts), so only the fields used here are declared, and
 * all are optional: an older report renders with dashes where it lacks a field.
 */
import { markdownTable } from 'markdown-table';

interface Metric {
  readonly recall20?: number;
  readonly ndcg20?: number;
}

interface Gain {
  readonly recall20?: { readonly mean?: number; readonly se?: number | null };
  readonly ndcg20?: { readonly mean?: number; readonly se?: number | null };
  readonly users?: number;
}

type Ablation = 'uniform' | 'unweighted' | 'noGroups' | 'noDiversity';
const ABLATIONS: readonly Ablation[] = ['uniform', 'unweighted', 'noGroups', 'noDiversity'];

interface Budget {
  readonly fraction?: number;
  readonly bytes?: number;
  readonly dtype?: string;
  readonly peel?: Metric;
  /** PEEL restricted to f32 blocks at the same bytes. */
  readonly peelF32?: Metric | null;
  readonly uniform?: (Metric & { readonly dim?: number }) | null;
  readonly unweighted?: Metric | null;
  readonly noGroups?: Metric | null;
  readonly noDiversity?: Metric | null;
  readonly peelGain?: Partial<Record<Ablation, Gain>>;
  /** The f16 and i8 selections at this budget (whatever the artifact exports), and the i8 one without rounding. */
  readonly peelF16?: (Metric & { readonly blocks?: number }) | null;
  readonly peelI8?: (Metric & { readonly blocks?: number }) | null;
  readonly peelI8Unquantised?: Metric | null;
  readonly uniformF16?: (Metric & { readonly dim?: number }) | null;
  readonly uniformI8?: (Metric & { readonly dim?: number }) | null;
  readonly encodingGain?: Partial<Record<'i8VsF16' | 'quantisation' | 'peelVsUniformF16' | 'peelVsUniformI8' | 'uniformI8VsF16', Gain>>;
}

/** One user group's refinement, as validation chose it. */
interface Refined {
  readonly userGroup?: number;
  readonly users?: number;
  readonly valEdges?: number;
  readonly bestEpoch?: number;
  readonly valLossBefore?: number;
  readonly valLossAfter?: number;
  readonly learnedWeights?: boolean;
  readonly temperature?: number;
  readonly scoring?: string;
  /** Validation Recall@20 of the group under each scoring rule (the rule is chosen on these, pooled). */
  readonly ruleRecall?: { readonly mean?: number; readonly truncated?: number };
}

export interface QualityFile {
  readonly dataset?: string;
  readonly split?: string;
  readonly trainer?: string;
  readonly seed?: number;
  readonly generatedAt?: string;
  readonly users?: number;
  readonly items?: number;
  readonly trainInteractions?: number;
  readonly testInteractions?: number;
  readonly full?: Metric;
  readonly fullF16?: Metric;
  readonly fullI8?: Metric;
  readonly backbone?: Metric;
  readonly fullGain?: Gain;
  readonly budgets?: readonly Budget[];
  readonly refine?: readonly Refined[];
  readonly seconds?: Readonly<Record<string, number>>;
  readonly notes?: readonly string[];
  readonly config?: {
    readonly fullDim?: number;
    readonly blockDim?: number;
    readonly userGroups?: number;
    readonly itemGroups?: number;
    readonly threads?: number;
    readonly backbone?: { readonly softmaxEpochs?: number; readonly diversity?: number; readonly nested?: readonly number[] };
    readonly refine?: { readonly valFraction?: number; readonly valUserFraction?: number };
  };
}

const f4 = (x?: number) => (typeof x === 'number' ? x.toFixed(4) : '–');
/** "0.1820 / 0.1504": Recall@20 / NDCG@20; "–" when absent. */
const rn = (m?: Metric | null) => (m ? `${f4(m.recall20)} / ${f4(m.ndcg20)}` : '–');
const n = (x?: number) => (typeof x === 'number' ? x.toLocaleString('en-US') : '?');
const pct = (x?: number) => (typeof x === 'number' ? `${Number((x * 100).toFixed(1))} %` : '?');

/** "+0.0012 ± 0.0004" (mean difference ± one standard error), "–" when absent. */
function signed(d?: { readonly mean?: number; readonly se?: number | null }): string {
  if (typeof d?.mean !== 'number') return '–';
  const sign = d.mean >= 0 ? '+' : '−';
  return `${sign}${Math.abs(d.mean).toFixed(4)}${typeof d.se === 'number' ? ` ± ${d.se.toFixed(4)}` : ''}`;
}

/** Recall@20's difference, with NDCG@20's in brackets where the report has it. */
const gain = (x?: Gain) => (x?.ndcg20 ? `${signed(x.recall20)} (${signed(x.ndcg20)})` : signed(x?.recall20));

/** The f16 against the i8 encoding at each budget (issue 26): the blocks each holds, what rounding costs, and the uniform model in each. */
function encodings(budgets: readonly Budget[], label: (b: Budget) => string): string[] {
  const rows = budgets.filter((b) => b.peelI8 && b.peelF16);
  if (!rows.length) return [];
  const withDim = (m?: (Metric & { readonly dim?: number }) | null) => (m ? `${rn(m)} (${m.dim ?? '?'})` : '–');
  const withBlocks = (m?: (Metric & { readonly blocks?: number }) | null) => (m ? `${rn(m)} (${m.blocks ?? '?'})` : '–');
  return [
    '',
    '**f16 against i8 at the same bytes** (blocks per user group, or the uniform model\'s dim, in brackets). "rounding" is the i8 selection minus the same blocks unrounded (f32); gains are paired, Recall@20 ± SE (NDCG@20).',
    '',
    markdownTable([
      ['budget', 'PEEL f16', 'PEEL i8', 'i8 − f16', 'rounding', 'uniform f16', 'uniform i8', 'PEEL i8 − uniform i8'],
      ...rows.map((b) => [
        label(b),
        withBlocks(b.peelF16),
        withBlocks(b.peelI8),
        gain(b.encodingGain?.i8VsF16),
        gain(b.encodingGain?.quantisation),
        withDim(b.uniformF16),
        withDim(b.uniformI8),
        gain(b.encodingGain?.peelVsUniformI8),
      ]),
    ]),
  ];
}

export function qualityMarkdown(q: QualityFile, file: string): string {
  const when = q.generatedAt ? q.generatedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : 'date unknown';
  const out = [
    `From [\`results/${file}\`](results/${file}), ${when} (${q.trainer ?? 'trainer ?'}, seed ${q.seed ?? '?'}): ${q.dataset ?? '?'}, ${q.split ?? '?'} split; ${n(q.users)} users, ${n(q.items)} items, ${n(q.trainInteractions)} training and ${n(q.testInteractions)} test interactions.`,
  ];
  const c = q.config;
  if (c) {
    const nested = c.backbone?.nested;
    out.push(
      '',
      `Config: d = ${c.fullDim ?? '?'} = ${c.fullDim && c.blockDim ? c.fullDim / c.blockDim : '?'} blocks × ${c.blockDim ?? '?'}, nested widths ${nested?.length ? nested.join(', ') : 'none'}, ${c.backbone?.softmaxEpochs ?? '?'} backbone epochs, diversity λ = ${c.backbone?.diversity ?? '?'}, C = ${c.userGroups ?? '?'} user groups, G = ${c.itemGroups ?? '?'} item groups, validation ${pct(c.refine?.valUserFraction)} of the users × ${pct(c.refine?.valFraction)} of their items, ${c.threads ?? '?'} threads.`,
    );
  }
  const budgets = q.budgets ?? [];
  const label = (b: Budget) => (typeof b.fraction === 'number' ? `${Number((b.fraction * 100).toFixed(1))} %` : '?');
  out.push('', '**Test split, Recall@20 / NDCG@20.** Budgets are fractions of one user group\'s full f32 item table; "dim" is the retrained uniform model\'s width.', '');
  out.push(
    markdownTable([
      ['budget', 'bytes', 'dtype', 'PEEL', 'PEEL, f32 blocks only', 'uniform, retrained (dim)', 'unweighted (first-k)', 'no groups', 'no diversity'],
      ['full table', '', 'f32', rn(q.full), '', `backbone ${rn(q.backbone)}`, '', '', ''],
      ['full table', '', 'f16', rn(q.fullF16), '', '', '', '', ''],
      ...(q.fullI8 ? [['full table', '', 'i8', rn(q.fullI8), '', '', '', '', '']] : []),
      ...budgets.map((b) => [
        label(b),
        n(b.bytes),
        b.dtype ?? '?',
        rn(b.peel),
        rn(b.peelF32),
        b.uniform ? `${rn(b.uniform)} (${b.uniform.dim ?? '?'})` : '–',
        rn(b.unweighted),
        rn(b.noGroups),
        rn(b.noDiversity),
      ]),
    ]),
  );
  if (budgets.some((b) => b.peelGain && Object.keys(b.peelGain).length)) {
    out.push(
      '',
      "**PEEL minus each ablation**, user by user on the same test users (`peelGain`): Recall@20 ± one standard error of the difference (NDCG@20 in brackets); positive: PEEL ahead. Test-user noise only, not the training seed's.",
      '',
      markdownTable([['budget', 'uniform', 'unweighted', 'no groups', 'no diversity'], ...budgets.map((b) => [label(b), ...ABLATIONS.map((k) => gain(b.peelGain?.[k]))])]),
    );
  }
  out.push(...encodings(budgets, label));
  if (q.fullGain) out.push('', `The full table minus the plain backbone (\`fullGain\`: the block weights, user groups and refinement together): ${gain(q.fullGain)}.`);
  if (q.refine?.length) {
    out.push(
      '',
      '**Refinement per user group, as validation chose it** (best epoch 0: the refined table never beat the backbone, which the group keeps; `T`: the chosen sharpening of learned weights):',
      '',
      markdownTable([
        ['user group', 'users', 'validation edges', 'best epoch', 'validation loss', 'learned weights', 'validation Recall@20: mean / truncated rule', 'scoring'],
        ...q.refine.map((r) => [
          String(r.userGroup ?? '?'),
          n(r.users),
          n(r.valEdges),
          String(r.bestEpoch ?? '?'),
          `${r.valLossBefore ?? '?'} → ${r.valLossAfter ?? '?'}`,
          r.learnedWeights === undefined ? '?' : r.learnedWeights ? `yes (T = ${r.temperature ?? '?'})` : 'no',
          r.ruleRecall ? `${f4(r.ruleRecall.mean)} / ${f4(r.ruleRecall.truncated)}` : '–',
          r.scoring ?? '?',
        ]),
      ]),
    );
  }
  if (q.seconds) {
    out.push(
      '',
      `Time (s): ${Object.entries(q.seconds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} (\`total\` is the pipeline with PEEL's evaluation; \`ablations\` is timed apart).`,
    );
  }
  for (const note of q.notes ?? []) out.push('', `Note: ${note}`);
  return out.join('\n');
}
