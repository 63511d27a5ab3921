/**
 * What is resident for a table kind (`mixed`, `sparse`: one table for every user, format v3, issue 20), and loading
 * it: the budget decision, the variant `selectTable` picks for it (values counted as the kind layout of this backend
 * holds them), and the load that makes a variant resident. Its refs come through the file router (cache first, else
 * HTTP Range; each one's SHA-256 checked before use, integrity.ts) and go to the kind layout (kinds/registry.ts),
 * which replaces what was resident: one variant at a time, of one version.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PeelrecError, selectTable, type Dtype, type FileRef, type KindManifest, type Selection, type TableSelection } from '@peelrec/format';
import type { ActiveBackend } from './backend.js';
import type { BudgetDecision } from './budget.js';
import { decideBudget, fitToBudget } from './budget-fit.js';
import { readBudgetInputs } from './environment.js';
import { throwIfAborted } from './errors.js';
import type { RecommenderEventTarget } from './events.js';
import type { FileJob, FileRouter } from './file-router.js';
import type { KindLayout, VariantBytes } from './kinds/kind-layout.js';
import { expectedKindResidentDtype, openKindLayout } from './kinds/registry.js';
import type { ScoredPosition } from './reference.js';
import type { RecommenderOptions } from './types.js';
import type { VersionLifecycle } from './version-lifecycle.js';

/** Eviction weight of a variant's files: the permutation serves every column; earlier columns serve more items. */
const PERMUTATION_WEIGHT = 2;
const columnWeight = (r: number) => 1 / (r + 1);

/** A variant's files a selection needs, each with the part of {@link VariantBytes} it fills. */
interface VariantPart {
  readonly ref: FileRef;
  readonly weight: number;
  readonly part: 'permutation' | 'payload' | number;
}

/** The files of `selection` (of `m`): a mixed variant's permutation and kept columns, a sparse variant's payload. */
export function variantParts(m: KindManifest, selection: TableSelection): VariantPart[] {
  const variant = m.variants[selection.variant]!;
  if (!('columns' in variant)) return [{ ref: variant.file, weight: 1, part: 'payload' }];
  const kept = variant.columns.slice(0, selection.columns ?? variant.columns.length);
  return [
    ...(variant.permutation ? [{ ref: variant.permutation, weight: PERMUTATION_WEIGHT, part: 'permutation' as const }] : []),
    ...kept.map((c, r) => ({ ref: c.file, weight: columnWeight(r), part: r })),
  ];
}

/** Whether two selections hold the same bytes: the same variant, as many of its columns. */
function sameTable(a: TableSelection, b: TableSelection): boolean {
  return a.variant === b.variant && a.columns === b.columns && a.dtype === b.dtype && a.bytes === b.bytes;
}

const views = new WeakMap<TableSelection, Selection>();

/**
 * A table-kind selection in the shape of PEEL's `Selection`, for `info.selection` and the `selection` event (apps
 * written for PEEL read them): its bytes and dtype, the one user group, no blocks. `info.table` is the selection.
 */
export function selectionView(s: TableSelection): Selection {
  let view = views.get(s);
  if (!view) {
    const { dtype, budgetBytes, bytes, fileBytes, minimumBytes } = s;
    view = { userGroup: 0, scoring: 'mean', dtype, budgetBytes, bytes, fileBytes, minimumBytes, blocks: [], byItemGroup: [] };
    views.set(s, view);
  }
  return view;
}

export class KindLoader {
  decision!: BudgetDecision;
  /** The variant serving (set by the first {@link load}). */
  selection!: TableSelection;
  /** Budget inputs read while the manifest loads, for the first decision. */
  envAtStart: ReturnType<typeof readBudgetInputs> | undefined;
  /** The layout and the backend it was opened on. */
  private bound: { backend: tf.KernelBackend; layout: KindLayout } | undefined;
  /** What the layout holds now (none after `dispose`, `forget` or a backend change). */
  private held: TableSelection | undefined;
  /** How each selection counted its values (undefined: as stored), to tell whether the layout holds them so. */
  private readonly countedAs = new WeakMap<TableSelection, Dtype | undefined>();

  constructor(
    /** The manifest: a plain parse while its full check runs (as for PEEL), then the checked copy. */
    public manifest: KindManifest,
    private readonly options: RecommenderOptions,
    private readonly events: RecommenderEventTarget,
    private readonly files: FileRouter,
    private readonly version: VersionLifecycle,
    private readonly backend: () => ActiveBackend | undefined,
  ) {}

  /** Bytes the layout holds (≤ the selection's counted bytes ≤ the budget). */
  get residentBytes(): number {
    return this.bound?.layout.residentBytes ?? 0;
  }

  /**
   * The variant for `bytes`: `selectTable` with values counted as the layout holds them (once `prepare` bound
   * the active backend), else as the layout expected on the planned backend will (WebGPU is awaited before selecting).
   * @throws BudgetTooSmallError when not even the smallest variant fits
   */
  select(bytes: number): TableSelection {
    const planned = this.backend()?.info.name ?? (this.options.backend === 'cpu' ? 'cpu' : 'wasm');
    const layout = this.current();
    const residentDtype = layout ? layout.residentDtype : expectedKindResidentDtype(this.manifest, planned);
    const selection = selectTable(this.manifest, bytes, residentDtype ? { residentDtype } : {});
    this.countedAs.set(selection, residentDtype);
    return selection;
  }

  /** The budget decision for `budget` and the variant it allows (budget-fit.ts). @throws BudgetTooSmallError */
  budgeted(budget: number | 'auto'): Promise<{ decision: BudgetDecision; selection: TableSelection }> {
    return fitToBudget(
      () => this.decide(budget),
      (bytes) => this.select(bytes),
      this.version,
    );
  }

  /**
   * Applies `budget` without a reload: selects first (a BudgetTooSmallError changes nothing), then makes that
   * variant resident (the one held before is released). @returns the new budget decision
   *
   * With storage 'memory' a variant switched back to is downloaded again, by design: the budget bounds what the SDK
   * holds, and the released variant's bytes (a copy beside what the layout holds) would exceed the smaller budget
   * that released it. Counted within the budget instead, they would fit only where a budget exceeds its variant by
   * a whole other one. README, "Table kinds".
   */
  async setBudget(budget: number | 'auto'): Promise<BudgetDecision> {
    const { decision, selection } = await this.budgeted(budget);
    await this.load(selection, undefined, undefined, decision);
    return decision;
  }

  /** Opens the kind layout of the active backend (after the backend changes, before `load`); frees what another backend held. */
  async prepare(): Promise<void> {
    const backend = tf.backend();
    if (this.bound?.backend === backend) return;
    this.dispose();
    this.bound = { backend, layout: await openKindLayout(this.manifest) };
  }

  /**
   * Makes `selection` resident: its files (verified, from the cache or the network; `extra` in the same progress
   * totals), handed to the layout, which drops the variant it held. A selection holding what is resident fetches
   * nothing. `backendReady` is awaited after the download (the first load downloads while the backend starts).
   */
  async load(selection: TableSelection, signal: AbortSignal | undefined, backendReady?: Promise<void>, decision?: BudgetDecision): Promise<void> {
    const same = this.held !== undefined && sameTable(this.held, selection) && this.countedAs.get(this.held) === this.countedAs.get(selection);
    const parts = same ? [] : variantParts(this.manifest, selection);
    const bytes = new Map<VariantPart['part'], Uint8Array>();
    const jobs: FileJob[] = parts.map((p) => ({ ref: p.ref, weight: p.weight, use: (b) => void bytes.set(p.part, b) }));
    await this.files.fetch(jobs, signal);
    await backendReady;
    throwIfAborted(signal);
    const layout = this.active();
    // Selected before the backend was up, which then came up holding values otherwise (WASM failed, CPU took over).
    if (this.countedAs.get(selection) !== layout.residentDtype) return this.load(this.select(selection.budgetBytes), signal, undefined, decision);
    if (!same) {
      const variant = this.manifest.variants[selection.variant]!;
      const held: VariantBytes =
        'columns' in variant
          ? { kind: 'mixed', permutation: bytes.get('permutation'), columns: parts.filter((p) => typeof p.part === 'number').map((p) => bytes.get(p.part)!) }
          : { kind: 'sparse', payload: bytes.get('payload')! };
      layout.apply(selection, variant, held);
    }
    this.held = selection;
    const changed = this.selection !== undefined;
    if (decision) this.decision = decision;
    this.selection = selection;
    if (changed) this.events.emit('selection', { selection: selectionView(selection), residentBytes: this.residentBytes, table: selection });
  }

  /** The top `k` artifact positions (score descending, ties by position) for a user vector of length fullDim. */
  top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    // Every kernel sizes its heap by k: never more than the catalog.
    return this.active().top(vector, Math.min(k, this.manifest.items.count), exclude);
  }

  /** The resident item vectors (fullDim each, 0 where the variant stores nothing) at `positions`. */
  itemVectors(positions: readonly number[]): Promise<Float32Array[]> {
    return this.active().itemVectors(positions);
  }

  /** One scoring pass, so that shader compilation and WASM setup happen before the first request. */
  async warmUp(): Promise<void> {
    await this.top(new Float32Array(this.manifest.dims.fullDim), 1, new Set());
  }

  /** What makes this version complete: the item files loaded and the resident variant's files (SHA-256s). */
  requiredFiles(withMetadata: boolean): string[] {
    const m = this.manifest;
    const items = [m.items.ids, ...(withMetadata && m.items.metadata ? [m.items.metadata] : [])];
    return [...items, ...variantParts(m, this.selection).map((p) => p.ref)].map((r) => r.sha256);
  }

  /** Reloads the variant for `budget` onto the backend `restart` brings up (a lost GPU device took it): from the cache when stored. */
  async reloadOn(restart: () => Promise<void>, budget: number | 'auto'): Promise<void> {
    this.forget();
    await restart();
    await this.prepare();
    const { decision, selection } = await this.budgeted(budget);
    await this.load(selection, undefined, undefined, decision);
    await this.warmUp();
  }

  dispose(): void {
    const layout = this.bound?.layout;
    this.bound = undefined;
    this.held = undefined;
    layout?.dispose();
  }

  /** Drops what died with its backend (a lost GPU device) without touching it. */
  forget(): void {
    const layout = this.bound?.layout;
    this.bound = undefined;
    this.held = undefined;
    layout?.forget();
  }

  private current(): KindLayout | undefined {
    return this.bound && this.bound.backend === tf.backend() ? this.bound.layout : undefined;
  }

  private active(): KindLayout {
    const layout = this.current();
    if (!layout) throw new PeelrecError('the kind layout was not prepared for the active backend: call prepare() after the backend changes');
    return layout;
  }

  private async decide(budget: number | 'auto'): Promise<BudgetDecision> {
    const env = await (this.envAtStart ?? readBudgetInputs(this.options.timeouts?.browserApiMs));
    this.envAtStart = undefined;
    return decideBudget(budget, env, this.options, this.version, this.backend());
  }
}
