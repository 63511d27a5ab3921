/**
 * A request's user, as a vector and a user group to score with: a known user's stored row (known-users.ts), an
 * app's own vector (checked against the model), or a history folded into the item space (fold-in.ts), whose group
 * the resident selection is switched to first.
 */
import { foldIn, nearestCentroid } from './fold-in.js';
import { UserError } from './errors.js';
import { isBlind } from './group-blind.js';
import type { KnownUsers } from './known-users.js';
import type { LoadedItems } from './loaded-items.js';
import type { SelectionLoader } from './selection-loader.js';
import type { RecommenderOptions, UserInput } from './types.js';

export interface ResolvedUser {
  readonly vector: Float32Array;
  readonly group: number;
  /** A history user's items (artifact positions). */
  readonly history?: readonly number[];
}

export class UserResolver {
  constructor(
    private readonly options: RecommenderOptions,
    private readonly loader: SelectionLoader,
    private readonly known: KnownUsers,
    private readonly items: LoadedItems,
    /** Makes a group's own blocks, or the group-blind plan scored as it, resident. */
    private readonly switchGroup: (group: number, blindPlan: boolean) => Promise<void>,
  ) {}

  /** @throws UserError for a user the model cannot score */
  async resolve(user: UserInput, signal: AbortSignal | undefined): Promise<ResolvedUser> {
    const m = this.loader.manifest;
    const { fullDim, blockDim } = m.dims;
    if (user && 'id' in user) return this.known.resolve(String(user.id), signal);
    if (user && 'vector' in user) {
      if (user.vector.length !== fullDim) throw new UserError(`user vector has ${user.vector.length} dims, expected ${fullDim}`);
      // The constructor copies a typed array in one go; Float32Array.from and every() walk it through iterators and callbacks (µs per request).
      const vector = new Float32Array(user.vector as ArrayLike<number>);
      for (let i = 0; i < vector.length; i++) if (!Number.isFinite(vector[i])) throw new UserError('user vector has non-finite values');
      if (!Number.isInteger(user.group) || user.group < 0 || user.group >= m.userGroups.count) {
        throw new UserError(`user group ${user.group} out of range [0, ${m.userGroups.count})`);
      }
      return { vector, group: user.group };
    }
    if (user && 'history' in user) {
      const history = [...new Set(this.items.positionsOf(user.history))];
      if (!history.length) throw new UserError('none of the history items is in the catalog');
      // Group-blind (the default): the plan is in place before the history is looked at, so the group it folds into
      // only reweights resident blocks and is never requested.
      const blindPlan = this.options.groupBlind !== false;
      if (blindPlan && !isBlind(this.loader.selection)) await this.switchGroup(this.loader.selection.userGroup, true);
      let folded = await this.fold(history);
      const group = nearestCentroid(folded.vector, folded.known, blockDim, m.userGroups.centroids);
      if (group !== this.loader.selection.userGroup) {
        // The group's refined item table (or, group-blind, its weights) gives the vector we score with.
        await this.switchGroup(group, blindPlan);
        folded = await this.fold(history);
      }
      return { vector: folded.vector, group, history };
    }
    throw new UserError('user must be { id }, { vector, group } or { history }');
  }

  private async fold(history: readonly number[]) {
    const { blockDim, blocksPerItem } = this.loader.manifest.dims;
    const items = await this.loader.scorer.itemVectors(history);
    return foldIn(items.vectors, items.known, blockDim, blocksPerItem);
  }
}
