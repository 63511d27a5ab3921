/**
 * The method comparison the demo serves beside its PEEL model (issue 20): one `peelrec-train methods` run on the
 * demo's own synthetic catalog (the same users and items flags as demo-model.ts, so the same item and user ids,
 * and a switch keeps the picked user and the history), writing the peel (peel-blocks), magprune (sparse),
 * frequency-sized (mixed) and BET (mixed, issue 21) artifacts, all on that run's one 128-dim backbone, and the
 * methods JSON.
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
  exported: ['peel', 'magprune', 'frequency-sized', 'bet'] as const,
  /**
   * `peelrec-train methods` flags (besides --results and --out). The backbone's 20 epochs as demo-model.ts; 2
   * fine-tuning epochs, not 4, and no 50 % variant: 4 epochs and the variant cost 22 % more CPU for the same
   * Recall@20 within 0.001 (magprune 20 %: 0.1007 against 0.1013). Backbone epochs 10 would halve its Recall@20
   * (0.057 against 0.119), so no.
   *
   *
   * BET (issue 21) scaled down to what a demo start can afford: T = 4 search iterations (strategies I and II), h = 0
   * (each searched action is validated on the masked backbone, not fine-tuned), m = 20 candidates, and the best one
   * retrained for the 2 epochs every masked method gets. It adds 29 validations, 6 fine-tuning epochs and 3 test
   * calls: 156.0 s of CPU (user + sys) for the whole run against 112.2 s without BET (+39 %), measured on the
   * 2-core machine under load 8 to 23. At these settings its Recall@20 (0.107 / 0.068 / 0.120 at 20 / 10 / 5 %)
   * is below frequency-sized's (0.148 / 0.153 / 0.155): the card shows a BET artifact served, not BET's best.
   */
  // biome-ignore format: the backbone's flags, then the methods' and BET's, one line each
  args: [
    '--synthetic', '--synthetic-users', '2000', '--synthetic-items', '100000', '--epochs', '20', '--finetune-epochs', '2', '--variants', 'none',
    '--methods', 'peel,magprune,frequency-sized,bet', '--bet-iterations', '4', '--bet-epochs', '0', '--bet-candidates', '20', '--bet-top', '1',
  ],
} as const;
