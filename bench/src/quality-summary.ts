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
  budgets?: { fraction?: number; bytes?: number; dtype?: string; peel?: Metric; uniform?: (Metric & { dim?: number }) | null; unweighted?: Metric | null; noGroups?: Metric | null; noDiversity?: Metric | null }[];
  seconds?: Record<string, number>;
}

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
  if (q.seconds) out.push(`Training time (s): ${Object.entries(q.seconds).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  return out.join('\n');
}
