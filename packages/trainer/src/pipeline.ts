import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DTYPE_PRECISION_ORDER, selectBlocks, type BudgetMetric, type Dtype, type Manifest } from '@peelrec/format';
import type { Embeddings } from './backbone/index.js';
import { buildPeel, type PeelParts } from './build-peel.js';
import { resolveConfig, type DeepPartial, type TrainConfig } from './config.js';
import { loadData, type DataSource, type LoadedData } from './data/load.js';
import type { Dataset } from './data/types.js';
import { checkOutputDir, checkOutputFile, prepareOutputDir } from './export/output-dir.js';
import { draftAsManifest, writePayloads } from './export/write-artifact.js';
import { budgetBytes, evaluateFull, evaluatePlain, evaluateSelected, evaluateUnweighted, pick, uniformDim, type EvalData, type Metric, type UserMetric } from './quality/budgets.js';
import { COMPARED_DTYPES, evaluateEncodings, recordUniforms, type PeelByDtype } from './quality/encodings.js';
import { pairedGain } from './quality/paired.js';
import { selectionManifest } from './quality/peel-model.js';
import type { Ablation, BudgetQuality, QualityReport } from './quality/report.js';
import { trainUniformModel } from './quality/uniform-model.js';
import { mean } from './refine/validation.mjs';
import { fixedKnobs, tune, type TuningReport } from './tuning/index.js';

export const TRAINER_NAME = '@peelrec/trainer';
export const TRAINER_VERSION = '0.1.0';

export {
  DEFAULT_CONFIG,
  SYNTHETIC_PRESET,
  nestedWidths,
  resolveConfig,
  type BackboneConfig,
  type DeepPartial,
  type TrainConfig,
} from './config.js';
export type { Ablation, BudgetQuality, QualityReport } from './quality/report.js';

export interface TrainOptions {
  /** Default: the synthetic dataset. */
  data?: DataSource;
  /**
   * Artifact folder: created if missing. An artifact that peelrec-train wrote there (it has a `.peelrec-artifact`
   * marker) is replaced. Any other non-empty folder is refused, and nothing in it is deleted.
   */
  out: string;
  /**
   * Where to write the quality JSON; default {@link QUALITY_FILE} in the artifact folder (its marker names it, so
   * the next run replaces it); null: do not write. The published reports in bench/results are written only when named.
   */
  qualityOut?: string | null;
  config?: DeepPartial<TrainConfig>;
  onProgress?: (stage: string, done: number, total: number) => void;
  log?: (line: string) => void;
}

export interface TrainResult {
  manifest: Manifest;
  quality: QualityReport;
  outDir: string;
  qualityPath?: string;
}

/** The quality report's name in the artifact folder, when no other path is given. */
export const QUALITY_FILE = 'quality.json';

const now = () => performance.now() / 1000;

/** Ids of the evaluated data, for evaluation against a dataset. */
function evalData(d: Dataset): EvalData {
  return { train: d.train, test: d.test, testUnranked: d.testUnranked };
}

/** Test interactions, those on items outside the catalog included (they are scored as misses). */
function testCount(d: Dataset): number {
  return d.test.indices.length + (d.testUnranked?.reduce((a, b) => a + b, 0) ?? 0);
}

/**
 * The whole pipeline: load → pretrain (with the diversity regularizer) →
 * k-means user groups → popularity item groups → per-group refinement with
 * the controller → export (`config.dtypes` blocks) → evaluation at every
 * budget (PEEL's own selection, and its f16 and i8 selections side by side),
 * with ablations unless `config.ablations` is false.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? (() => {});
  const progress = options.onProgress;
  const source: DataSource = options.data ?? { kind: 'synthetic' };
  let cfg = resolveConfig(options.config, source);
  // Outputs first: a path that cannot be written fails now, not after an hour of training.
  await checkOutputDir(options.out);
  if (options.qualityOut) await checkOutputFile(options.qualityOut, 'the quality report');
  const t0 = now();
  const loaded = await loadData(source);
  const d = loaded.dataset;
  const secondsLoad = now() - t0;
  log(`data: ${d.name}: ${d.nUsers} users, ${d.nItems} items, ${d.train.indices.length} train / ${testCount(d)} test interactions`);
  if (cfg.itemGroups > d.nItems) throw new RangeError(`itemGroups (${cfg.itemGroups}) exceeds the ${d.nItems} items`);
  if (cfg.userGroups > d.nUsers) throw new RangeError(`userGroups (${cfg.userGroups}) exceeds the ${d.nUsers} users`);

  let main: PeelParts;
  let tuning: TuningReport | null = null;
  if (cfg.tuning.enabled) {
    // chooses on validation what the caller left open; the model it ends with is the one exported
    ({ cfg, main, report: tuning } = await tune(d, cfg, fixedKnobs(options.config), { log, onProgress: progress, pipelineStart: t0 }));
  } else main = await buildPeel(d, cfg, { stage: '', onProgress: progress });
  log(`pretrain ${main.seconds.pretrain.toFixed(1)} s, groups ${main.seconds.cluster.toFixed(1)} s, refine ${main.seconds.refine.toFixed(1)} s`);

  // Export the payloads first: PEEL's budget metrics are computed with selectBlocks on this very manifest.
  let t = now();
  const sink = await prepareOutputDir(options.out);
  const { writer, draft } = await writePayloads(sink, main.model, {
    modelId: `${d.name}-peel-${cfg.fullDim}x${cfg.blockDim}-c${cfg.userGroups}-g${cfg.itemGroups}-s${cfg.seed}`,
    itemIds: d.itemIds,
    itemMeta: d.itemMeta,
    userIds: d.userIds,
    dtypes: cfg.dtypes,
    usersPerShard: cfg.usersPerShard,
    provenance: {
      dataset: d.name,
      datasetSha256: loaded.sha256,
      trainer: `${TRAINER_NAME}@${TRAINER_VERSION}`,
      seed: cfg.seed,
      createdAt: new Date().toISOString(),
      config: { ...cfg, source: describeSource(source) } as unknown as Record<string, unknown>,
    },
  });
  let secondsExport = now() - t;

  t = now();
  const data = evalData(d);
  const evalStage = (done: number, total: number) => progress?.('evaluate', done, total);
  const steps = 4 + cfg.budgets.length * (cfg.ablations ? 5 : 1);
  let step = 0;
  const tick = () => evalStage(++step, steps);
  const full = await evaluateFull(main.model, data, 'f32', cfg.threads);
  tick();
  const fullF16 = cfg.dtypes.includes('f16') ? await evaluateFull(main.model, data, 'f16', cfg.threads) : full;
  tick();
  const fullI8 = await evaluateFull(main.model, data, 'i8', cfg.threads);
  tick();
  const backboneMetric = await evaluatePlain(main.backbone, data, 'f32', { blockDim: cfg.blockDim, threads: cfg.threads });
  tick();
  log(`full table: recall@20 ${full.recall20.toFixed(4)}, ndcg@20 ${full.ndcg20.toFixed(4)} (backbone ${backboneMetric.recall20.toFixed(4)} / ${backboneMetric.ndcg20.toFixed(4)})`);
  const manifestForSelection = draftAsManifest(draft);
  // Every encoding, exported or not, for the f16 and i8 rows: the same weights and block sizes as the artifact's.
  const everyEncoding = selectionManifest(main.model, DTYPE_PRECISION_ORDER);
  const notes: string[] = [];
  // The f32-only selection and the encodings side by side are the quality report's alone (the ablations pair with
  // them): without either, they are not measured. On the demo's fixture they were half of the evaluation.
  const diagnostics = options.qualityOut !== null || cfg.ablations;
  if (!diagnostics) notes.push('no quality report: peelF32, peelF16, peelI8 and peelI8Unquantised not measured');
  const budgets: BudgetQuality[] = [];
  const peelByUser = new Map<BudgetQuality, UserMetric>();
  const peelByDtype = new Map<BudgetQuality, PeelByDtype>();
  for (const fraction of cfg.budgets) {
    const bytes = budgetBytes(main.model, fraction);
    let peel: UserMetric & { dtype: Dtype; blocks: number };
    try {
      peel = await evaluateSelected(main.model, manifestForSelection, bytes, data, { threads: cfg.threads });
    } catch (e) {
      notes.push(`budget ${fraction}: ${(e as Error).message}`);
      continue;
    }
    let peelF32: Metric | null = null;
    if (diagnostics && peel.dtype !== 'f32' && cfg.dtypes.includes('f32')) {
      try {
        selectBlocks(manifestForSelection, 0, bytes, { dtype: 'f32' });
        peelF32 = await evaluateSelected(main.model, manifestForSelection, bytes, data, { dtype: 'f32', threads: cfg.threads });
      } catch {
        peelF32 = null; // the budget cannot hold one f32 block per item group
      }
    }
    const entry: BudgetQuality = {
      fraction,
      bytes,
      dtype: peel.dtype,
      peel: pick(peel),
      ...(diagnostics ? { peelF32: peelF32 && { ...pick(peelF32), dtype: 'f32' as const } } : {}),
      uniform: null,
      unweighted: null,
      noGroups: null,
      noDiversity: null,
      peelGain: {},
    };
    budgets.push(entry);
    peelByUser.set(entry, peel);
    if (diagnostics) peelByDtype.set(entry, await evaluateEncodings(main.model, everyEncoding, entry, peel, data, { threads: cfg.threads, notes }));
    tick();
    log(`budget ${(fraction * 100).toFixed(0)}% (${bytes} B, ${peel.dtype}): PEEL recall@20 ${peel.recall20.toFixed(4)}, ndcg@20 ${peel.ndcg20.toFixed(4)}`);
    for (const k of ['peelF16', 'peelI8', 'peelI8Unquantised'] as const) {
      const r = entry[k];
      if (r) log(`  ${k}: recall@20 ${r.recall20.toFixed(4)}, ndcg@20 ${r.ndcg20.toFixed(4)}${'blocks' in r ? ` (${r.blocks.toFixed(1)} blocks)` : ''}`);
    }
  }
  const secondsEvaluate = now() - t;

  t = now();
  const metrics = {
    dataset: d.name,
    split: loaded.split,
    full: pick(full),
    budgets: budgets.map((b): BudgetMetric => ({ fraction: b.fraction, bytes: b.bytes, dtype: b.dtype, ...b.peel })),
  };
  const manifest = await writer.finish({ ...draft, metrics });
  secondsExport += now() - t;
  const total = now() - t0;

  const quality: QualityReport = {
    dataset: d.name,
    split: loaded.split,
    datasetSha256: loaded.sha256,
    trainer: `${TRAINER_NAME}@${TRAINER_VERSION}`,
    seed: cfg.seed,
    generatedAt: new Date().toISOString(),
    contentHash: manifest.model.contentHash,
    users: d.nUsers,
    items: d.nItems,
    trainInteractions: d.train.indices.length,
    testInteractions: testCount(d),
    full: pick(full),
    fullF16: pick(fullF16),
    fullI8: pick(fullI8),
    backbone: pick(backboneMetric),
    fullGain: pairedGain(full, backboneMetric),
    budgets,
    seconds: {
      load: round(secondsLoad),
      pretrain: round(main.seconds.pretrain),
      cluster: round(main.seconds.cluster),
      refine: round(main.seconds.refine),
      evaluate: round(secondsEvaluate),
      export: round(secondsExport),
      total: round(total),
      tune: tuning?.seconds ?? 0,
      ablations: 0,
    },
    tuning,
    refine: main.refineStats.map((s) => ({
      userGroup: s.id,
      users: main.model.assignment.filter((c) => c === s.id).length,
      edges: s.edges,
      valEdges: s.valEdges,
      epochs: s.epochsRun,
      bestEpoch: s.bestEpoch,
      temperature: s.temperature,
      valLossBefore: round(s.valLossBefore, 4),
      valLossAfter: round(s.valLossAfter, 4),
      valRecallAfter: round(s.valRecallAfter, 4),
      valRecallStart: round(s.valRecallStart, 4),
      learnedWeights: s.learnedWeights,
      scoring: s.scoring,
      rankedUsers: s.rankedUsers,
      ruleRecall: { mean: round(mean(s.ruleRecalls.mean), 4), truncated: round(mean(s.ruleRecalls.truncated), 4) },
    })),
    config: cfg,
    loadReport: loaded.report,
    notes,
  };
  const qualityPath = options.qualityOut === null ? undefined : (options.qualityOut ?? join(options.out, QUALITY_FILE));
  // Written now and after every ablation, so a long run that is stopped still leaves its results.
  const persist = async () => {
    if (!qualityPath) return;
    quality.generatedAt = new Date().toISOString();
    const text = `${JSON.stringify(quality, null, 2)}\n`;
    // In the artifact folder through its sink, so that the marker names the report like the artifact's own files.
    if (options.qualityOut === undefined) return sink.write(QUALITY_FILE, new TextEncoder().encode(text));
    await mkdir(dirname(qualityPath), { recursive: true });
    await writeFile(qualityPath, text);
  };

  // Ablations (b)–(e), timed separately from the pipeline itself.
  const ta = now();
  if (cfg.ablations && budgets.length) {
    quality.notes.push('ablations running: null entries are not measured yet');
    await persist();
    await runAblations(d, cfg, main, budgets, { auto: peelByUser, byDtype: peelByDtype }, data, {
      progress,
      log,
      tick,
      notes,
      checkpoint: async () => {
        quality.seconds.ablations = round(now() - ta);
        await persist();
      },
    });
    quality.notes.splice(quality.notes.indexOf('ablations running: null entries are not measured yet'), 1);
  } else {
    notes.push('ablations skipped (quick path): uniform, unweighted, noGroups and noDiversity are null');
  }
  quality.seconds.ablations = round(now() - ta);
  await persist();
  return { manifest, quality, outDir: options.out, qualityPath };
}

async function runAblations(
  d: Dataset,
  cfg: TrainConfig,
  main: PeelParts,
  budgets: BudgetQuality[],
  peelUsers: { auto: ReadonlyMap<BudgetQuality, UserMetric>; byDtype: ReadonlyMap<BudgetQuality, PeelByDtype> },
  data: EvalData,
  ctx: { progress: TrainOptions['onProgress']; log: (l: string) => void; tick: () => void; notes: string[]; checkpoint: () => Promise<void> },
): Promise<void> {
  /** Records an ablation's means and its paired difference from PEEL at one budget. */
  const record = (b: BudgetQuality, key: Exclude<Ablation, 'uniform'>, m: UserMetric) => {
    b[key] = pick(m);
    b.peelGain[key] = pairedGain(peelUsers.auto.get(b)!, m);
  };
  /** Selects and scores a variant model at every budget, as the device would. */
  const evaluateAtBudgets = async (model: Parameters<typeof selectionManifest>[0], key: 'noGroups' | 'noDiversity') => {
    const manifest = selectionManifest(model, cfg.dtypes);
    for (const b of budgets) {
      record(b, key, await evaluateSelected(model, manifest, b.bytes, data, { threads: cfg.threads }));
      ctx.tick();
    }
    ctx.log(`${key}: ${budgets.map((b) => b[key]!.recall20.toFixed(4)).join(' / ')}`);
  };
  // Cheapest first, so that a stopped run has as many as possible.
  // (c) without the learned weights: first-k blocks of the same refined tables, equal weights.
  for (const b of budgets) {
    record(b, 'unweighted', await evaluateUnweighted(main.model, b.bytes, data, cfg.dtypes, cfg.threads));
    ctx.tick();
  }
  ctx.log(`unweighted: ${budgets.map((b) => b.unweighted!.recall20.toFixed(4)).join(' / ')}`);
  await ctx.checkpoint();
  // (d) without user groups: one refined table and controller for everyone.
  const noGroups = await buildPeel(d, cfg, { userGroups: 1, backbone: main.backbone, validation: main.validation, stage: 'noGroups:', onProgress: ctx.progress });
  await evaluateAtBudgets(noGroups.model, 'noGroups');
  await ctx.checkpoint();
  // (b) a plain model retrained at the largest dimension that fits each budget, in the dtype PEEL chose and in
  // f16 and i8, smallest first. One model per width: i8's width at a budget is about f16's at twice it, so
  // budgets a factor 2 apart share their models.
  const cache = new Map<number, Embeddings>([[cfg.fullDim, main.backbone]]);
  const plainModel = async (dim: number) => {
    const cached = cache.get(dim);
    if (cached) return cached;
    const e = await trainUniformModel(d.train, d.nUsers, d.nItems, cfg, dim, (s, done, total) => ctx.progress?.(`uniform-${dim}:${s}`, done, total));
    cache.set(dim, e);
    return e;
  };
  for (const b of [...budgets].sort((x, y) => x.bytes - y.bytes)) {
    const uniform: Partial<Record<Dtype, { dim: number; metric: UserMetric } | null>> = {};
    for (const dtype of new Set<Dtype>([b.dtype, ...COMPARED_DTYPES])) {
      const dim = uniformDim(d.nItems, cfg.fullDim, cfg.blockDim, b.bytes, dtype);
      if (dim === 0) {
        ctx.notes.push(`uniform at ${b.fraction}: no ${dtype} table of even ${cfg.blockDim} dims fits`);
        uniform[dtype] = null;
        continue;
      }
      const metric = await evaluatePlain(await plainModel(dim), data, dtype, { blockDim: cfg.blockDim, threads: cfg.threads });
      uniform[dtype] = { dim, metric };
      ctx.log(`budget ${(b.fraction * 100).toFixed(0)}%: uniform d=${dim} (${dtype}) recall@20 ${metric.recall20.toFixed(4)}, ndcg@20 ${metric.ndcg20.toFixed(4)}`);
    }
    const own = uniform[b.dtype];
    if (own) {
      b.uniform = { ...pick(own.metric), dim: own.dim, dtype: b.dtype };
      b.peelGain.uniform = pairedGain(peelUsers.auto.get(b)!, own.metric);
    }
    recordUniforms(b, uniform, peelUsers.byDtype.get(b) ?? {});
    ctx.tick();
    await ctx.checkpoint();
  }
  // (e) without the diversity term: the whole PEEL pipeline on a backbone pretrained with λ = 0.
  if (!cfg.backbone.diversity) {
    ctx.notes.push('noDiversity equals PEEL: the main backbone was already trained without the diversity term');
    for (const b of budgets) record(b, 'noDiversity', peelUsers.auto.get(b)!);
  } else {
    const nd = await buildPeel(d, cfg, { diversity: 0, validation: main.validation, stage: 'noDiversity:', onProgress: ctx.progress });
    await evaluateAtBudgets(nd.model, 'noDiversity');
  }
  await ctx.checkpoint();
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function describeSource(s: DataSource): Record<string, unknown> {
  if (s.kind === 'synthetic') return { kind: 'synthetic', ...(s.options ?? {}) };
  if (s.kind === 'lightgcn') return { kind: 'lightgcn', dir: s.dir };
  return { kind: 'delimited', file: s.file, ...(s.options ?? {}) };
}

export type { LoadedData };
