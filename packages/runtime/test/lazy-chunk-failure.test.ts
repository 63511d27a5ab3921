import { describe, expect, it, vi } from 'vitest';
import { createRecommender, DownloadError } from '../src/index.js';
import { MANIFEST_URL } from './fixtures/serve.js';

// The in-thread loader's chunk, as an app's build that lost it (offline, a deploy that removed it) serves it.
vi.mock('../src/fresh-recommender.js', () => {
  throw new TypeError('Failed to fetch dynamically imported module: /assets/fresh-recommender-x.js');
});

describe("the in-thread loader's chunk", () => {
  it('that cannot be imported rejects the load with a DownloadError that names it', async () => {
    const load = createRecommender({ manifestUrl: MANIFEST_URL, worker: false });
    await expect(load).rejects.toBeInstanceOf(DownloadError);
    await expect(load).rejects.toThrow(/@peelrec\/runtime's in-thread loader/);
    await expect(load.catch((e: Error) => e.cause)).resolves.toBeDefined();
  });
});
