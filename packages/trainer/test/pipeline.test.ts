import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyArtifact } from '@peelrec/format';
import { directorySource } from '../src/export/fs-sink.js';
import { ConfigError, OUTPUT_MARKER, OutputDirError, QUALITY_FILE, evaluate, exportArtifact, resolveConfig, train, type TrainOptions } from '../src/index.js';
import { nestedWidths } from '../src/pipeline.js';
import { rowOf } from '../src/data/csr.js';
import type { CSR } from '../src/data/types.js';
import { generateSynthetic } from '../src/synthetic/generate.js';
import { readArtifact } from '../src/export/read-artifact.js';
import { tempDir } from './temp-dir.js';

const tiny = async (out: string, ablations: boolean): Promise<TrainOptions> => ({
  data: { kind: 'synthetic', options: { users: 240, items: 300, seed: 5, meanInteractions: 20 } },
  out,
  qualityOut: join(out, '..', 'quality.json'),
  config: {
    fullDim: 32,
    blockDim: 8,
    userGroups: 3,
    itemGroups: 5,
    seed: 3,
    ablations,
    // 4 blocks per item: 10 % cannot hold one f16 block per item group.
    budgets: [0.5, 0.25, 0.1],
    backbone: { softmaxEpochs: 4, batch: 256, negatives: 64 },
    refine: { epochs: 2, batch: 256, negatives: 64 },
    // the fixed defaults, whatever the data source (tuning has its own tests: tuning-pipeline.test.ts)
    tuning: { enabled: false },
  },
});
const tmp = () => tempDir('peelrec-train-');

describe('train (tiny synthetic)', () => {
  it('produces a verifiable artifact and a complete quality report, with ablations', async () => {
    const dir = await tmp();
    const out = join(dir, 'artifact');
    const stages = new Set<string>();
    // f32 and f16 only: the f16 rows, the budget too small for f16, and adding i8 by re-export are what it checks.
    const options = await tiny(out, true);
    const r = await train({ ...options, config: { ...options.config, dtypes: ['f32', 'f16'] }, onProgress: (s) => stages.add(s) });
    const v = await verifyArtifact(directorySource(out));
    expect(v.manifest.model.contentHash).toBe(r.manifest.model.contentHash);
    expect(v.manifest.userGroups.count).toBe(3);
    expect(v.manifest.itemGroups).toHaveLength(5);
    expect(v.manifest.blocks).toHaveLength(3 * 5 * 4);
    expect(v.manifest.blocks[0]!.files.map((f) => f.dtype)).toEqual(['f32', 'f16']);
    expect(v.manifest.provenance.datasetSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(v.manifest.metrics!.budgets.map((b) => b.fraction)).toEqual([0.5, 0.25]);
    // Weights are a softmax over the blocks of each item group.
    for (let g = 0; g < 5; g++) {
      const s = v.manifest.blocks.filter((b) => b.userGroup === 0 && b.itemGroup === g).reduce((a, b) => a + b.weight, 0);
      expect(s).toBeCloseTo(1, 5);
    }
    const q = JSON.parse(await readFile(r.qualityPath!, 'utf8'));
    for (const k of ['recall20', 'ndcg20']) expect(q.full[k]).toBeGreaterThan(0);
    for (const k of ['pretrain', 'cluster', 'refine', 'export', 'total']) expect(typeof q.seconds[k]).toBe('number');
    expect(q.budgets).toHaveLength(2);
    expect(q.notes.join('\n')).toMatch(/budget 0\.1: Budget of \d+ bytes is below the minimum/);
    for (const b of q.budgets) {
      expect(b.peel.recall20).toBeGreaterThan(0);
      expect(b.unweighted.recall20).toBeGreaterThan(0);
      expect(b.noGroups.recall20).toBeGreaterThan(0);
      expect(b.noDiversity.recall20).toBeGreaterThan(0);
      // Each ablation's paired difference is PEEL's mean minus its own, over the same test users.
      for (const k of ['uniform', 'unweighted', 'noGroups', 'noDiversity']) {
        for (const m of ['recall20', 'ndcg20']) {
          expect(b.peelGain[k][m].mean).toBeCloseTo(b.peel[m] - b[k][m], 6);
          expect(b.peelGain[k][m].se).toBeGreaterThanOrEqual(0);
        }
        expect(b.peelGain[k].users).toBe(q.budgets[0].peelGain.unweighted.users);
      }
    }
    expect(q.fullGain.recall20.mean).toBeCloseTo(q.full.recall20 - q.backbone.recall20, 6);
    // the scoring rule is one pooled choice, reported with each group's validation figures
    expect(new Set(q.refine.map((r: { scoring: string }) => r.scoring)).size).toBe(1);
    for (const r of q.refine) expect(r.rankedUsers).toBeGreaterThan(0);
    // 50 % in f16 holds the full table: the uniform baseline there is the full-dimension backbone.
    expect(q.budgets[0].dtype).toBe('f16');
    expect(q.budgets[0].uniform.dim).toBe(32);
    // The uniform model in f16 and in i8 widths (i8 is not exported here, and reported all the same).
    for (const b of q.budgets) {
      expect(b.uniformF16).toEqual(b.uniform);
      expect(b.uniformI8.dtype).toBe('i8');
      for (const m of ['recall20', 'ndcg20']) {
        expect(b.encodingGain.uniformI8VsF16[m].mean).toBeCloseTo(b.uniformI8[m] - b.uniformF16[m], 6);
        expect(b.encodingGain.peelVsUniformF16[m].mean).toBeCloseTo(b.peelF16[m] - b.uniformF16[m], 6);
        expect(b.encodingGain.peelVsUniformI8[m].mean).toBeCloseTo(b.peelI8[m] - b.uniformI8[m], 6);
      }
    }
    // at 25 %: f16 fits 2 blocks of 8 dims per item, i8 (a byte each, plus a scale per block) 3
    expect([q.budgets[1].uniformF16.dim, q.budgets[1].uniformI8.dim]).toEqual([16, 24]);
    expect(stages.has('pretrain')).toBe(true);
    expect(stages.has('refine')).toBe(true);

    // evaluate() recomputes the budget metrics from the artifact's bytes: they match what train recorded.
    const e = await evaluate({ artifact: out, data: (await tiny(out, false)).data });
    expect(e.full.recall20).toBeCloseTo(q.full.recall20, 10);
    expect(Object.keys(e.full).sort()).toEqual(['ndcg20', 'recall20']); // means only, no per-user arrays
    for (const b of e.budgets) {
      const m = v.manifest.metrics!.budgets.find((x) => x.fraction === b.fraction)!;
      expect(b.recall20).toBeCloseTo(m.recall20, 10);
      expect(b.ndcg20).toBeCloseTo(m.ndcg20, 10);
      expect(b.dtype).toBe(m.dtype);
    }

    // export: re-encode to f16 only, without retraining.
    const f16 = join(dir, 'f16');
    const m2 = await exportArtifact({ from: out, out: f16, dtypes: ['f16'] });
    expect(m2.blocks[0]!.files.map((f) => f.dtype)).toEqual(['f16']);
    expect((await verifyArtifact(directorySource(f16))).manifest.model.contentHash).toBe(m2.model.contentHash);

    // export: add i8. At 25 % i8 selects more blocks than f16, so a device would now choose i8 there: the f16
    // metric describes a selection no device makes and is dropped; at 50 % both hold every block and f16 stays.
    const withI8 = join(dir, 'with-i8');
    const m3 = await exportArtifact({ from: out, out: withI8, dtypes: ['f32', 'f16', 'i8'] });
    expect(m3.blocks[0]!.files.map((f) => f.dtype)).toEqual(['f32', 'f16', 'i8']);
    expect(m3.metrics!.budgets.map((b) => [b.fraction, b.dtype])).toEqual([[0.5, 'f16']]);
    // by default a re-export keeps every encoding of its source
    const again = await exportArtifact({ from: withI8, out: join(dir, 'again') });
    expect(again.blocks[0]!.files.map((f) => f.dtype)).toEqual(['f32', 'f16', 'i8']);
  }, 120_000);

  it('exports i8 blocks by default, and reports the f16 and i8 selections, and quantising alone, at each budget', async () => {
    const dir = await tmp();
    const out = join(dir, 'artifact');
    const options = await tiny(out, false);
    const r = await train(options);
    const v = await verifyArtifact(directorySource(out));
    expect(v.manifest.model.contentHash).toBe(r.manifest.model.contentHash);
    expect(v.manifest.blocks[0]!.files.map((f) => f.dtype)).toEqual(['f32', 'f16', 'i8']);
    // 10 % holds one i8 block per item group (not one f16 block): the budget is served now, in i8
    expect(v.manifest.metrics!.budgets.map((b) => [b.fraction, b.dtype])).toEqual([
      [0.5, 'f16'],
      [0.25, 'i8'],
      [0.1, 'i8'],
    ]);
    const q = JSON.parse(await readFile(r.qualityPath!, 'utf8'));
    expect(q.fullI8.recall20).toBeGreaterThan(0);
    expect(q.budgets.map((b: { fraction: number }) => b.fraction)).toEqual([0.5, 0.25, 0.1]);
    const [half, quarter, tenth] = q.budgets;
    // PEEL's own selection is the i8 one where it chose i8, the f16 one where it chose f16
    // 50 % in f16 holds every block: 5 item groups × 4
    expect(half.peelF16).toEqual({ ...half.peel, dtype: 'f16', blocks: 20 });
    expect(quarter.peelI8).toEqual({ ...quarter.peel, dtype: 'i8', blocks: quarter.peelI8.blocks });
    expect(tenth.peelI8).toEqual({ ...tenth.peel, dtype: 'i8', blocks: tenth.peelI8.blocks });
    expect(quarter.peelI8.blocks).toBeGreaterThan(quarter.peelF16.blocks);
    expect(tenth.peelF16).toBeNull();
    expect(q.notes.join('\n')).toMatch(/budget 0\.1: no f16 selection/);
    for (const b of q.budgets) {
      expect(b.peelI8Unquantised.recall20).toBeGreaterThan(0);
      for (const k of ['recall20', 'ndcg20']) {
        expect(b.encodingGain.quantisation[k].mean).toBeCloseTo(b.peelI8[k] - b.peelI8Unquantised[k], 6);
        expect(b.encodingGain.quantisation[k].se).toBeGreaterThanOrEqual(0);
        if (b.peelF16) expect(b.encodingGain.i8VsF16[k].mean).toBeCloseTo(b.peelI8[k] - b.peelF16[k], 6);
      }
    }
    // the quick path trains no uniform model
    expect(quarter.uniformI8).toBeUndefined();

    // evaluate() selects from the artifact's manifest as a device does: i8 where the pipeline recorded i8
    const e = await evaluate({ artifact: out, data: options.data });
    expect(e.budgets.map((b) => [b.fraction, b.dtype])).toEqual([
      [0.5, 'f16'],
      [0.25, 'i8'],
      [0.1, 'i8'],
    ]);
    for (const b of e.budgets) expect(b.recall20).toBeCloseTo(v.manifest.metrics!.budgets.find((x) => x.fraction === b.fraction)!.recall20, 10);
  }, 120_000);

  it('without a quality path, the report goes into the artifact folder, named in its marker, and a rerun replaces it', async () => {
    // It used to land in <repo>/bench/results, an untracked file beside the published reports.
    const out = join(await tmp(), 'artifact');
    const options = { ...(await tiny(out, false)), qualityOut: undefined };
    const r = await train(options);
    expect(r.qualityPath).toBe(join(out, QUALITY_FILE));
    expect(JSON.parse(await readFile(r.qualityPath!, 'utf8')).full.recall20).toBeGreaterThan(0);
    const named = (await readFile(join(out, OUTPUT_MARKER), 'utf8')).split('\n').filter((l) => l === QUALITY_FILE);
    expect(named).toEqual([QUALITY_FILE]);
    await train(options); // a folder holding only the files its marker names is replaced
    expect(JSON.parse(await readFile(join(out, QUALITY_FILE), 'utf8')).full.recall20).toBeGreaterThan(0);
  });

  it('the same seed gives the same artifact content hash', async () => {
    const a = await train({ ...(await tiny(join(await tmp(), 'a'), false)), qualityOut: null });
    const b = await train({ ...(await tiny(join(await tmp(), 'b'), false)), qualityOut: null });
    expect(b.manifest.model.contentHash).toBe(a.manifest.model.contentHash);
    expect(b.manifest.provenance.createdAt >= a.manifest.provenance.createdAt).toBe(true);
    expect({ ...b.manifest, provenance: null }).toEqual({ ...a.manifest, provenance: null });
    // No report: what only the report shows is not measured, and the report says so; the artifact's metrics stay.
    for (const q of a.quality.budgets) for (const k of ['peelF32', 'peelF16', 'peelI8', 'peelI8Unquantised'] as const) expect(q[k]).toBeUndefined();
    expect(a.quality.notes).toContain('no quality report: peelF32, peelF16, peelI8 and peelI8Unquantised not measured');
    // 10 % holds one i8 block per item group: every budget is served
    expect(a.manifest.metrics!.budgets.map((m) => m.fraction)).toEqual([0.5, 0.25, 0.1]);
  }, 120_000);

  it('checks that --out and the quality file can be written before loading data or training', async () => {
    const dir = await tmp();
    // A path under a regular file cannot be created, even by root (chmod-based read-only folders can).
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const stages: string[] = [];
    const onProgress = (s: string) => stages.push(s);
    const badOut = join(file, 'artifact');
    const err = await train({ ...(await tiny(badOut, false)), qualityOut: null, onProgress }).catch((e: unknown) => e);
    // Nothing was trained: no stage reported progress.
    expect(stages).toEqual([]);
    expect(err).toBeInstanceOf(OutputDirError);
    expect((err as OutputDirError).path).toBe(badOut);
    expect((err as Error).message).toMatch(/ENOTDIR/);
    const badQuality = join(file, 'quality.json');
    const err2 = await train({ ...(await tiny(join(dir, 'artifact'), false)), qualityOut: badQuality, onProgress }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(OutputDirError);
    expect((err2 as OutputDirError).path).toBe(badQuality);
    expect(stages).toEqual([]);
  });

  it('ids with gaps: the artifact holds exactly the items seen in training, under their own ids', async () => {
    // A LightGCN-layout dataset whose ids are sparse (items 3, 10, 17, …; users 2, 7, 12, …).
    const d = generateSynthetic({ users: 240, items: 300, seed: 5, meanInteractions: 20 });
    const itemId = (i: number) => 3 + 7 * i;
    const userId = (u: number) => 2 + 5 * u;
    const lines = (csr: CSR, keep: (i: number) => boolean) =>
      `${Array.from({ length: d.nUsers }, (_, u) => [userId(u), ...Array.from(rowOf(csr, u)).filter(keep).map(itemId)].join(' ')).join('\n')}\n`;
    const seen = new Set(d.train.indices);
    const dir = await tmp();
    await writeFile(
      join(dir, 'train.txt'),
      lines(d.train, () => true),
    );
    await writeFile(
      join(dir, 'test.txt'),
      lines(d.test, (i) => seen.has(i)),
    );
    const out = join(dir, 'artifact');
    const options = { ...(await tiny(out, false)), data: { kind: 'lightgcn' as const, dir }, qualityOut: null };
    await train(options);

    const a = await readArtifact(out);
    const trainedIds = [...seen].map((i) => String(itemId(i)));
    expect(a.manifest.items.count).toBe(seen.size);
    expect([...a.itemIds].sort()).toEqual(trainedIds.sort());
    expect(a.userIds).toEqual(Array.from({ length: d.nUsers }, (_, u) => String(userId(u))));
    // Every user's top 20 over the full table names only items it was trained on.
    const D = a.model.dim;
    const trained = new Set(trainedIds);
    for (let u = 0; u < a.model.nUsers; u++) {
      const t = a.model.tables[a.model.assignment[u]!]!;
      const scores = Array.from({ length: a.model.nItems }, (_, p) => {
        let s = 0;
        for (let k = 0; k < D; k++) s += a.model.users[u * D + k]! * t[p * D + k]!;
        return { p, s };
      });
      for (const { p } of scores.sort((x, y) => y.s - x.s).slice(0, 20)) expect(trained.has(a.itemIds[p]!)).toBe(true);
    }
    // The artifact evaluates against the same data: its catalog is the dataset's.
    const e = await evaluate({ artifact: out, data: options.data });
    expect(e.full.recall20).toBeGreaterThan(0);
  }, 120_000);

  it('rejects impossible configurations before training', async () => {
    const dir = await tmp();
    await expect(train({ out: dir, config: { fullDim: 30 } })).rejects.toThrow(/multiple of 8/);
    await expect(train({ out: dir, config: { dtypes: [] } })).rejects.toThrow(/dtypes/);
    await expect(train({ out: dir, config: { budgets: [1.5] } })).rejects.toThrow(/budget/);
  });

  it('names misspelt config keys instead of keeping the defaults', () => {
    expect(() => resolveConfig({ userGroup: 4 } as never)).toThrow(/unknown config key "userGroup" \(known: fullDim, .*userGroups/);
    expect(() => resolveConfig({ backbone: { temprature: 0.07 }, refine: { epoch: 2 } } as never)).toThrow(
      /unknown config keys "backbone\.temprature", "refine\.epoch" \(known under backbone: .*temperature/,
    );
    expect(() => resolveConfig({ backbone: 3 } as never)).toThrow(/config "backbone" must be an object/);
    expect(resolveConfig({ backbone: { fullTemperature: 0.07 } }).backbone).toMatchObject({ fullTemperature: 0.07, softmaxEpochs: 30 });
  });

  it('names config values of the wrong type or range, with the value given', () => {
    const bad = (config: unknown, key: string, message: RegExp) => {
      let caught: unknown;
      try {
        resolveConfig(config as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect(caught).toBeInstanceOf(RangeError);
      expect((caught as ConfigError).key).toBe(key);
      expect((caught as Error).message).toMatch(message);
    };
    // a string where a number belongs used to reach the trainer unchecked
    bad({ backbone: { softmaxEpochs: '60' } }, 'backbone.softmaxEpochs', /config "backbone\.softmaxEpochs" must be a number, got "60"/);
    bad({ userGroups: 2.5 }, 'userGroups', /"userGroups" must be .*integer.*, got 2\.5/);
    bad({ userGroups: 70000 }, 'userGroups', /at most 65535/);
    bad({ refine: { negatives: 12 } }, 'refine.negatives', /multiple of 8, got 12/);
    bad({ backbone: { temperature: 0 } }, 'backbone.temperature', /positive number, got 0/);
    bad({ budgets: [0.2, 1.5] }, 'budgets.1', /in \(0, 1\], got 1\.5/);
    bad({ dtypes: ['f8'] }, 'dtypes.0', /one of "f32", "f16", "i8", got "f8"/);
    bad({ dtypes: ['f32', 'i9'] }, 'dtypes.1', /one of "f32", "f16", "i8", got "i9"/);
    expect(resolveConfig({ dtypes: ['f32', 'i8'] }).dtypes).toEqual(['f32', 'i8']);
    bad({ refine: { softSelection: 'yes' } }, 'refine.softSelection', /must be a boolean, got "yes"/);
    bad({ fullDim: 32, blockDim: 12 }, 'fullDim', /multiple of 8 and of blockDim \(12\)/);
    bad([], '', /config must be an object/);
    // null is how JSON spells "not set" nowhere in this config: an error, not the default
    bad({ seed: null }, 'seed', /must be a number, got null/);
    bad({ backbone: { weightDecay: -0.1 } }, 'backbone.weightDecay', /a number ≥ 0, got -0\.1/);
    bad({ tuning: { seconds: 0 } }, 'tuning.seconds', /config "tuning\.seconds" must be a positive number, got 0/);
    bad({ tuning: { candidates: 0 } }, 'tuning.candidates', /an integer ≥ 1, got 0/);
    bad({ tuning: { eta: 1 } }, 'tuning.eta', /an integer ≥ 2, got 1/);
    bad({ tuning: { userGroups: [] } }, 'tuning.userGroups', /a non-empty list/);
    bad({ tuning: { enabled: 'no' } }, 'tuning.enabled', /must be a boolean, got "no"/);
    expect(() => resolveConfig({ tuning: { budget: 60 } } as never)).toThrow(/unknown config key "tuning\.budget" \(known under tuning: enabled, seconds/);
    expect(resolveConfig({ seed: undefined, backbone: { lr: 1e-3 } })).toMatchObject({ seed: 1, backbone: { lr: 1e-3 } });
  });

  it('derives the nested widths from the dimensions unless given', () => {
    expect(nestedWidths(128, 8)).toEqual([8, 16, 32, 64]);
    expect(nestedWidths(64, 16)).toEqual([16, 32]);
    // a 4-dim block is not a width the GEMM kernel takes (multiples of 8)
    expect(nestedWidths(32, 4)).toEqual([8, 16]);
    expect(resolveConfig({}).backbone.nested).toEqual([8, 16, 32, 64]);
    expect(resolveConfig({ fullDim: 32, blockDim: 8 }).backbone.nested).toEqual([8, 16]);
    expect(resolveConfig({ backbone: { nested: [] } }).backbone.nested).toEqual([]);
  });
});
