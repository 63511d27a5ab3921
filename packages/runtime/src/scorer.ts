/**
 * The resident table and the scoring entry points of a recommender. How blocks are held and scored is a
 * table layout (table-layout.ts): `prepare` picks one from the registry in layouts.ts once per backend, and
 * every request goes to it without asking which. The scorer keeps what does not depend on the layout: which
 * selection is resident, which of its blocks can serve the next one, and whether a selection counted its
 * bytes as the layout holds them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blockByteLength, type Dtype, PeelrecError, type Selection } from '@peelrec/format';
import type { BackendName } from './types.js';
import type { ScoredPosition } from './reference.js';
import { expectedResidentDtype, openLayout } from './layouts.js';
import type { FreshBlock, ItemVectors, ScorerModel, TableLayout } from './table-layout.js';

export class Scorer {
  /** The layout and the backend it was opened on. */
  private bound: { backend: tf.KernelBackend; layout: TableLayout } | undefined;
  private selection: Selection | undefined;

  constructor(private readonly manifest: ScorerModel) {}

  get residentBytes(): number {
    return this.bound?.layout.residentBytes ?? 0;
  }

  /**
   * How selection must count resident bytes: undefined when blocks stay in their file dtype (the packed
   * layout of the wasm kernel), 'f32' when f16 files are widened to float32 tensors. Once `prepare` bound the
   * active backend, what its layout holds; before, what the layout expected on `planned` will hold.
   */
  residentDtypeFor(planned: BackendName): Dtype | undefined {
    const layout = this.current();
    return layout ? layout.residentDtype : expectedResidentDtype(this.manifest, planned);
  }

  /** Whether `selection` counted its bytes as this scorer holds blocks (after `prepare`): if not, it must be selected again. */
  holdsAsCounted(selection: Selection): boolean {
    const dtype = this.active().residentDtype;
    const { blockDim } = this.manifest.dims;
    const counted = dtype ? selection.blocks.reduce((n, b) => n + blockByteLength(blockDim, this.manifest.itemGroups[b.itemGroup]!.count, dtype), 0) : selection.fileBytes;
    return selection.bytes === counted;
  }

  /**
   * The blocks of `selection` (keys `itemGroup/block`) that are resident and that `apply(selection)` reuses,
   * so their bytes need not be fetched.
   */
  held(selection: Selection): ReadonlySet<string> {
    if (!this.reusableFor(selection)) return new Set();
    const resident = this.selection!.byItemGroup;
    return new Set(selection.blocks.filter((b) => resident[b.itemGroup]?.includes(b.block)).map((b) => `${b.itemGroup}/${b.block}`));
  }

  /**
   * Whether resident blocks can serve `selection`: the same dtype, and every block held here byte-identical to
   * the one selected (the same file SHA-256: writers share one pack between user groups with the same table and
   * weights). Compared even within one user group: its group-blind plan holds another group's files.
   */
  private reusableFor(selection: Selection): boolean {
    const held = this.selection;
    if (!held || selection.dtype !== held.dtype) return false;
    const sha = new Map(held.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.file.sha256]));
    return selection.blocks.every((b) => (sha.get(`${b.itemGroup}/${b.block}`) ?? b.file.sha256) === b.file.sha256);
  }

  /**
   * Makes `selection` resident. `fresh(itemGroup, block)` gives the verified file bytes (in `selection.dtype`)
   * of each block that `held(selection)` does not list. A rebuild briefly holds the old and new matrices of
   * what changed; the old ones are freed before `apply` returns.
   */
  apply(selection: Selection, fresh: FreshBlock): void {
    this.active().apply(selection, fresh, this.reusableFor(selection));
    this.selection = selection;
  }

  /**
   * Opens the layout of the active backend (call after the backend changes, before selecting and `apply`).
   * What was resident on another backend is freed (after a lost device, `forget` first).
   */
  async prepare(): Promise<void> {
    const backend = tf.backend();
    if (this.bound?.backend === backend) return;
    this.dispose();
    this.bound = { backend, layout: await openLayout(this.manifest) };
  }

  /** The top `k` items (score descending, ties by position) for a user vector of length fullDim, skipping `exclude` positions. */
  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    // Every kernel sizes its heap by k: never more than the catalog, whatever the caller asked.
    return this.active().top(vector, Math.min(k, this.manifest.items.count), exclude);
  }

  /** Unweighted item vectors (fullDim) for `positions`, with a mask of which blocks are resident for each (zero-weight blocks count as absent). */
  async itemVectors(positions: readonly number[]): Promise<ItemVectors> {
    return this.active().itemVectors(positions);
  }

  /** Runs one scoring pass so shader compilation and WASM setup happen before the first real request. */
  async warmUp(): Promise<void> {
    await this.top(new Float32Array(this.manifest.dims.fullDim), 1, new Set());
  }

  dispose(): void {
    const layout = this.bound?.layout;
    this.bound = undefined;
    this.selection = undefined;
    layout?.dispose();
  }

  /** Forget tensors that died with their backend (a lost GPU device) without touching them. */
  forget(): void {
    const layout = this.bound?.layout;
    this.bound = undefined;
    this.selection = undefined;
    layout?.forget();
  }

  /** The layout when it is bound to the active backend (tf.backend() is not asked before: it would start one). */
  private current(): TableLayout | undefined {
    return this.bound && this.bound.backend === tf.backend() ? this.bound.layout : undefined;
  }

  private active(): TableLayout {
    const layout = this.current();
    if (!layout) throw new PeelrecError('the scorer was not prepared for the active backend: call prepare() after the backend changes');
    return layout;
  }
}
