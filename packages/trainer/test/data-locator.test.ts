import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateGowalla, repoRoot } from './data-locator.js';
import { tempDir } from './temp-dir.js';

/** tmp/clone (a repository with a test folder) and tmp/shared/data/gowalla beside it, as CI lays them out. */
async function layout(withData: boolean) {
  const base = await tempDir('peelrec-locate-');
  const tests = join(base, 'clone', 'packages', 'trainer', 'test');
  await mkdir(tests, { recursive: true });
  await writeFile(join(base, 'clone', 'pnpm-workspace.yaml'), 'packages: []\n');
  const data = join(base, 'shared', 'data', 'gowalla');
  if (withData) {
    await mkdir(data, { recursive: true });
    for (const f of ['train.txt', 'test.txt']) await writeFile(join(data, f), '0 0\n');
  }
  return { base, tests, data, nowhere: join(base, 'nowhere') };
}

describe('locateGowalla', () => {
  it('finds ../shared/data/gowalla beside the repository root, wherever the clone is', async () => {
    const l = await layout(true);
    expect(repoRoot(l.tests)).toBe(join(l.base, 'clone'));
    expect(locateGowalla({ env: {}, from: l.tests, fallback: l.nowhere })).toEqual({ dir: l.data });
  });

  it('prefers $PEELREC_GOWALLA, and falls back to the machine-wide folder', async () => {
    const l = await layout(true);
    const other = await layout(true);
    expect(locateGowalla({ env: { PEELREC_GOWALLA: other.data }, from: l.tests, fallback: l.nowhere }).dir).toBe(other.data);
    const bare = await layout(false);
    expect(locateGowalla({ env: {}, from: bare.tests, fallback: l.data }).dir).toBe(l.data);
  });

  it('says why it found nothing, naming every path it tried', async () => {
    const l = await layout(false);
    const env = { PEELREC_GOWALLA: join(l.base, 'set-but-empty') };
    const r = locateGowalla({ env, from: l.tests, fallback: l.nowhere });
    expect(r.dir).toBeUndefined();
    for (const p of [env.PEELREC_GOWALLA, l.data, l.nowhere]) expect(r.reason).toContain(`${p}: no train.txt, test.txt`);
    expect(locateGowalla({ env: {}, from: l.tests, fallback: l.nowhere }).reason).toContain('$PEELREC_GOWALLA: not set');
  });
});
