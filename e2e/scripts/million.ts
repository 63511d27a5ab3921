/**
 * The 1M-item fixture: the bench's generator (random values, written by the format's ArtifactWriter), reused when
 * its stamp matches. Kept out of fixtures.ts, which vite.config.ts imports: Vite's config loader cannot bundle the
 * workspace packages' TypeScript that the generator imports.
 */
import { ensureCatalog, MILLION_SHAPE } from '../../bench/src/catalog.js';
import { fixturesDir, MILLION } from './fixtures.js';

export async function ensureMillion(log: (l: string) => void = console.log): Promise<void> {
  log(`[e2e] fixture ${MILLION.name}`);
  await ensureCatalog(MILLION_SHAPE, fixturesDir, log);
}
