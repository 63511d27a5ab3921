import { describe, expect, it, vi } from 'vitest';
import { DownloadError } from '../src/index.js';
import { schemaChecks } from '../src/manifest-trust.js';

// The schema checks' chunk: missing on the first import, found on the next (back online).
const attempts = vi.hoisted(() => ({ n: 0 }));
vi.mock('../src/schema-checks.js', async (original) => {
  if (attempts.n++ === 0) throw new TypeError('Failed to fetch dynamically imported module: /assets/schema-checks-x.js');
  return original();
});

describe("the format schemas' chunk", () => {
  it('that cannot be imported is a DownloadError, and a later check imports it again', async () => {
    const first = schemaChecks();
    await expect(first).rejects.toBeInstanceOf(DownloadError);
    await expect(first).rejects.toThrow(/@peelrec\/runtime's schema checks/);
    // Not memoised as failed: the next check imports the chunk again, and this time finds it.
    const checks = await schemaChecks();
    expect(typeof checks.checkManifest).toBe('function');
    expect(attempts.n).toBe(2);
  });
});
