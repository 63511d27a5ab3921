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

describe('peelrec-train methods', () => {
  it('is a documented subcommand and rejects an unknown method in one line', () => {
    expect(cli(['--help']).out).toContain('methods');
    const help = cli(['methods', '--help']).out;
    for (const f of ['--methods', '--method', '--results', '--budgets', '--variants', '--finetune-epochs', '--out']) expect(help).toContain(f);
    const r = cli(['methods', '--synthetic', '--methods', 'peel,bet', '--results', '/tmp/never.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown method\(s\) \["bet"\]/);
  });

  // A real run on a tiny synthetic catalog (about a minute on 2 busy cores: six methods, each worker pool started anew).
  it('writes every method under one accounting, in the shape later methods add to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-methods-'));
    dirs.push(dir);
    const results = join(dir, 'methods-tiny.json');
    const r = cli(['methods', '--synthetic', '--synthetic-users', '240', '--synthetic-items', '160', '--epochs', '2', '--finetune-epochs', '1', '--variants', 'none', '--results', results]);
    expect(r.err).not.toMatch(/peelrec-train:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(results, 'utf8')) as MethodsReport;
    expect(report.accounting).toBe('device-item-bytes');
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
    const tiny = '--synthetic --synthetic-users 240 --synthetic-items 160 --epochs 2 --finetune-epochs 1 --variants none'.split(' ');
    const r = cli(['methods', ...tiny, '--methods', 'peel,magprune', '--results', results, '--out', out]);
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
    // One backbone: PEEL's user vectors are the sparse artifact's, byte for byte (a shard is vectors, then group ids).
    const vectors = (root: string, url: string, count: number) => readFile(join(out, root, url)).then((b) => b.subarray(0, count * p.dims.fullDim * 4));
    const s0 = p.users.shards[0]!;
    expect(await vectors('peel', s0.file.url, s0.count)).toEqual(await vectors('magprune', pruned.manifest.users.shards[0]!.file.url, s0.count));
  }, 240_000);
});
