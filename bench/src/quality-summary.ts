/**
 * Renders the trainer's quality JSON (bench/results/quality-<dataset>.json)
 * for the results README when it is there. Its shape belongs to the trainer,
 * so only the fields used here are declared, and all are optional.
 */
import { readFile } from 'node:fs/promises';
import { markdownTable } from 'markdown-table';

interface Metric {
  recall20?: number;
  ndcg20?: number;
}

interface QualityFile {
  dataset?: string;
  split?: string;
  generatedAt?: string;
  full?: Metric;
  fullF16?: Metric;
  backbone?: Metric;
  fullGain?: Gain;
  budgets?: {
    fraction?: number;
    bytes?: number;
    dtype?: string;
    peel?: Metric;
    uniform?: (Metric & { dim?: number }) | null;
    unweighted?: Metric | null;
    noGroups?: Metric | null;
    noDiversity?: Metric | null;
    peelGain?: Partial<Record<Ablation, Gain>>;
  }[];
  seconds?: Record<string, number>;
}

interface Gain {
  recall20?: { mean?: number; se?: number | null };
  users?: number;
}

type Ablation = 'uniform' | 'unweighted' | 'noGroups' | 'noDiversity';
const ABLATIONS: Ablation[] = ['uniform', 'unweighted', 'noGroups', 'noDiversity'];

/** "+0.0012 ± 0.0004" (mean difference ± one standard error), "–" when absent. */
const g = (x?: Gain) => {
  const r = x?.recall20;
  if (typeof r?.mean !== 'number') return '–';
  const sign = r.mean >= 0 ? '+' : '−';
  return `${sign}${Math.abs(r.mean).toFixed(4)}${typeof r.se === 'number' ? ` ± ${r.se.toFixed(4)}` : ''}`;
};

const f = (m?: Metric | null, key: keyof Metric = 'recall20') => (m && typeof m[key] === 'number' ? m[key]!.toFixed(4) : '–');

export async function qualityMarkdown(file: string): Promise<string | undefined> {
  let q: QualityFile;
  try {
    q = JSON.parse(await readFile(file, 'utf8')) as QualityFile;
  } catch {
    return undefined;
  }
  const out = [`## Quality (${q.dataset ?? '?'}, ${q.split ?? '?'} split; from the trainer, ${q.generatedAt ?? 'date unknown'})`, ''];
  out.push(
    markdownTable([
      ['model', 'budget', 'dtype', 'Recall@20', 'NDCG@20', 'uniform (same bytes)', 'unweighted', 'no groups', 'no diversity'],
      ['full table', '100 %', 'f32', f(q.full), f(q.full, 'ndcg20'), '', '', '', ''],
      ['full table', '50 %', 'f16', f(q.fullF16), f(q.fullF16, 'ndcg20'), '', '', '', ''],
      ['backbone (no refinement)', '100 %', 'f32', f(q.backbone), f(q.backbone, 'ndcg20'), '', '', '', ''],
      ...(q.budgets ?? []).map((b) => [
        'PEEL',
        `${((b.fraction ?? NaN) * 100).toFixed(0)} %`,
        b.dtype ?? '?',
        f(b.peel),
        f(b.peel, 'ndcg20'),
        f(b.uniform),
        f(b.unweighted),
        f(b.noGroups),
        f(b.noDiversity),
      ]),
    ]),
    '',
    'Ablation columns are Recall@20.',
    '',
  );
  if (q.budgets?.some((b) => b.peelGain && Object.keys(b.peelGain).length)) {
    out.push(
      "PEEL minus each ablation, Recall@20, user by user on the same test users (± one standard error of the difference; test-user noise only, not the training seed's):",
      '',
      markdownTable([
        ['budget', 'uniform', 'unweighted', 'no groups', 'no diversity'],
        ...(q.budgets ?? []).map((b) => [`${((b.fraction ?? NaN) * 100).toFixed(0)} %`, ...ABLATIONS.map((k) => g(b.peelGain?.[k]))]),
      ]),
      '',
    );
  }
  if (q.fullGain) out.push(`Full table minus the plain backbone (the block weights, user groups and refinement together), Recall@20: ${g(q.fullGain)}.`, '');
  if (q.seconds)
    out.push(
      `Training time (s): ${Object.entries(q.seconds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
    );
  return out.join('\n');
}
