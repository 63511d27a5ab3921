import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Manifest, verifyAnyArtifact, verifyArtifact } from '@peelrec/format';
import { afterAll, describe, expect, it } from 'vitest';
import { directorySource } from '../src/export/fs-sink.js';
import type { MethodsReport } from '../src/harness/index.js';

const root = join(import.meta.dirname, '..');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/peelrec-train.mjs'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The catalog every run here trains on, small enough to take seconds. */
const TINY = ['--synthetic', '--synthetic-users', '240', '--synthetic-items', '160', '--epochs', '2', '--finetune-epochs', '1', '--variants', 'none'];

/** A run's folder (removed after the file) and the results file and artifact folder in it. */
async function runDir(prefix: string): Promise<{ results: string; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return { results: join(dir, 'methods-tiny.json'), out: join(dir, 'out') };
}

describe('peelrec-train methods', () => {
  it('is a documented subcommand and rejects an unknown method in one line', () => {
    expect(cli(['--help']).out).toContain('methods');
    const help = cli(['methods', '--help']).out;
    for (const f of ['--methods', '--method', '--results', '--budgets', '--variants', '--finetune-epochs', '--out']) expect(help).toContain(f);
    const r = cli(['methods', '--synthetic', '--methods', 'peel,nonesuch', '--results', '/tmp/never.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown method\(s\) \["nonesuch"\]/);
    for (const f of ['--bet-iterations', '--bet-epochs', '--bet-candidates', '--bet-predictor-steps', '--bet-top', '--bet-retrain-epochs']) expect(help).toContain(f);
    for (const f of [
      '--ciess-episodes',
      '--ciess-iterations',
      '--ciess-epochs',
      '--ciess-top',
      '--ciess-retrain-epochs',
      '--ciess-updates',
      '--ciess-lambda',
      '--ciess-lambda-rule',
      '--ciess-accounting',
    ])
      expect(help).toContain(f);
    const zero = cli(['methods', '--synthetic', '--methods', 'peel,bet', '--bet-iterations', '0', '--results', '/tmp/never.json']);
    expect(zero.code).toBe(1);
    expect(zero.err).toMatch(/bet iterations must be ≥ 1/);
  }, 120_000); // four CLI starts

  it('documents the --sparserec-* settings and rejects a bad one before training', () => {
    const help = cli(['methods', '--help']).out;
    for (const f of ['--sparserec-epochs', '--sparserec-fractions', '--sparserec-intervals', '--sparserec-decays', '--sparserec-sampled-negatives', '--sparserec-nmf-iterations'])
      expect(help).toContain(f);
    const bad = cli(['methods', '--synthetic', '--methods', 'sparserec', '--sparserec-decays', 'linear', '--results', '/tmp/never.json']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/decays must be of cosine, constant, got linear/);
  }, 180_000); // two CLI starts, slow on busy cores

  // A real run on a tiny synthetic catalog (about a minute on 2 busy cores: six methods, each worker pool started anew).
  it('writes every method under one accounting, in the shape later methods add to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-methods-'));
    dirs.push(dir);
    const results = join(dir, 'methods-tiny.json');
    const six = 'peel,uniform,uniform-prefix,magprune,random-sizes,frequency-sized';
    const r = cli([
      'methods',
      '--synthetic',
      '--synthetic-users',
      '240',
      '--synthetic-items',
      '160',
      '--epochs',
      '2',
      '--finetune-epochs',
      '1',
      '--variants',
      'none',
      '--methods',
      six,
      '--results',
      results,
    ]);
    expect(r.err).not.toMatch(/peelrec-train:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    expect(report.accounting).toBe('device-item-bytes');
    // the default list: BET's searches run only when named
    expect(Object.keys(report.methods)).toEqual(['peel', 'uniform', 'uniform-prefix', 'magprune', 'random-sizes', 'frequency-sized']);
    const budgets = new Map(report.budgets.map((b) => [b.fraction, b.bytes]));
    expect([...budgets.keys()]).toEqual([0.2, 0.1, 0.05]);
    for (const [name, m] of Object.entries(report.methods)) {
      expect(m.seconds).toBeGreaterThan(0);
      expect(m.budgets.map((b) => b.fraction)).toEqual([0.2, 0.1, 0.05]);
      for (const b of m.budgets) {
        expect(b.bytes).toBeLessThanOrEqual(budgets.get(b.fraction)!);
        expect(b.recall20).toBeGreaterThan(0);
        expect(b.paperSparsity).toBeGreaterThan(0);
        if (name === 'peel') expect(b.pairedVsPeel).toBeNull();
        else expect(b.pairedVsPeel).toMatchObject({ recall20: expect.any(Number), se: expect.any(Number) });
      }
    }
    for (const k of ['fineTune', 'validate', 'test', 'applySizes', 'applyMask']) expect(report.primitives[k]?.secondsPerCall).toBeGreaterThan(0);
  }, 240_000);

  // The demo's Compare methods card plots these artifacts side by side: PEEL's must come from the same run.
  it("--out writes PEEL beside magprune, on the same backbone, with the run's own figures in each manifest", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-methods-out-'));
    dirs.push(dir);
    const results = join(dir, 'methods.json');
    const out = join(dir, 'artifacts');
    const r = cli(['methods', ...TINY, '--methods', 'peel,magprune', '--results', results, '--out', out]);
    expect(r.err).not.toMatch(/peelrec-train:/);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`artifact: ${join(out, 'peel')}`);
    const report = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    const peel = await verifyArtifact(directorySource(join(out, 'peel')));
    const pruned = await verifyAnyArtifact(directorySource(join(out, 'magprune')));
    expect(peel.manifest.kind).toBe('peel-blocks');
    expect(pruned.manifest.kind).toBe('sparse');
    for (const [name, m] of [
      ['peel', peel.manifest],
      ['magprune', pruned.manifest],
    ] as const) {
      expect(m.metrics?.budgets.map((b) => [b.fraction, b.bytes, b.recall20])).toEqual(report.methods[name]!.budgets.map((b) => [b.fraction, b.bytes, expect.closeTo(b.recall20, 5)]));
      expect(m.items.count).toBe(report.items);
    }
    const p: Manifest = peel.manifest;
    expect(p.dims.fullDim).toBe(pruned.manifest.dims.fullDim);
    // The harness compares in f32 and f16 (the kinds hold no i8), though `train` exports i8 too by default.
    expect(p.blocks[0]!.files.map((f) => f.dtype)).toEqual(['f32', 'f16']);
    const dtypes = report.methods.peel!.budgets.map((b) => b.dtype);
    expect(dtypes).toEqual(dtypes.map(() => 'f16'));
    // One backbone: PEEL's user vectors are the sparse artifact's, byte for byte (a shard is vectors, then group ids).
    const vectors = (root: string, url: string, count: number) => readFile(join(out, root, url)).then((b) => b.subarray(0, count * p.dims.fullDim * 4));
    const s0 = p.users.shards[0]!;
    expect(await vectors('peel', s0.file.url, s0.count)).toEqual(await vectors('magprune', pruned.manifest.users.shards[0]!.file.url, s0.count));
  }, 240_000);

  // BET and its ablation with a tiny search (T = 5, h = 1, m = 10) at two budgets, the same evaluations each, and BET's artifact.
  it('runs BET and the random-action ablation, reports the search and exports BET as a mixed artifact', async () => {
    const { results, out } = await runDir('peelrec-bet-');
    const r = cli([
      'methods',
      ...TINY,
      '--budgets',
      '0.1,0.05',
      '--methods',
      'peel,bet,bet-random',
      '--bet-iterations',
      '5',
      '--bet-epochs',
      '1',
      '--bet-candidates',
      '10',
      '--bet-top',
      '2',
      '--results',
      results,
      '--out',
      out,
    ]);
    expect(r.err).not.toMatch(/peelrec-train:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    expect(Object.keys(report.methods)).toEqual(['peel', 'bet', 'bet-random']);
    const budgets = new Map(report.budgets.map((b) => [b.fraction, b.bytes]));
    for (const name of ['bet', 'bet-random']) {
      const m = report.methods[name]!;
      expect(m.budgets.map((b) => b.fraction)).toEqual([0.1, 0.05]);
      for (const b of m.budgets) {
        expect(b.bytes).toBeLessThanOrEqual(budgets.get(b.fraction)!);
        expect(b.recall20).toBeGreaterThan(0);
        expect(b.pairedVsPeel).toMatchObject({ recall20: expect.any(Number), se: expect.any(Number) });
      }
      // the method's extra figures sit beside its budgets
      const extra = m as unknown as {
        settings: { iterations: number; epochs: number; strategy: string };
        searches: Record<string, { population: { strategy: string; r: number }[]; retrained: unknown[] }>;
      };
      expect(extra.settings).toMatchObject({ iterations: 5, epochs: 1, strategy: name === 'bet' ? 'guided' : 'random' });
      for (const f of ['0.1', '0.05']) {
        const s = extra.searches[f]!;
        expect(s.population.map((p) => p.strategy)).toEqual(name === 'bet' ? ['I', 'I', 'I', 'II', 'III'] : ['II', 'II', 'II', 'II', 'II']);
        for (const p of s.population) expect(p.r).toBeGreaterThan(0);
        expect(s.retrained).toHaveLength(2);
      }
    }
    expect(r.out).toContain(`artifact: ${join(out, 'bet')}`);
    const manifest = JSON.parse(await readFile(join(out, 'bet', 'manifest.json'), 'utf8')) as { kind: string; variants: { fraction: number; bytes: number }[] };
    expect(manifest.kind).toBe('mixed');
    expect(manifest.variants.map((v) => v.fraction)).toEqual([0.1, 0.05]);
    for (const v of manifest.variants) expect(v.bytes).toBe(report.methods.bet!.budgets.find((b) => b.fraction === v.fraction)!.bytes);
    await expect(readFile(join(out, 'bet-random', 'manifest.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);

  it('runs CIESS and its ablation without the walk, meets each budget exactly and exports CIESS as a mixed artifact', async () => {
    const { results, out } = await runDir('peelrec-ciess-');
    const tiny = [...TINY, '--budgets', '0.1,0.05'];
    const search = ['--ciess-episodes', '1', '--ciess-iterations', '2', '--ciess-top', '1', '--ciess-updates', '4'];
    const r = cli(['methods', ...tiny, '--methods', 'ciess,ciess-no-walk', ...search, '--results', results, '--out', out]);
    expect(r.err).not.toMatch(/peelrec-train:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    expect(Object.keys(report.methods)).toEqual(['ciess', 'ciess-no-walk']);
    const budgets = new Map(report.budgets.map((b) => [b.fraction, b.bytes]));
    for (const name of ['ciess', 'ciess-no-walk']) {
      const m = report.methods[name]!;
      expect(m.budgets.map((b) => b.fraction)).toEqual([0.1, 0.05]);
      for (const b of m.budgets) {
        // f16: the budget met to within one 2-byte value, never over
        expect(b.bytes).toBeLessThanOrEqual(budgets.get(b.fraction)!);
        expect(budgets.get(b.fraction)! - b.bytes).toBeLessThan(2);
        expect(b.recall20).toBeGreaterThan(0);
        expect(b).toMatchObject({ walk: name === 'ciess', projectionCost: { recall20: expect.any(Number) } });
      }
      const extra = m as unknown as { settings: { episodes: number; walk: boolean; lambdaRule: string }; searches: Record<string, { candidates: unknown[]; retrained: unknown[] }> };
      // the device accounting's default λ rule
      expect(extra.settings).toMatchObject({ episodes: 1, iterations: 2, walk: name === 'ciess', lambdaRule: 'iteration' });
      for (const f of ['0.1', '0.05']) {
        expect(extra.searches[f]!.candidates).toHaveLength(2);
        expect(extra.searches[f]!.retrained).toHaveLength(1);
      }
    }
    const manifest = JSON.parse(await readFile(join(out, 'ciess', 'manifest.json'), 'utf8')) as { kind: string; variants: { fraction: number; bytes: number }[] };
    expect(manifest.kind).toBe('mixed');
    for (const v of manifest.variants) expect(v.bytes).toBe(report.methods.ciess!.budgets.find((b) => b.fraction === v.fraction)!.bytes);
    await expect(readFile(join(out, 'ciess-no-walk', 'manifest.json'))).rejects.toThrow(/ENOENT/);
  }, 600_000); // two searches of 2 budgets on 2 busy cores

  it('refuses a budget that cannot hold one value a row before any search, in either accounting', async () => {
    const { results } = await runDir('peelrec-too-small-');
    const ciess = ['--ciess-episodes', '1', '--ciess-iterations', '2', '--ciess-epochs', '0', '--ciess-top', '1'];
    const device = cli(['methods', ...TINY, '--budgets', '0.002', '--methods', 'ciess', ...ciess, '--results', results]);
    expect(device.code).toBe(1);
    expect(device.err).toMatch(/ciess: a budget of \d+ B cannot hold its smallest table \(\d+ B\)/);
    expect(device.out + device.err).not.toMatch(/e0 t0/); // no search step ran
    const paper = cli(['methods', ...TINY, '--budgets', '0.002', '--methods', 'bet', '--bet-accounting', 'paper', '--bet-iterations', '1', '--results', results]);
    expect(paper.code).toBe(1);
    expect(paper.err).toMatch(/bet: 0\.002 of the papers' parameters \(\d+ values\) cannot hold \d+ rows of one value/);
  }, 120_000); // two CLI starts, each training a tiny backbone

  it('runs BET in the papers’ accounting: user + item parameters at sparsity 1 − budget, reported and not exported', async () => {
    const { results, out } = await runDir('peelrec-bet-paper-');
    const bad = cli(['methods', ...TINY, '--methods', 'bet', '--bet-accounting', 'bytes', '--results', results]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--bet-accounting/);
    const search = ['--bet-iterations', '3', '--bet-epochs', '1', '--bet-candidates', '6', '--bet-top', '2'];
    const r = cli(['methods', ...TINY, '--methods', 'bet', ...search, '--bet-accounting', 'paper', '--results', results, '--out', out]);
    expect(r.err).not.toMatch(/peelrec-train:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    const rows = report.methods.bet!.budgets as unknown as { fraction: number; paperSparsity: number; accounting: string; userSizes: { max: number } }[];
    expect(rows.map((b) => b.fraction)).toEqual([0.2, 0.1, 0.05]);
    for (const b of rows) {
      expect(b.accounting).toBe('paper');
      // within one value a side of the budget: (240 + 160) × 128 parameters in all
      expect(Math.abs(b.paperSparsity - (1 - b.fraction))).toBeLessThan(2 / (400 * 128) + 1e-6);
      expect(b.userSizes.max).toBeLessThanOrEqual(128);
    }
    expect(r.out).not.toContain('artifact:');
    await expect(readFile(join(out, 'bet', 'manifest.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);

  // BET's Table 1 has SU and SR beside BET: one size for every row, and one unsearched sampler action, both at the sparsity.
  it('runs SU and SR in the papers’ accounting: at sparsity 1 − budget, SU one size for users and items, neither exported', async () => {
    const { results, out } = await runDir('peelrec-su-sr-paper-');
    const r = cli(['methods', ...TINY, '--methods', 'su-paper,sr-paper', '--results', results, '--out', out]);
    expect(r.err).not.toMatch(/peelrec-train:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    type Row = {
      fraction: number;
      paperSparsity: number;
      accounting: string;
      recall20: number;
      sizes: { min: number; max: number };
      userSizes: { min: number; max: number };
      draw?: { items: { family: string } };
    };
    const su = report.methods['su-paper']!.budgets as unknown as Row[];
    const sr = report.methods['sr-paper']!.budgets as unknown as Row[];
    expect(su.map((b) => b.fraction)).toEqual([0.2, 0.1, 0.05]);
    for (const b of su) {
      const size = Math.floor(b.fraction * 128);
      expect(b.accounting).toBe('paper');
      expect([b.sizes.min, b.sizes.max, b.userSizes.min, b.userSizes.max]).toEqual([size, size, size, size]);
      expect(b.paperSparsity).toBeCloseTo(1 - size / 128, 6);
      expect(b.recall20).toBeGreaterThan(0);
    }
    for (const b of sr) {
      expect(b.accounting).toBe('paper');
      expect(Math.abs(b.paperSparsity - (1 - b.fraction))).toBeLessThan(2 / (400 * 128) + 1e-6);
      // one sampled action, whose draw the row names: item sizes fall along frequency (seeded, so this is fixed)
      expect(b.draw?.items.family).toMatch(/^(power-law|truncated-exponential|truncated-normal|log-normal)$/);
      expect(b.sizes.max).toBeGreaterThan(b.sizes.min);
    }
    expect(r.out).not.toContain('artifact:');
    await expect(readFile(join(out, 'su-paper', 'manifest.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);
  it('trains the backbone once with --backbone-cache, and the next run loads the same tables', async () => {
    const { results } = await runDir('peelrec-methods-cache-');
    const cache = join(results, '..', 'cache');
    const run = () => cli(['methods', ...TINY, '--methods', 'peel', '--budgets', '0.2', '--backbone-cache', cache, '--results', results]);
    const first = run();
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/backbone stored in the cache/);
    const a = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    const second = run();
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/backbone loaded from the cache/);
    const b = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    expect(a.backbone.cache).toMatchObject({ hit: false });
    expect(b.backbone.cache).toEqual({ ...a.backbone.cache, hit: true });
    expect(b.backbone.test).toEqual(a.backbone.test);
    expect(b.methods.peel!.budgets).toEqual(a.methods.peel!.budgets);
  }, 180_000);
});
