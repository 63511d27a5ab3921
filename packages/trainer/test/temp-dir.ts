import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A new folder in the system's temporary folder, `prefix` then random characters, deleted when the current test
 * ends, passed or failed, so that the suites leave nothing behind. Call it inside a test (not in a hook).
 */
export async function tempDir(prefix: string): Promise<string> {
  let dir: string | undefined;
  // Registered first: outside a test this throws before anything is created.
  onTestFinished(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  dir = await mkdtemp(join(tmpdir(), prefix));
  return dir;
}
