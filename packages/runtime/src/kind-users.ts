/**
 * A request's user for a table kind (`mixed`, `sparse`), as the vector to score: a known user's stored row
 * (known-users.ts), an app's own vector, or a history folded in on the device (fold-in.ts, `foldInTable`). These
 * kinds have one table for every user, so the only user group is 0 and nothing is switched or fetched by group.
 */
import { foldInTable } from './fold-in.js';
import { UserError } from './errors.js';
import type { KnownUsers } from './known-users.js';
import type { LoadedItems } from './loaded-items.js';
import type { UserInput } from './types.js';

export interface KindUser {
  readonly vector: Float32Array;
  /** A history user's items (artifact positions). */
  readonly history?: readonly number[];
}

/** What resolving needs of the load: the user vector's length, the users and items it holds, and the resident item vectors. */
export interface KindUserSource {
  readonly fullDim: number;
  readonly known: KnownUsers;
  readonly items: LoadedItems;
  readonly itemVectors: (positions: readonly number[]) => Promise<Float32Array[]>;
}

/** @throws UserError for a user the model cannot score (an unknown id, a wrong vector or group, a history with no known item) */
export async function resolveKindUser(user: UserInput, source: KindUserSource, signal: AbortSignal | undefined): Promise<KindUser> {
  const { fullDim } = source;
  if (user && 'id' in user) return { vector: (await source.known.resolve(String(user.id), signal)).vector };
  if (user && 'vector' in user) {
    if (user.vector.length !== fullDim) throw new UserError(`user vector has ${user.vector.length} dims, expected ${fullDim}`);
    const vector = new Float32Array(user.vector as ArrayLike<number>);
    for (let i = 0; i < vector.length; i++) if (!Number.isFinite(vector[i])) throw new UserError('user vector has non-finite values');
    if (user.group !== 0) throw new UserError(`user group ${user.group} out of range [0, 1): this model has one table for every user`);
    return { vector };
  }
  if (user && 'history' in user) {
    const history = [...new Set(source.items.positionsOf(user.history))];
    if (!history.length) throw new UserError('none of the history items is in the catalog');
    return { vector: foldInTable(await source.itemVectors(history), fullDim), history };
  }
  throw new UserError('user must be { id }, { vector, group } or { history }');
}
