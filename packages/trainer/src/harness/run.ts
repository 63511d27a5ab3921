/**
 * One comparison run: load → the split and the validation carve → the shared backbone, trained once (the PEEL
 * pipeline's recipe) → each method in turn through the harness → `methods-<dataset>.json`, rewritten after every
 * method so that a stopped run keeps what it measured. The methods come from the caller (the CLI's registry).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type BackboneOptions, trainBackbone } from '../backbone/index.js';
import { backboneKey, loadBackbone, storeBackbone } from '../backbone/cache.js';
import { type DeepPartial, resolveConfig, type TrainConfig } from '../config.js';
import { type DataSource, loadData } from '../data/load.js';
import { pick } from '../quality/budgets.js';
import { budgetBytes } from './accounting.js';
import { createHarness, type Harness, type HarnessOptions } from './harness.js';
import type { BudgetOutcome, Method, MethodOutcome } from './method.js';
import { ACCOUNTING_NOTE, type MethodsReport, methodEntry, primitiveCosts } from './report.js';
import { splitForMethods } from './split.js';
import { type TrimRow, trimVsFallback } from './trim.js';

export const HARNESS_DEFAULTS: Omit<HarnessOptions, 'seed' | 'threads'> = {
  budgets: [0.2, 0.1, 0.05],
  variants: [0.5],
  dtype: 'f16',
  // The backbone's own batch, negatives, temperature and learning rate.
  fineTune: { epochs: 4, batch: 1024, negatives: 256, temperature: 0.1, lr: 2e-3 },
  validationUsers: 2048,
};

export interface CompareOptions {
  data: DataSource;
  methods: readonly Method[];
  /** The PEEL pipeline's config (the backbone recipe every method shares); flags of `train` apply. */
  config?: DeepPartial<TrainConfig>;
  harness?: Partial<Omit<HarnessOptions, 'seed' | 'threads'>>;
  /** A folder of trained backbones (backbone/cache.ts): loaded from when it holds this run's, stored to when not. */
  backboneCache?: string;
  /** Where the JSON goes (rewritten after every method); none: not written. */
  resultsPath?: string;
  trainer: string;
  log?: (line: string) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Called with every method's outcome (the CLI's export of artifacts), and its trim-or-fall-back rows when measured. */
  onOutcome?: (name: string, outcome: MethodOutcome, h: Harness, split: string, trim: readonly TrimRow[] | undefined) => Promise<void>;
}

const now = () => performance.now() / 1000;

export async function compareMethods(o: CompareOptions): Promise<MethodsReport> {
  const log = o.log ?? (() => {});
  const t0 = now();
  // f32 and f16 unless asked: the mixed and sparse kinds hold no i8, and every method is compared in one accounting.
  const cfg = resolveConfig({ dtypes: ['f32', 'f16'], ...o.config }, o.data);
  const options: HarnessOptions = { ...HARNESS_DEFAULTS, ...o.harness, seed: cfg.seed, threads: cfg.threads };
  const loaded = await loadData(o.data);
  const d = loaded.dataset;
  log(`data: ${d.name}: ${d.nUsers} users, ${d.nItems} items, ${d.train.indices.length} train interactions`);
  const split = splitForMethods(d, { valFraction: cfg.refine.valFraction, valUserFraction: cfg.refine.valUserFraction, sampleUsers: options.validationUsers, seed: cfg.seed });
  let t = now();
  // The PEEL pipeline's untuned backbone, exactly as build-peel.ts trains it: PEEL gets the model `train --no-tune`
  // would build: the harness does not tune, so every method starts from one fixed recipe.
  const recipe: BackboneOptions = { ...cfg.backbone, dim: cfg.fullDim, blockDim: cfg.blockDim, seed: cfg.seed, threads: cfg.threads };
  const train = () => trainBackbone(split.validation.inner, d.nUsers, d.nItems, { ...recipe, onProgress: (s, done, total) => o.onProgress?.(`backbone ${s}`, done, total) });
  let cache: MethodsReport['backbone']['cache'];
  let backbone: Awaited<ReturnType<typeof train>>;
  if (o.backboneCache) {
    const key = await backboneKey(split.validation.inner, d.nUsers, d.nItems, recipe);
    const hit = await loadBackbone(o.backboneCache, key);
    if (hit) {
      backbone = hit.embeddings;
      cache = { key, hit: true, trainedSeconds: hit.record.trainedSeconds };
      log(`backbone loaded from the cache (${o.backboneCache}, key ${key.slice(0, 12)}…; it took ${hit.record.trainedSeconds} s to train)`);
    } else {
      backbone = await train();
      cache = { key, hit: false, trainedSeconds: Math.round((now() - t) * 10) / 10 };
      await storeBackbone(o.backboneCache, key, backbone, now() - t);
      log(`backbone stored in the cache (${o.backboneCache}, key ${key.slice(0, 12)}…)`);
    }
  } else backbone = await train();
  const backboneSeconds = now() - t;
  const h = createHarness({ dataset: d, split, config: cfg, options, backbone, log, onProgress: o.onProgress });
  const full = { users: backbone.users, items: backbone.items, dim: backbone.dim };
  const [bTest, bVal] = [await h.test(full), await h.validate(full)];
  log(
    `backbone ${backboneSeconds.toFixed(0)} s: test recall@20 ${bTest.recall20.toFixed(4)}, ndcg@20 ${bTest.ndcg20.toFixed(4)}; validation recall@20 ${bVal.recall20.toFixed(4)} ± ${bVal.se.recall20.toFixed(4)}`,
  );
  // What the fine-tune alone gives, with nothing pruned: the masked methods' gains over PEEL include it.
  const tuned = { ...full, items: await h.fineTune(backbone.items, backbone.dim, undefined, 'full table') };
  const tTest = await h.test(tuned);
  log(`full table fine-tuned: test recall@20 ${tTest.recall20.toFixed(4)}, ndcg@20 ${tTest.ndcg20.toFixed(4)}`);

  const report: MethodsReport = {
    dataset: d.name,
    split: loaded.split,
    accounting: 'device-item-bytes',
    accountingNote: ACCOUNTING_NOTE,
    generatedAt: new Date().toISOString(),
    trainer: o.trainer,
    seed: cfg.seed,
    threads: cfg.threads,
    users: d.nUsers,
    items: d.nItems,
    trainInteractions: d.train.indices.length,
    testInteractions: d.test.indices.length + (d.testUnranked?.reduce((a, b) => a + b, 0) ?? 0),
    budgets: options.budgets.map((fraction) => ({ fraction, bytes: budgetBytes(d.nItems, cfg.fullDim, fraction) })),
    backbone: {
      recipe: `the PEEL pipeline's backbone: nested sampled softmax (widths ${cfg.backbone.nested?.join(', ')}, ${cfg.fullDim}), diversity λ ${cfg.backbone.diversity}, ${cfg.backbone.softmaxEpochs} epochs, one-hop smoothing; trained once on the carve's inner edges, every method but uniform starts from it (uniform retrains this recipe without nesting, from scratch, at each budget's width)`,
      config: cfg.backbone,
      seconds: Math.round(backboneSeconds * 10) / 10,
      ...(cache ? { cache } : {}),
      test: pick(bTest),
      validation: { ...pick(bVal), se: bVal.se.recall20 },
      fineTunedTest: pick(tTest),
    },
    fineTune: {
      recipe: options.fineTune,
      usersFrozenOnDevice: true,
      about:
        "sampled softmax on cosine scores at the table's width, no nesting, no diversity, no smoothing; the mask re-applied after every update; in the device accounting the user table stays the backbone's (an artifact has one user table for every variant); rows in the papers' accounting (--bet-accounting / --ciess-accounting paper) fine-tune the cut users with the items, each side under its mask, as their notes say",
    },
    validation: {
      edges: split.validation.valItems.length,
      users: split.validationUsers,
      sampledUsers: split.validationSample.length,
      about:
        "the PEEL pipeline's carve (refine.valFraction, refine.valUserFraction), made before the backbone trains; the quick metric ranks a seeded sample of its users, with the standard error of the mean",
    },
    primitives: {},
    methods: {},
    wallSeconds: 0,
    notes: [],
  };
  const persist = async () => {
    report.primitives = primitiveCosts(h.costs());
    report.wallSeconds = Math.round(now() - t0);
    if (!o.resultsPath) return;
    await mkdir(dirname(o.resultsPath), { recursive: true });
    await writeFile(o.resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  };
  let peel: BudgetOutcome[] | undefined;
  for (const m of o.methods) {
    log(`method ${m.name}`);
    t = now();
    const outcome = await m.run(h);
    const seconds = now() - t;
    if (m.name === 'peel') peel = outcome.budgets;
    const trim = outcome.mixed && outcome.mixed.length > 1 ? await trimVsFallback(h, outcome.mixed) : undefined;
    report.methods[m.name] = methodEntry(m.name, m.about, seconds, outcome, peel, trim, split.validationSample);
    await o.onOutcome?.(m.name, outcome, h, loaded.split, trim);
    await persist();
    log(`method ${m.name}: ${seconds.toFixed(0)} s`);
  }
  if (!peel) report.notes.push('PEEL did not run: pairedVsPeel is null');
  await persist();
  return report;
}
