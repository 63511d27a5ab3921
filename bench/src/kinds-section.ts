/**
 * The kinds part of the scoring section of bench/results.md (issue 20), rendered from `scoring.json`'s `kinds`
 * member alone (kinds-summary.ts): PEEL blocks, a mixed table and a sparse table at the same bytes, side by side.
 */
import { markdownTable } from 'markdown-table';
import type { KindTable } from '../page/kinds.js';
import type { KindsSummary } from './kinds-summary.js';
import type { Spread } from './spread.js';

/** `scoring.json`'s `kinds` member. */
export interface KindsFile extends KindsSummary {
  readonly about: string;
  /** Catalog name → what it is. */
  readonly catalogs: Readonly<Record<string, string>>;
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1) : '–');
const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const range = (s: Spread | null | undefined, f: (x: number) => string = String) => (s && s.values.length > 1 ? ` [${f(s.min)}–${f(s.max)}]` : '');
const TABLE_NAME: Record<KindTable, string> = { 'peel-blocks': 'PEEL blocks', mixed: 'mixed', sparse: 'sparse' };

export function kindsSection(k: KindsFile): string {
  const out = [`**Table kinds at the same bytes** (issue 20). ${k.about}`, ''];
  const label = new Map(k.ratios.map((r) => [`${r.shape}|${r.budgetBytes}`, r.budgetLabel]));
  const budget = (shape: string, b: number) => `${label.get(`${shape}|${b}`) ?? mib(b)}`;
  out.push(
    markdownTable([
      ['catalog', 'budget', 'table', 'variant', 'held', 'values (sparse: nonzeros)', 'p50 ms [min–max]', '×bound (p50 [min–max] / fastest)', 'ns per value', 'vs PEEL (p50 / fastest)'],
      ...k.ratios.map((r) => [
        r.shape,
        `${budget(r.shape, r.budgetBytes)} (${r.budgetBytes.toLocaleString('en-US')} B)`,
        TABLE_NAME[r.table],
        r.variant,
        mib(r.residentBytes),
        r.storedValues.toLocaleString('en-US'),
        `${ms(r.p50ms)}${range(r.spread.p50ms, ms)}`,
        `${r.xBound}×${range(r.spread.xBound)} / ${r.xBoundMin}×`,
        String(r.nsPerValue),
        r.vsPeel === null ? '–' : `${r.vsPeel} / ${r.vsPeelMin}`,
      ]),
    ]),
    '',
  );
  if (k.fits.length) {
    out.push('**Cost per stored value**, the slope of a least-squares line through the p50s across budgets (sparse: per nonzero), with its intercept (per-call and per-row work):', '');
    out.push(
      markdownTable([
        ['catalog', 'table', 'ns per value (sparse: per nonzero)', 'fixed ms', 'ns per held byte', 'budgets'],
        ...k.fits.map((f) => [f.shape, TABLE_NAME[f.table], String(f.nsPerValue), ms(f.fixedMs), String(f.nsPerByte), String(f.budgets)]),
      ]),
      '',
    );
  }
  if (k.crossovers.length) {
    out.push('**Where sparse beats dense at equal bytes:**', '');
    for (const c of k.crossovers) {
      const measured = c.sparseFasterAt.length ? `faster at ${c.sparseFasterAt.map((b) => budget(c.shape, b)).join(', ')}` : 'faster at none';
      const fitted =
        c.fittedSparseFaster === null
          ? ''
          : c.fittedBytes === null
            ? `; by the fitted lines, ${c.fittedSparseFaster === 'always' ? 'faster at every budget' : 'at no budget'}`
            : `; the fitted lines cross at ${mib(c.fittedBytes)}, sparse faster ${c.fittedSparseFaster} it`;
      const v = c.sameValues;
      const same = v
        ? ` Same values instead of same bytes: a pruned table scores faster stored sparse than as this dense table at full width (${ms(v.fullWidthMs)} ms by its fit) ${v.density <= 0 ? 'at no density' : v.density >= 1 ? 'at every density' : `below ${(v.density * 100).toFixed(1)} % nonzeros, i.e. a sparse f16 table under ${mib(v.sparseBytes)}`}.`
        : '';
      out.push(`- ${c.shape}, sparse vs ${TABLE_NAME[c.dense]}: ${measured} of ${c.measuredAt.map((b) => budget(c.shape, b)).join(', ')}${fitted}.${same}`);
    }
    out.push('');
  }
  out.push(
    `Catalogs: ${Object.entries(k.catalogs)
      .map(([name, what]) => `\`${name}\`: ${what}`)
      .join('; ')}.`,
  );
  for (const r of k.refusals) out.push('', `- ${r.shape} @ ${mib(r.budgetBytes)}: ${TABLE_NAME[r.table]} refused: ${r.error.split('\n')[0]}`);
  for (const e of k.errors) out.push('', `- ${e.shape} @ ${mib(e.budgetBytes)}: could not run: ${e.error.split('\n')[0]}`);
  return out.join('\n');
}
