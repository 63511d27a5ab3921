import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/peelrec-train.mjs'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('peelrec-train stream', () => {
  it('is a documented subcommand and rejects an unknown method or a budget outside (0, 1] in one line, before any work', () => {
    const help = cli(['stream', '--help']).out;
    for (const f of ['--synthetic', '--interactions', '--segment-new', '--budget', '--methods', '--results', '--seed', '--rl-steps', '--out']) expect(help).toContain(f);
    const r = cli(['stream', '--methods', 'scall,ciess', '--results', '/tmp/never.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown stream method\(s\) \["ciess"\]/);
    const b = cli(['stream', '--budget', '1.5', '--results', '/tmp/never.json']);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/--budget must be in \(0, 1\]/);
  }, 120_000); // three CLI starts
});
