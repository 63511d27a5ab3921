/**
 * Self-tuning on validation (issue 19): the backbone's knobs, epochs and smoothing (tune-backbone.ts), then the
 * user-group count (tune-groups.ts), all ending in time for the pipeline's evaluation and export to end by its
 * deadline (`timeBudget` from `pipelineStart`; deadline.ts), all chosen on the validation carve the
 * refinement uses. Returns the PEEL model the pipeline exports, the config it was built with, and the report.
 */
import type { PeelParts } from '../build-peel.js';
import type { TrainConfig } from '../config.js';
import type { Dataset } from '../data/types.js';
import { carveValidation } from '../refine/index.js';
import { agreementReport } from './agreement.js';
import { CheckPace, evaluationPasses, evaluationReserve, tuningEnd } from './deadline.js';
import { budgetWidths, validationCsr, type SplitData } from './objective.js';
import type { Evaluation, TuningReport } from './report.js';
import type { TunedSetting } from './space.js';
import { tuneBackbone } from './tune-backbone.js';
import { tuneUserGroups } from './tune-groups.js';

export interface Tuned {
  cfg: TrainConfig;
  main: PeelParts;
  report: TuningReport;
}

const now = () => performance.now() / 1000;

export async function tune(
  d: Dataset,
  cfg: TrainConfig,
  fixed: Partial<Record<TunedSetting, string>>,
  opts: { log: (line: string) => void; onProgress?: (stage: string, done: number, total: number) => void; pipelineStart?: number },
): Promise<Tuned> {
  const start = now();
  const pipelineDeadline = (opts.pipelineStart ?? start) + cfg.timeBudget;
  const validation = carveValidation(d.train, cfg.refine.valFraction, cfg.seed, cfg.refine.valUserFraction);
  const valSplit: SplitData = { train: validation.inner, test: validationCsr(validation) };
  const testSplit: SplitData | undefined = cfg.tuning.testAgreement ? { train: d.train, test: d.test, testUnranked: d.testUnranked } : undefined;
  const widths = budgetWidths(cfg.fullDim, cfg.blockDim, cfg.budgets, cfg.dtypes);
  const nValUsers = new Set(validation.valUsers).size;
  const testUsers = usersWithTest(d);
  const passes = evaluationPasses(cfg.budgets.length, cfg.dtypes.includes('f16'));
  const pace = new CheckPace();
  const reserve = () => evaluationReserve({ perUserLevel: pace.perUserLevel, testUsers, passes });
  const end = () => tuningEnd({ start, pipelineDeadline, reserve: reserve(), capSeconds: cfg.tuning.seconds });
  opts.log(
    `tuning: ${cfg.timeBudget} s for the pipeline, ${Math.round(pipelineDeadline - start)} s left; validation ${validation.valItems.length} edges of ${nValUsers} users; widths ${widths.join(', ')}`,
  );

  const bb = await tuneBackbone({
    cfg,
    fixed,
    inner: validation.inner,
    nUsers: d.nUsers,
    nItems: d.nItems,
    validation: valSplit,
    test: testSplit,
    widths,
    start,
    end,
    pace,
    valUsers: nValUsers,
    ...opts,
  });
  const t0 = now();
  const groups = await tuneUserGroups({
    d,
    cfg: bb.cfg,
    fixed: Boolean(fixed.userGroups),
    backbone: bb.backbone,
    validation,
    valSplit,
    testSplit,
    deadline: end,
    pace,
    valUsers: nValUsers,
    ...opts,
  });
  const tunedCfg: TrainConfig = { ...bb.cfg, userGroups: groups.userGroups };
  const main: PeelParts = { ...groups.parts, seconds: { ...groups.parts.seconds, pretrain: bb.report.final.seconds } };
  const b = tunedCfg.backbone;
  const report: TuningReport = {
    method: `a screening rung over seeded random candidates on a user subsample (candidate 0, today's defaults, always promoted), then a last rung on every inner edge at ≥ 1/3 of the final epochs where the screen's best replaces the defaults only if it beats them by more than 2 paired standard errors on validation; the winner goes on with early stopping; then β and C`,
    budgetSeconds: Math.round(end() - start),
    seconds: Math.round(now() - start),
    deadline: {
      timeBudget: cfg.timeBudget,
      reserveSeconds: Math.round(reserve()),
      perUserLevel: pace.perUserLevel,
      testUsers,
      passes,
      stoppedForTime: [
        ...(bb.report.search.cut.length ? ['search'] : []),
        ...(/deadline/.test(bb.report.duel.note ?? '') ? ['duel'] : []),
        ...(bb.report.final.reason === 'deadline' ? ['final backbone'] : []),
        ...(bb.report.smoothing?.stoppedForTime ? ['smoothing'] : []),
        ...(groups.stoppedForTime ? ['userGroups'] : []),
      ],
    },
    fixed,
    validation: { users: nValUsers, edges: validation.valItems.length, valUserFraction: cfg.refine.valUserFraction, valFraction: cfg.refine.valFraction },
    objective:
      'mean over levels of (Recall@20 + NDCG@20) / 2 on the validation edges: a backbone at the prefix widths the budgets serve, a PEEL model at full size and at each budget that drops blocks',
    widths,
    ...bb.report,
    userGroups: groups.report,
    chosen: {
      ...bb.knobs,
      nestedWidths: b.nested ?? [],
      softmaxEpochs: b.softmaxEpochs ?? 0,
      smoothing: b.smoothing ?? 0,
      userGroups: groups.userGroups,
    },
    notes: [`user-group stage ${Math.round(now() - t0)} s`],
  };
  if (testSplit) report.agreement = agreementReport(decisions(report));
  return { cfg: tunedCfg, main, report };
}

/** Every decision with its options' figures, for the agreement report. */
function decisions(r: TuningReport): { decision: string; options: Evaluation[] }[] {
  const rungs = r.plan.rungs.length + (r.duel.verdict ? 1 : 0);
  const out = Array.from({ length: rungs }, (_, rung) => ({ decision: `rung ${rung}`, options: r.candidates.flatMap((c): Evaluation[] => c.trials.filter((t) => t.rung === rung)) }));
  out.push({ decision: 'epochs', options: r.final.curve });
  if (r.smoothing) out.push({ decision: 'smoothing', options: r.smoothing.tried });
  if (r.userGroups) out.push({ decision: 'userGroups', options: r.userGroups.tried });
  return out;
}

/** Users the test evaluation ranks: those with a test interaction (one on an item outside the catalog counts). */
function usersWithTest(d: Dataset): number {
  let n = 0;
  for (let u = 0; u + 1 < d.test.indptr.length; u++) if (d.test.indptr[u + 1]! > d.test.indptr[u]! || (d.testUnranked?.[u] ?? 0) > 0) n++;
  return n;
}
