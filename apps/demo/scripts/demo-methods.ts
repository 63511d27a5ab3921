/**
 * The method comparison the demo serves beside its PEEL model (issue 20): `peelrec-train methods` on the demo's
 * own synthetic catalog (the same users and items flags as demo-model.ts, so the same item ids), writing the
 * magprune (sparse) and frequency-sized (mixed) artifacts, every trained fraction a variant, and the methods JSON.
 * PEEL's artifact is the demo model itself (public/models/demo); the harness's own PEEL run is only in the JSON.
 *
 * No package imports, as demo-model.ts: the page's list of method URLs is derived from the same names.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const DEMO_METHODS = {
  /** Served from public/: `<dir>/<method>/manifest.json` and `<dir>/methods.json`. */
  dir: join(repoRoot, 'public/models/methods'),
  /** The methods with an artifact (`methods --out`), as the page finds them: `models/methods/<name>/manifest.json`. */
  exported: ['magprune', 'frequency-sized'] as const,
  /**
   * `peelrec-train methods` flags (besides --results and --out). The backbone's 20 epochs as demo-model.ts; 2
   * fine-tuning epochs, not 4, and no 50 % variant: on the 2-core machine that costs 99 s of CPU instead of 121 s
   * with the same Recall@20 within 0.001 (magprune 20 %: 0.1007 against 0.1013), to keep a fresh `npm run demo`
   * near 2 minutes longer. Backbone epochs 10 (78 s) would halve its Recall@20 (0.057 against 0.119), so no.
   */
  args: ['--synthetic', '--synthetic-users', '2000', '--synthetic-items', '100000', '--epochs', '20', '--finetune-epochs', '2', '--variants', 'none', '--methods', 'peel,magprune,frequency-sized'],
} as const;
