/**
 * The method comparison the demo serves beside its PEEL model (issue 20): one `peelrec-train methods` run on the
 * demo's own synthetic catalog (the same users and items flags as demo-model.ts, so the same item and user ids,
 * and a switch keeps the picked user and the history), writing the peel (peel-blocks), magprune (sparse),
 * frequency-sized (mixed), BET (mixed, issue 21), CIESS (mixed, issue 22) and SparseRec (sparse, issue 23)
 * artifacts, all on that run's one 128-dim backbone, and the methods JSON.
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
  exported: ['peel', 'magprune', 'frequency-sized', 'bet', 'ciess', 'sparserec'] as const,
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
   *
   * CIESS (issue 22) and SparseRec (issue 23) at their cheapest that still runs each method's own code: CIESS one
   * episode of 2 iterations (actor, random walk, critic and TD3 updates), each evaluation on the masked backbone
   * (0 fine-tuning epochs), and the top 1 retrained for the 2 epochs, projected onto the budget and retrained
   * again; SparseRec one grid point (10 % pruned, cosine decay) trained 1 epoch from its NMF mask, a
   * prune-and-regrow step every 10 batches (4 steps an epoch here; the default 100 would make none). Measured
   * side by side on the 2-core machine under load 6 to 10 (/usr/bin/time -v, user + sys): 254.0 s of CPU for the
   * whole run against 146.0 s without them (+74 %). At these settings their Recall@20 at 20 / 10 / 5 % is CIESS
   * 0.117 / 0.087 / 0.048 and SparseRec 0.139 / 0.142 / 0.139, both below frequency-sized's: the card shows their
   * artifacts served, not either method's best.
   */
  // biome-ignore format: the backbone's flags, the methods', then BET's, CIESS's and SparseRec's, one line each
  args: [
    '--synthetic', '--synthetic-users', '2000', '--synthetic-items', '100000', '--epochs', '20', '--finetune-epochs', '2', '--variants', 'none',
    '--methods', 'peel,magprune,frequency-sized,bet,ciess,sparserec',
    '--bet-iterations', '4', '--bet-epochs', '0', '--bet-candidates', '20', '--bet-top', '1',
    '--ciess-episodes', '1', '--ciess-iterations', '2', '--ciess-epochs', '0', '--ciess-top', '1',
    '--sparserec-epochs', '1', '--sparserec-fractions', '0.1', '--sparserec-intervals', '10', '--sparserec-decays', 'cosine',
  ],
} as const;
