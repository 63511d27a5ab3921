/**
 * The user-group count C, chosen on validation: for each C, user groups and per-group refinement on the tuned
 * backbone, the whole PEEL model scored at full size and at every budget as a device selects. The winner's model
 * is the pipeline's, so nothing is built twice.
 *
 * Refinement also chooses on these validation edges (its best epoch and weights per group), so a model with more
 * groups made more choices on them and its validation score is the more optimistic; `tuning.agreement` measures
 * whether the choice carries to test.
 */
import { selectBlocks } from '@peelrec/format';
import type { Embeddings } from '../backbone/index.js';
import { buildPeel, type PeelParts } from '../build-peel.js';
import type { TrainConfig } from '../config.js';
import type { Dataset } from '../data/types.js';
import { blocksPerItem, selectionManifest, type PeelModel } from '../quality/peel-model.js';
import { budgetBytes, evaluateFull, evaluateSelected } from '../quality/budgets.js';
import type { ValidationSplit } from '../refine/index.js';
import { PASS_COST, type CheckPace } from './deadline.js';
import { scoreOf, type LevelMetric, type SplitData } from './objective.js';
import type { Evaluation, SplitScore, TuningReport } from './report.js';

/** Fewer users than this per group leave refinement too few validation users to choose with. */
export const MIN_USERS_PER_GROUP = 50;

/** A PEEL model at full size (level 1) and at each budget whose selection drops blocks (level: the fraction). */
export async function scorePeel(m: PeelModel, cfg: TrainConfig, split: SplitData): Promise<SplitScore> {
  const full = await evaluateFull(m, split, 'f32', cfg.threads);
  const levels: LevelMetric[] = [{ level: 1, recall20: full.recall20, ndcg20: full.ndcg20 }];
  const manifest = selectionManifest(m, cfg.dtypes);
  for (const f of cfg.budgets) {
    const bytes = budgetBytes(m, f);
    try {
      // a budget that keeps every block scores as the full table: counted once
      if (selectBlocks(manifest, 0, bytes, { dtype: 'auto' }).blocks.length >= blocksPerItem(m) * m.itemGroups.groups.length) continue;
    } catch {
      continue; // below one block per item group: not a budget this model serves
    }
    const r = await evaluateSelected(m, manifest, bytes, split, { threads: cfg.threads });
    levels.push({ level: f, recall20: r.recall20, ndcg20: r.ndcg20 });
  }
  return { score: scoreOf(levels), levels };
}

/** The counts tried: the caller's fixed C alone, else `tuning.userGroups` with enough users per group, deduplicated. */
export function userGroupCandidates(cfg: TrainConfig, nUsers: number, fixed: boolean): number[] {
  if (fixed) return [cfg.userGroups];
  const ok = [...new Set(cfg.tuning.userGroups)].filter((c) => c === 1 || nUsers / c >= MIN_USERS_PER_GROUP);
  return ok.length ? ok : [1];
}

export async function tuneUserGroups(o: {
  d: Dataset;
  cfg: TrainConfig;
  fixed: boolean;
  backbone: Embeddings;
  validation: ValidationSplit;
  valSplit: SplitData;
  testSplit?: SplitData;
  /** When tuning must end (re-estimated as the pace of checks is). */
  deadline: () => number;
  /** The speed of validation checks so far, and the users a check ranks. */
  pace: CheckPace;
  valUsers: number;
  log: (line: string) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
}): Promise<{ parts: PeelParts; userGroups: number; report: TuningReport['userGroups']; stoppedForTime: boolean }> {
  const now = () => performance.now() / 1000;
  const counts = userGroupCandidates(o.cfg, o.d.nUsers, o.fixed);
  const tried: (Evaluation & { userGroups: number; seconds: number })[] = [];
  let best: { parts: PeelParts; C: number; score: number } | undefined;
  let stoppedForTime = false;
  for (const C of counts) {
    const mean = tried.length ? tried.reduce((s, t) => s + t.seconds, 0) / tried.length : 0;
    if (best && now() + mean > o.deadline()) {
      o.log(`tuning: user groups: the budget ends before C = ${C}`);
      stoppedForTime = true;
      break;
    }
    const t0 = now();
    const cfgC = { ...o.cfg, userGroups: C };
    // The first C is built whatever the time (the pipeline needs a model); it is scored only if that fits.
    const parts = await buildPeel(o.d, cfgC, { userGroups: C, backbone: o.backbone, validation: o.validation, stage: `tune C=${C}:`, onProgress: o.onProgress });
    if (!best && now() + PASS_COST * o.pace.check(o.valUsers, 1 + o.cfg.budgets.length) > o.deadline()) {
      o.log(`tuning: user groups: the budget ends before C = ${C} is scored; it is kept`);
      best = { parts, C, score: -Infinity };
      stoppedForTime = true;
      break;
    }
    const validation = await scorePeel(parts.model, cfgC, o.valSplit);
    const test = o.testSplit ? await scorePeel(parts.model, cfgC, o.testSplit) : undefined;
    tried.push({ userGroups: C, seconds: Math.round(now() - t0), validation, ...(test ? { test } : {}) });
    o.log(`tuning: C = ${C}: validation ${validation.score.toFixed(4)}${test ? ` (test ${test.score.toFixed(4)})` : ''}`);
    if (!best || validation.score > best.score) best = { parts, C, score: validation.score };
  }
  return { stoppedForTime, parts: best!.parts, userGroups: best!.C, report: o.fixed ? null : { chosen: best!.C, tried, stoppedForTime } };
}
