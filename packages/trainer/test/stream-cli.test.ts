import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/peelrec-train.mjs'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('peelrec-train stream', () => {
  it('is a documented subcommand and rejects an unknown method, a budget outside (0, 1] or a fractional live window in one line, before any work', () => {
    const help = cli(['stream', '--help']).out;
    for (const f of ['--synthetic', '--interactions', '--segment-new', '--budget', '--methods', '--results', '--seed', '--rl-steps', '--out', '--live-window', '--stream-item-lifetime'])
      expect(help).toContain(f);
    const r = cli(['stream', '--methods', 'scall,ciess', '--results', '/tmp/never.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown stream method\(s\) \["ciess"\]/);
    const b = cli(['stream', '--budget', '1.5', '--results', '/tmp/never.json']);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/--budget must be in \(0, 1\]/);
    const w = cli(['stream', '--live-window', '1.5', '--results', '/tmp/never.json']);
    expect(w.code).toBe(1);
    expect(w.err).toMatch(/live window must be an integer ≥ 0 or all/);
  }, 160_000); // four CLI starts
});
