/**
 * One streaming run (issue 24): segment the log, then per segment train the converged full-size reference (the
 * reward's denominator), then every method warm-started from its own last E, with the same fixed budget, checked
 * exactly at every segment; the JSON is rewritten after every segment so that a stopped run keeps what it measured.
 * Everything a segment trains, ranks, sizes and serves is its catalog (stream/catalog.ts): a retired item has no
 * size and no share of the budget, which the live items divide exactly.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Random } from '../data/random.js';
import type { TimedInteractions } from '../data/types.js';
import { HARNESS_DEFAULTS } from '../harness/run.js';
import type { FineTuneRecipe } from '../harness/finetune.js';
import { StreamError } from './errors.js';
import { type StreamMethod, SCALL_DEFAULTS, type ScallSettings, type StreamMethodName, streamMethods } from './methods.js';
import { gatherItems, liveCatalog, liveSegment, scatterItems } from './catalog.js';
import { csrOf, type Fitness, fitnessOf, growTables, rankHeldOut, type Tables, trainSegment } from './model.js';
import { type ItemDelta, itemDelta, type ServedItems } from './delta.js';
import { type PairedFigure, type PairedMean, pairedMeanFrom1, pairedVsScall } from './paired.js';
import { SEGMENT_DEFAULTS, type SegmentOptions, segmentStream } from './segments.js';
import { assertBudget, checkCatalog, type SizingContext } from './sizes.js';
import { exportSegment, type SegmentArtifact, segmentDir } from './export.js';
import { checkOutputDir } from '../export/output-dir.js';

export interface StreamSettings {
  /** New users + items a segment; absent: the log's entities over `targetSegments`. */
  segmentNew?: number;
  targetSegments: number;
  segment: Omit<SegmentOptions, 'segmentNew' | 'seed'>;
  /** The fixed budget, as a fraction of segment 0's full table (users + items at d_max). */
  budget: number;
  dMax: number;
  recipe: FineTuneRecipe;
  /** Epochs of the converged full-size reference a segment. */
  referenceEpochs: number;
  methods: readonly StreamMethodName[];
  scall: ScallSettings;
  seed: number;
  threads: number;
}

export const STREAM_SETTINGS: Omit<StreamSettings, 'seed' | 'threads'> = {
  targetSegments: 8,
  segment: SEGMENT_DEFAULTS,
  budget: 0.5,
  dMax: 64,
  // The harness's fine-tune recipe with a smaller batch, a larger step and twice the epochs: a segment has ~20k
  // edges, not Gowalla's 800k, and at batch 1024 the harness's 4 epochs are ~80 Adam steps (measured on a small
  // synthetic stream: the full-width model at 4 epochs reached 0.09 test Recall@20, at 8 epochs 0.14).
  recipe: { ...HARNESS_DEFAULTS.fineTune, epochs: 8, batch: 256, lr: 1e-2 },
  referenceEpochs: 16,
  methods: ['scall', 'fixed-power-law', 'uniform', 'frequency', 'random'],
  scall: SCALL_DEFAULTS,
};

interface Figures {
  recall20: number;
  ndcg20: number;
}

export interface MethodFigures extends Figures {
  validation: Figures;
  reward: number;
  /** Values stored (users + items) and the budget check: true only when they equal the budget exactly. */
  values: number;
  userValues: number;
  itemValues: number;
  budgetMet: boolean;
  seconds: number;
  cpuSeconds: number;
  details?: Record<string, unknown>;
  /** This method − SCALL on the segment's test users, paired (absent for SCALL, or when SCALL did not run). */
  pairedVsScall?: PairedFigure;
  /** The served item table against the method's last one, in f16 bytes (stream/delta.ts). */
  itemDelta: ItemDelta;
}

export interface SegmentReport {
  index: number;
  users: number;
  /** The served catalog: live items only. */
  items: number;
  /** Item rows the stream has known by this segment, retired ones included. */
  itemRows: number;
  /** Against the last segment's catalog: items served for the first time, retired, and served again (segments.ts). */
  catalog: { added: number; retired: number; returned: number };
  newUsers: number;
  newItems: number;
  interactions: number;
  replay: number;
  inner: number;
  validation: number;
  test: number;
  dropped: { validation: number; test: number };
  /** Pairs left out because their item is retired: replay candidates, and test pairs (in `dropped.test` too). */
  retiredPairs: { replay: number; test: number };
  /** The converged full-size model (d_max everywhere, no budget): the reward's reference. */
  reference: Figures & { validation: Figures; values: number; seconds: number };
  methods: Record<string, MethodFigures>;
  /** With `out`: SCALL's served table written as this segment's artifact version (stream/export.ts). */
  artifact?: SegmentArtifact;
  seconds: number;
  cpuSeconds: number;
}

export interface StreamReport {
  dataset: string;
  generatedAt: string;
  trainer: string;
  /** As run; a live window of Infinity (items never retire) is written 'all'. */
  settings: Omit<StreamSettings, 'segmentNew' | 'segment'> & { segmentNew: number; segment: Omit<SegmentOptions, 'segmentNew' | 'seed' | 'liveWindow'> & { liveWindow: number | 'all' } };
  budget: { values: number; bytesF32: number; about: string };
  backbone: string;
  segments: SegmentReport[];
  /** Per method, the mean Recall@20 and NDCG@20 over segments t ≥ 1. */
  meanFromSegment1: Record<string, Figures>;
  /** Per method, the mean over segments t ≥ 1 of method − SCALL, ± √(Σ se_t²) / T (stream/paired.ts). */
  pairedVsScallFrom1: Record<string, PairedMean>;
  wallSeconds: number;
  cpuSeconds: number;
  notes: string[];
}

const pick = (f: Fitness): Figures => ({ recall20: f.recall20, ndcg20: f.ndcg20 });
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const round = (s: number) => Math.round(s * 10) / 10;

export async function runStream(p: {
  log: TimedInteractions;
  settings: StreamSettings;
  trainer: string;
  resultsPath?: string;
  /** A folder for SCALL's served table of every segment, one artifact version each (`segment-<t>`). */
  out?: string;
  say?: (line: string) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
}): Promise<StreamReport> {
  const { log, settings: s } = p;
  const say = p.say ?? (() => {});
  const t0 = performance.now();
  const c0 = cpu();
  const segmentNew = s.segmentNew ?? Math.max(1, Math.round((log.nUsers + log.nItems) / s.targetSegments));
  const { segments, userOrder, itemOrder } = segmentStream(log, { ...s.segment, segmentNew, seed: s.seed });
  if (segments.length < 2) throw new StreamError(`${segments.length} segment(s): the metric needs segments t ≥ 1; lower --segment-new`);
  if (p.out) {
    if (!s.methods.includes('scall')) throw new StreamError('an artifact per segment (out) is SCALL’s served table: run scall too');
    // Before any training: a folder that cannot be written fails now, not after the first segment.
    for (const seg of segments) await checkOutputDir(segmentDir(p.out, seg.index));
  }
  let pinned: ReadonlyMap<string, number> | undefined;
  const first = segments[0]!;
  const budget = Math.floor(s.budget * (first.nUsers + first.live.length) * s.dMax);
  say(`${log.name}: ${log.rows.length} interactions, ${segments.length} segments of ${segmentNew} new users + items; budget ${budget} values`);
  const methods: StreamMethod[] = await streamMethods(s.methods, s.seed, s.scall);
  const report: StreamReport = {
    dataset: log.name,
    generatedAt: new Date().toISOString(),
    trainer: p.trainer,
    settings: { ...s, segmentNew, segment: { ...s.segment, liveWindow: Number.isFinite(s.segment.liveWindow) ? s.segment.liveWindow : 'all' } },
    budget: {
      values: budget,
      bytesF32: budget * 4,
      about: `fixed for the whole stream: ${s.budget} of segment 0's full table (${first.nUsers} users + ${first.live.length} items at d_max ${s.dMax}); users and the live items share it (the paper's accounting)`,
    },
    backbone: `the method harness's fine-tune recipe (sampled softmax on cosine scores, ${s.recipe.epochs} epochs, batch ${s.recipe.batch}, ${s.recipe.negatives} negatives, τ ${s.recipe.temperature}, lr ${s.recipe.lr}), users trained too, both tables masked to their sizes (E ⊙ M), warm-started from the method's own last E`,
    segments: [],
    meanFromSegment1: {},
    pairedVsScallFrom1: {},
    wallSeconds: 0,
    cpuSeconds: 0,
    notes: [],
  };
  const persist = async () => {
    report.wallSeconds = round((performance.now() - t0) / 1000);
    report.cpuSeconds = round(cpu() - c0);
    if (!p.resultsPath) return;
    await mkdir(dirname(p.resultsPath), { recursive: true });
    await writeFile(p.resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  };
  const tables = new Map<string, Tables>();
  const served = new Map<string, ServedItems>();
  let reference: Tables | undefined;
  try {
    for (const seg of segments) {
      const segT = performance.now();
      const segC = cpu();
      // Methods see the catalog only: pairs over live positions, tables of live rows.
      const catalog = liveCatalog(seg.live, seg.nItems);
      const view = liveSegment(seg, catalog);
      const inner = csrOf(seg.nUsers, view.inner);
      const seen = csrOf(seg.nUsers, [...view.inner, ...view.validation]);
      const userFreq = new Float64Array(seg.nUsers);
      const itemFreq = new Float64Array(catalog.live.length);
      for (const r of view.inner) {
        userFreq[r.user]!++;
        itemFreq[r.item]!++;
      }
      const sizing: SizingContext = { segment: seg.index, budget, dMax: s.dMax, userFreq, itemFreq };
      checkCatalog(sizing);
      // Every method's new rows get the same start: the same seeded draws, from each method's own E (every row).
      const grow = (prev: Tables | undefined) => growTables(prev, s.dMax, seg.nUsers, seg.nItems, seg.inner, new Random(s.seed * 7919 + seg.index));
      const refFull = grow(reference);
      const refT = performance.now();
      const ref = await trainSegment({
        start: gatherItems(refFull, catalog),
        userSizes: new Uint16Array(seg.nUsers).fill(s.dMax),
        itemSizes: new Uint16Array(catalog.live.length).fill(s.dMax),
        train: inner,
        recipe: { ...s.recipe, epochs: s.referenceEpochs },
        seed: s.seed + seg.index,
        threads: s.threads,
        onProgress: (done, total) => p.onProgress?.(`segment ${seg.index} reference`, done, total),
      });
      reference = scatterItems(refFull, ref.full, catalog);
      const refVal = await rankHeldOut(ref.served, inner, view.validation, s.threads);
      const refTest = await rankHeldOut(ref.served, seen, view.test, s.threads);
      const entry: SegmentReport = {
        index: seg.index,
        users: seg.nUsers,
        items: catalog.live.length,
        itemRows: seg.nItems,
        catalog: seg.catalog,
        newUsers: seg.newUsers,
        newItems: seg.newItems,
        interactions: seg.interactions,
        replay: seg.replay.length,
        inner: seg.inner.length,
        validation: seg.validation.length,
        test: seg.test.length,
        dropped: seg.dropped,
        retiredPairs: seg.retiredPairs,
        reference: { ...pick(refTest), validation: pick(refVal), values: (seg.nUsers + catalog.live.length) * s.dMax, seconds: round((performance.now() - refT) / 1000) },
        methods: {},
        seconds: 0,
        cpuSeconds: 0,
      };
      say(
        `segment ${seg.index}: ${seg.nUsers} users, ${catalog.live.length} items (${seg.catalog.retired} retired, ${seg.catalog.returned} back), ${seg.inner.length} training pairs; reference test recall@20 ${refTest.recall20.toFixed(4)}`,
      );
      const tests = new Map<string, Fitness>();
      for (const m of methods) {
        const mT = performance.now();
        const mC = cpu();
        const full = grow(tables.get(m.name));
        const out = await m.run(
          { segment: view, sizing, inner, recipe: s.recipe, seed: s.seed, threads: s.threads, referenceFitness: fitnessOf(refVal), isLast: seg === segments.at(-1), onProgress: p.onProgress },
          gatherItems(full, catalog),
        );
        assertBudget(sizing, out.assignment);
        tables.set(m.name, scatterItems(full, out.trained.full, catalog));
        const test = await rankHeldOut(out.trained.served, seen, view.test, s.threads);
        tests.set(m.name, test);
        const items: ServedItems = { items: out.trained.served.items, sizes: out.assignment.items, ids: catalog.live };
        const delta = itemDelta(served.get(m.name), items, out.trained.served.dim);
        served.set(m.name, items);
        entry.methods[m.name] = {
          ...pick(test),
          validation: pick(out.validation),
          reward: out.reward,
          values: out.assignment.userValues + out.assignment.itemValues,
          userValues: out.assignment.userValues,
          itemValues: out.assignment.itemValues,
          budgetMet: out.assignment.userValues + out.assignment.itemValues === budget,
          seconds: round((performance.now() - mT) / 1000),
          cpuSeconds: round(cpu() - mC),
          ...(out.details ? { details: out.details } : {}),
          itemDelta: delta,
        };
        say(`  ${m.name}: test recall@20 ${test.recall20.toFixed(4)}, ndcg@20 ${test.ndcg20.toFixed(4)}; reward ${out.reward.toFixed(3)}`);
        if (p.out && m.name === 'scall') {
          const written = await exportSegment({
            out: p.out,
            segment: seg.index,
            dataset: log.name,
            userIds: Array.from({ length: seg.nUsers }, (_, j) => log.userIds[userOrder[j]!]!),
            itemIds: Array.from(catalog.live, (j) => log.itemIds[itemOrder[j]!]!),
            served: out.trained.served,
            itemSizes: out.assignment.items,
            itemFreq,
            metrics: pick(test),
            provenance: { trainer: p.trainer, seed: s.seed, config: { method: 'scall', segment: seg.index, budgetValues: budget, dMax: s.dMax } },
            ...(pinned ? { previous: pinned } : {}),
          });
          pinned = written.files;
          entry.artifact = written.artifact;
          say(`  artifact ${written.artifact.dir}: ${written.artifact.bytes} B, ${written.artifact.newBytes} B not in the previous segment's`);
        }
      }
      for (const [name, d] of Object.entries(pairedVsScall(tests))) entry.methods[name]!.pairedVsScall = d;
      entry.seconds = round((performance.now() - segT) / 1000);
      entry.cpuSeconds = round(cpu() - segC);
      report.segments.push(entry);
      report.meanFromSegment1 = meansFrom1(report.segments);
      report.pairedVsScallFrom1 = pairedMeanFrom1(report.segments);
      await persist();
    }
  } finally {
    for (const m of methods) m.dispose?.();
  }
  return report;
}

/** Mean Recall@20 and NDCG@20 over segments t ≥ 1, per method (the reference as `reference`). */
export function meansFrom1(segments: readonly SegmentReport[]): Record<string, Figures> {
  const later = segments.filter((x) => x.index >= 1);
  const out: Record<string, Figures> = {};
  if (later.length === 0) return out;
  const mean = (f: (x: SegmentReport) => Figures | undefined) => {
    const rows = later.map(f).filter((x): x is Figures => x !== undefined);
    return { recall20: rows.reduce((a, r) => a + r.recall20, 0) / rows.length, ndcg20: rows.reduce((a, r) => a + r.ndcg20, 0) / rows.length };
  };
  out.reference = mean((x) => x.reference);
  for (const name of Object.keys(later[0]!.methods)) out[name] = mean((x) => x.methods[name]);
  return out;
}
