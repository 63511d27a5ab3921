/**
 * The training set's users, as an artifact stores them: `users.ids` (fetched once, on first use) and the user
 * shards, of which only the one holding a user is fetched and the last few stay in memory. Bytes come through the
 * recommender's verified, cached file path.
 */
import { decodeUserShard, type FileRef, type ManifestFile } from '@peelrec/format';
import { parseJsonArray, userIdList } from './catalog.js';
import { UserError } from './errors.js';

/** Shards kept decoded: a user and the one before, so alternating between two users fetches nothing. */
const SHARDS_KEPT = 2;

interface Shard {
  readonly vectors: Float32Array;
  readonly groups: Uint16Array;
}

/** What known users read of a manifest of any kind: its users, the vector length, and its user groups (a table kind has one, 0). */
export interface UsersManifest {
  readonly users: ManifestFile['users'];
  readonly dims: { readonly fullDim: number };
  readonly userGroups?: { readonly count: number };
}

/** Fetches one file (verified, from the cache or the network) and hands its bytes to `use`. */
export type FetchFile = (ref: FileRef, use: (bytes: Uint8Array) => void, signal: AbortSignal | undefined) => Promise<void>;

export class KnownUsers {
  private ids: readonly string[] | undefined;
  private index: Map<string, number> | undefined;
  private readonly shards = new Map<number, Shard>();

  constructor(
    private readonly manifest: () => UsersManifest,
    private readonly fetchFile: FetchFile,
  ) {}

  /** The users' ids in artifact order (catalog.ts). */
  async list(signal: AbortSignal | undefined): Promise<readonly string[]> {
    const m = this.manifest();
    const ref = m.users.ids;
    if (!this.ids) {
      let values: unknown[] = [];
      if (ref) await this.fetchFile(ref, (b) => (values = parseJsonArray(b, ref.url)), signal);
      this.ids = userIdList(m.users.count, ref && { url: ref.url, values });
    }
    return this.ids;
  }

  /** The stored vector and user group of user `id`. @throws UserError for an id the artifact does not know */
  async resolve(id: string, signal: AbortSignal | undefined): Promise<{ vector: Float32Array; group: number }> {
    const m = this.manifest();
    const { fullDim } = m.dims;
    const index = await this.indexOf(id, signal);
    const s = m.users.shards.findIndex((sh) => index >= sh.start && index < sh.start + sh.count);
    if (s < 0) throw new UserError(`user index ${index} is in no user shard`);
    const shard = await this.shard(s, signal);
    const row = index - m.users.shards[s]!.start;
    const group = shard.groups[row]!;
    const groups = m.userGroups?.count ?? 1;
    if (group >= groups) throw new UserError(`user ${id} has group ${group}, but the model has ${groups} group${groups === 1 ? '' : 's'}`);
    return { vector: shard.vectors.slice(row * fullDim, (row + 1) * fullDim), group };
  }

  private async indexOf(id: string, signal: AbortSignal | undefined): Promise<number> {
    const m = this.manifest();
    if (m.users.ids) {
      this.index ??= new Map((await this.list(signal)).map((v, i) => [v, i]));
      const i = this.index.get(id);
      if (i === undefined) throw new UserError(`unknown user id ${JSON.stringify(id)}`);
      return i;
    }
    if (!/^(0|[1-9]\d*)$/.test(id) || Number(id) >= m.users.count) {
      throw new UserError(`unknown user id ${JSON.stringify(id)}: this artifact's users are "0" … "${m.users.count - 1}"`);
    }
    return Number(id);
  }

  private async shard(index: number, signal: AbortSignal | undefined): Promise<Shard> {
    const hit = this.shards.get(index);
    if (hit) {
      // Most recently used last: the first key is the one to drop.
      this.shards.delete(index);
      this.shards.set(index, hit);
      return hit;
    }
    const m = this.manifest();
    const s = m.users.shards[index]!;
    let decoded: Shard | undefined;
    await this.fetchFile(s.file, (b) => (decoded = decodeUserShard(b, m.dims.fullDim, s.count)), signal);
    this.shards.set(index, decoded!);
    while (this.shards.size > SHARDS_KEPT) this.shards.delete(this.shards.keys().next().value!);
    return decoded!;
  }
}
