import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyArtifact } from '@peelrec/format';
import { directorySink, directorySource } from '../src/export/fs-sink.js';
import { exportModel } from '../src/export/write-artifact.js';
import type { PeelModel } from '../src/quality/peel-model.js';
import { tempDir } from './temp-dir.js';

const root = join(import.meta.dirname, '..');

/** Two users, four items in two item groups of two, one user group, 16 dims in two blocks. */
function tinyModel(): PeelModel {
  const D = 16;
  const order = Uint32Array.from([0, 1, 2, 3]);
  return {
    dim: D,
    blockDim: 8,
    nUsers: 2,
    nItems: 4,
    users: Float32Array.from({ length: 2 * D }, (_, k) => Math.sin(k)),
    assignment: new Uint16Array(2),
    centroids: [new Array(D).fill(0)],
    itemGroups: {
      order,
      position: order.slice(),
      groups: [
        { start: 0, count: 2 },
        { start: 2, count: 2 },
      ],
      groupOfPosition: Uint16Array.from([0, 0, 1, 1]),
      popularity: new Uint32Array(4),
    },
    tables: [Float32Array.from({ length: 4 * D }, (_, k) => Math.cos(k))],
    weights: [Float32Array.from([0.6, 0.4, 0.3, 0.7])],
  };
}
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin/peelrec-train.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('peelrec-train CLI', () => {
  it('documents its subcommands and the train flags', () => {
    const top = cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['train', 'evaluate', 'export']) expect(top.out).toContain(c);
    const t = cli(['train', '--help']);
    for (const f of [
      '--data',
      '--interactions',
      '--delimiter',
      '--user-groups',
      '--item-groups',
      '--full-dim',
      '--block-dim',
      '--epochs',
      '--seed',
      '--dtypes',
      '--config',
      '--quick',
      '--no-tune',
      '--tune-seconds',
      '--time-budget',
      '--tune-test-agreement',
    ]) {
      expect(t.out).toContain(f);
    }
  });

  it('reports malformed data as one line naming file and line, exit code 1', async () => {
    const dir = await tempDir('peelrec-cli-');
    await writeFile(join(dir, 'train.txt'), '0 1 2\n1 2 oops\n');
    await writeFile(join(dir, 'test.txt'), '0 0\n');
    const r = cli(['train', '--data', dir, '--out', join(dir, 'out')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^peelrec-train: .*train\.txt:2: bad token "oops"/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace for a data error
  });

  it('reports an unwritable --out or --quality-out in one line before reading any data', async () => {
    const dir = await tempDir('peelrec-cli-');
    // Malformed data: if the trainer read it first, the error would be about train.txt.
    await writeFile(join(dir, 'train.txt'), '0 1 oops\n');
    await writeFile(join(dir, 'test.txt'), '0 0\n');
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    let r = cli(['train', '--data', dir, '--out', join(file, 'out'), '--no-quality']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^peelrec-train: cannot write the artifact to ${esc(join(file, 'out'))}: .*ENOTDIR`));
    expect(r.err.trim().split('\n')).toHaveLength(1);
    r = cli(['train', '--data', dir, '--out', join(dir, 'out'), '--quality-out', join(file, 'q.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^peelrec-train: cannot write the quality report to ${esc(join(file, 'q.json'))}: .*ENOTDIR`));
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('resolves relative paths against INIT_CWD (where the user ran npm)', async () => {
    const dir = await tempDir('peelrec-cli-');
    const r = cli(['train', '--data', 'missing-folder', '--out', 'o'], { INIT_CWD: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain(join(dir, 'missing-folder', 'train.txt'));
  });

  it('rejects a config file with a misspelt key, a wrong value or bad JSON, naming the file', async () => {
    const dir = await tempDir('peelrec-cli-');
    const typo = join(dir, 'typo.json');
    await writeFile(typo, '{"backbone": {"softmaxEpoch": 5}}');
    let r = cli(['train', '--config', typo, '--out', join(dir, 'out')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`peelrec-train: ${typo}: unknown config key "backbone.softmaxEpoch"`);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"seed": 2,}');
    r = cli(['train', '--config', broken, '--out', join(dir, 'out')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`peelrec-train: ${broken}: not valid JSON`);
    const wrongType = join(dir, 'wrong-type.json');
    await writeFile(wrongType, '{"backbone": {"softmaxEpochs": "60"}}');
    r = cli(['train', '--config', wrongType, '--out', join(dir, 'out')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`peelrec-train: ${wrongType}: config "backbone.softmaxEpochs" must be a number, got "60"`);
  });

  it('takes --time-budget as the config key timeBudget, checked before any data is read', () => {
    const r = cli(['train', '--data', '/nonexistent', '--out', '/tmp/x', '--time-budget', '0']);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('peelrec-train: config "timeBudget" must be a positive number, got 0');
  });

  it('rejects bad flag values', () => {
    let r = cli(['train', '--out', '/tmp/x', '--dtypes', 'f8']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unknown dtype f8/);
    r = cli(['train', '--out', '/tmp/x', '--tune-seconds', 'soon']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/tune seconds must be a number/);
    // a number out of range is the config schema's ConfigError, in one line, before any data is read
    r = cli(['train', '--data', '/nonexistent', '--out', '/tmp/x', '--tune-seconds', '-5']);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('peelrec-train: config "tuning.seconds" must be a positive number, got -5');
    r = cli(['export', '--from', '/tmp/x', '--out', '/tmp/y', '--dtypes', 'f32,i9']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unknown dtype i9 \(f32, f16, i8\)/);
  });

  it('takes i8 among the --dtypes of train and export', async () => {
    const dir = await tempDir('peelrec-cli-');
    // train parses the flag and goes on to the data (missing here): the error is about the data, not the dtype
    let r = cli(['train', '--data', join(dir, 'missing'), '--out', join(dir, 'out'), '--dtypes', 'f32,i8']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(join(dir, 'missing', 'train.txt'));
    // export writes the i8 blocks
    const from = join(dir, 'from');
    const m = tinyModel();
    await exportModel(directorySink(from), m, {
      modelId: 'cli-i8',
      itemIds: ['a', 'b', 'c', 'd'],
      userIds: ['0', '1'],
      dtypes: ['f32'],
      usersPerShard: 2,
      provenance: { dataset: 'tiny', trainer: 'test', seed: 1, createdAt: 'x' },
    });
    const to = join(dir, 'to');
    r = cli(['export', '--from', from, '--out', to, '--dtypes', 'f32,i8']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/× f32\+i8\)/);
    const v = await verifyArtifact(directorySource(to));
    expect(v.manifest.blocks.map((b) => b.files.map((f) => [f.dtype, f.byteLength]))).toEqual(
      v.manifest.blocks.map(() => [
        ['f32', 8 * 2 * 4],
        ['i8', 8 * 2 + 4],
      ]),
    );
  });
});
