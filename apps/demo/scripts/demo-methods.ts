/**
 * The method comparison the demo serves beside its PEEL model (issue 20): one `peelrec-train methods` run on the
 * demo's own synthetic catalog (the same users and items flags as demo-model.ts, so the same item and user ids,
 * and a switch keeps the picked user and the history), writing the peel (peel-blocks), magprune (sparse) and
 * frequency-sized (mixed) artifacts, all on that run's one 128-dim backbone, and the methods JSON.
 *
 * Outside public/: `npm run demo` prepares it after the server is up (Vite's build would not see it, and would
 * copy it again on every start), and vite.config.ts serves it at /models/methods/ straight from the folder.
 *
 * No package imports, as demo-model.ts: the Vite config imports this.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** How the page follows a preparation: `status.json` in the served folder. */
export type MethodsStatus = { readonly state: 'preparing'; readonly since: string } | { readonly state: 'ready' } | { readonly state: 'failed'; readonly reason: string };

export const METHODS_STATUS_FILE = 'status.json';

export const DEMO_METHODS = {
  /** `<dir>/<method>/manifest.json`, `<dir>/methods.json`, `<dir>/status.json`; PEELREC_METHODS_DIR replaces it (e2e). */
  dir: join(repoRoot, '.cache/demo-methods'),
  /** The methods with an artifact (`methods --out`), as the page finds them: `models/methods/<name>/manifest.json`. */
  exported: ['peel', 'magprune', 'frequency-sized'] as const,
  /**
   * `peelrec-train methods` flags (besides --results and --out). The backbone's 20 epochs as demo-model.ts; 2
   * fine-tuning epochs, not 4, and no 50 % variant: 4 epochs and the variant cost 22 % more CPU for the same
   * Recall@20 within 0.001 (magprune 20 %: 0.1007 against 0.1013). Backbone epochs 10 would halve its Recall@20
   * (0.057 against 0.119), so no.
   */
  args: ['--synthetic', '--synthetic-users', '2000', '--synthetic-items', '100000', '--epochs', '20', '--finetune-epochs', '2', '--variants', 'none', '--methods', 'peel,magprune,frequency-sized'],
} as const;
