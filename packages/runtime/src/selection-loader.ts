/**
 * What is resident, and loading it: the block tables of the groups used so far, the budget decision and the
 * selection it allows in a group (the group's own blocks, or the group-blind plan), and the load that makes a
 * selection resident, fetching (file-router.ts) only the blocks the scorer does not hold yet.
 */
import { ManifestError, selectBlocks, withBlockTables, type BlockTable, type Manifest, type ManifestFile, type Selection } from '@peelrec/format';
import type { ActiveBackend } from './backend.js';
import type { BudgetDecision } from './budget.js';
import { decideBudget, fitToBudget } from './budget-fit.js';
import { readBudgetInputs } from './environment.js';
import { OptionError, throwIfAborted, UserError } from './errors.js';
import type { RecommenderEventTarget } from './events.js';
import { ESSENTIAL, type FileJob, type FileRouter } from './file-router.js';
import { schemaChecks } from './manifest-trust.js';
import { blindGroup, blindSelection, isBlind, isOwnSelection, startsBlind } from './group-blind.js';
import type { Scorer } from './scorer.js';
import type { RecommenderOptions } from './types.js';
import type { VersionLifecycle } from './version-lifecycle.js';

export class SelectionLoader {
  /** manifest.json plus the block tables loaded so far (only the groups this session used). */
  manifest!: Manifest;
  manifestFile!: ManifestFile;
  /** Files committed for the cached version when the manifest is byte-identical to it (validated when they were stored). */
  trustedFiles: ReadonlySet<string> = new Set();
  scorer!: Scorer;
  decision!: BudgetDecision;
  selection!: Selection;
  /** Budget inputs read while the manifest loads, for the first decision. */
  envAtStart: ReturnType<typeof readBudgetInputs> | undefined;

  constructor(
    private readonly options: RecommenderOptions,
    private readonly events: RecommenderEventTarget,
    private readonly files: FileRouter,
    private readonly version: VersionLifecycle,
    private readonly backend: () => ActiveBackend | undefined,
  ) {}

  /** The manifest to select from, without block tables yet. */
  setManifest(file: ManifestFile): void {
    this.manifestFile = file;
    this.manifest = withBlockTables(file, []);
  }

  allGroups(): number[] {
    return Array.from({ length: this.manifestFile.userGroups.count }, (_, g) => g);
  }

  /**
   * The first selection's group, its block tables loaded. No user or group named: the group-blind plan's (every
   * table, then the blocks of the most-shared group), so a { history } user's requests never depend on the history
   * (issue 27). Else the `prepared` user's group (from their user shard), else `userGroup`, else 0: its table alone.
   * @throws UserError, OptionError for a group the model does not have
   */
  async firstGroup(prepared: Promise<{ readonly group: number }> | undefined, signal: AbortSignal | undefined): Promise<{ group: number; blindStart: boolean }> {
    const groups = this.manifestFile.userGroups.count;
    const blindStart = startsBlind(this.options);
    if (blindStart) await this.loadBlockTables(this.allGroups(), signal);
    const group = blindStart ? blindGroup(this.manifest) : prepared ? (await prepared).group : (this.options.userGroup ?? 0);
    if (!Number.isInteger(group) || group < 0 || group >= groups) {
      throw prepared
        ? new UserError(`user ${JSON.stringify(this.options.user)} has group ${group}, but the model has ${groups} groups`)
        : new OptionError('userGroup', group, `an integer in [0, ${groups}) (this model has ${groups} user groups)`);
    }
    await this.loadBlockTables([group], signal);
    return { group, blindStart };
  }

  /** Fetches (or reads from the cache), verifies and validates the block tables of `groups` not loaded yet, in one download. */
  async loadBlockTables(groups: readonly number[], signal: AbortSignal | undefined): Promise<void> {
    const missing = groups.filter((g) => !this.manifest.blocks.some((e) => e.userGroup === g));
    const tables: BlockTable[] = [];
    const refs = missing.map((g) => this.manifestFile.blockTables[g]);
    const { parseBlockTable } = refs.every((r) => r && this.trustedFiles.has(r.sha256)) ? { parseBlockTable: undefined } : await schemaChecks();
    const jobs = missing.map((group): FileJob => {
      const ref = this.manifestFile.blockTables[group];
      if (!ref) throw new ManifestError(`the manifest has no block table for user group ${group} (it has ${this.manifestFile.userGroups.count} groups)`);
      // A table committed for this very (trusted) version passed parseBlockTable against this manifest before it was
      // stored, and its bytes were just re-verified by hash: its schema walk is not repeated.
      const checked = this.trustedFiles.has(ref.sha256);
      const parse = (b: Uint8Array) => (checked || !parseBlockTable ? (JSON.parse(new TextDecoder().decode(b)) as BlockTable) : parseBlockTable(new TextDecoder().decode(b), this.manifestFile, group));
      return { ref, weight: ESSENTIAL, use: (b) => void tables.push(parse(b)) };
    });
    await this.files.fetch(jobs, signal);
    this.manifest = withBlockTables(this.manifest, tables);
  }

  /** The selection of `userGroup` at `bytes`: its own blocks, or the group-blind plan scored as that group. */
  select(userGroup: number, bytes: number, blindPlan: boolean): Selection {
    // Resident bytes as the scorer holds them: f16 blocks at 2 bytes on the wasm kernel, widened to f32 elsewhere
    // (before the backend is up, as it will hold them on the backend expected: WebGPU is awaited before selecting).
    const planned = this.backend()?.info.name ?? (this.options.backend === 'cpu' ? 'cpu' : 'wasm');
    const options = { dtype: this.options.dtype ?? 'auto', residentDtype: this.scorer.residentDtypeFor(planned) };
    return (blindPlan ? blindSelection : selectBlocks)(this.manifest, userGroup, bytes, options);
  }

  /**
   * Whether a user of `group` needs another plan than the resident one, and if so whether group-blind. A history
   * user (`history`) is on the plan their resolution put in place. A known user is scored with their group's own
   * blocks, which the group-blind plan stays for when it is exactly those (their group shares the blind group's files).
   */
  planFor(group: number, history: boolean): { readonly blindPlan: boolean } | undefined {
    const current = this.selection;
    const stay = history || isOwnSelection(current);
    if (group === current.userGroup && stay) return undefined;
    return { blindPlan: isBlind(current) && (history || isOwnSelection(this.select(group, this.decision.bytes, true))) };
  }

  /** Makes `selection` resident, fetching only blocks not resident yet (plus `extra` files in the same progress totals). */
  async loadSelection(selection: Selection, signal: AbortSignal | undefined, extra: FileJob[] = [], backendReady?: Promise<void>, decision?: BudgetDecision): Promise<void> {
    const payloads = new Map<string, Uint8Array>();
    const jobs: FileJob[] = [...extra];
    // Heaviest blocks first: they matter most if the load is cut short or storage runs out.
    const held = this.scorer.held(selection);
    for (const b of [...selection.blocks].sort((x, y) => y.weight - x.weight)) {
      if (held.has(`${b.itemGroup}/${b.block}`)) continue;
      jobs.push({ ref: b.file, weight: b.weight, use: (bytes) => payloads.set(`${b.itemGroup}/${b.block}`, bytes) });
    }
    await this.files.fetch(jobs, signal);
    await backendReady;
    throwIfAborted(signal);
    // Selected before the backend was up, which then came up holding blocks otherwise (e.g. WASM failed, CPU took over).
    if (!this.scorer.holdsAsCounted(selection)) return this.loadSelection(this.select(selection.userGroup, selection.budgetBytes, isBlind(selection)), signal, [], undefined, decision);
    this.scorer.apply(selection, (g, b) => payloads.get(`${g}/${b}`)!);
    const changed = this.selection !== undefined;
    if (decision) this.decision = decision;
    this.selection = selection;
    if (changed) this.events.emit('selection', { selection, residentBytes: this.scorer.residentBytes });
  }

  /**
   * The budget decision for `budget` and the selection it allows in `group` (budget-fit.ts: storage limits only
   * what is persisted; an automatic budget is raised to the smallest selection, an explicit one is not).
   * @throws BudgetTooSmallError
   */
  budgeted(budget: number | 'auto', group: number, blindPlan: boolean): Promise<{ decision: BudgetDecision; selection: Selection }> {
    return fitToBudget(
      () => this.decide(budget),
      (bytes) => this.select(group, bytes, blindPlan),
      this.version,
    );
  }

  /**
   * Reloads the selection, at `budget`, onto the backend `restart` brings up (a lost GPU device took the tensors
   * with it): the blocks come from the cache when stored.
   */
  async reloadOn(restart: () => Promise<void>, budget: number | 'auto'): Promise<void> {
    this.scorer.forget();
    await restart();
    await this.scorer.prepare();
    const { decision, selection } = await this.budgeted(budget, this.selection.userGroup, isBlind(this.selection));
    await this.loadSelection(selection, undefined, [], undefined, decision);
    await this.scorer.warmUp();
  }

  private async decide(budget: number | 'auto'): Promise<BudgetDecision> {
    const env = await (this.envAtStart ?? readBudgetInputs(this.options.timeouts?.browserApiMs));
    this.envAtStart = undefined;
    return decideBudget(budget, env, this.options, this.version, this.backend());
  }
}
