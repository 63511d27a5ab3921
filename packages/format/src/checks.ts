/**
 * Consistency checks every manifest kind shares: how file refs may share a
 * file, and the user shards. Each returns human-readable problems prefixed
 * with their JSON path; the parsers collect them into one ManifestError.
 */
import type { z } from 'zod';
import type { FileRefSchema, UserShardSchema } from './schema.js';

type FileRef = z.infer<typeof FileRefSchema>;
type UserShard = z.infer<typeof UserShardSchema>;

/** Byte length of a user shard: vectors then u16 group ids. */
export function userShardByteLength(fullDim: number, users: number): number {
  return users * fullDim * 4 + users * 2;
}

/** The shards are contiguous, cover `count` users, and each has its byte length. */
export function shardProblems(users: { count: number; shards: readonly UserShard[] }, fullDim: number): string[] {
  const out: string[] = [];
  let u = 0;
  users.shards.forEach((s, i) => {
    if (s.start !== u) out.push(`users.shards.${i}: starts at ${s.start}, expected ${u}`);
    u = s.start + s.count;
    const want = userShardByteLength(fullDim, s.count);
    if (s.file.byteLength !== want) out.push(`users.shards.${i}: byteLength ${s.file.byteLength}, expected ${want}`);
  });
  if (u !== users.count) out.push(`users.shards: cover ${u} users, expected ${users.count}`);
  return out;
}

/**
 * A file is either whole (refs without offset, all of one length) or cut into
 * ranges that do not overlap: anything else means two refs claim the same bytes.
 */
export function rangeProblems(refs: readonly { path: string; ref: FileRef }[]): string[] {
  const out: string[] = [];
  const byUrl = new Map<string, { path: string; ref: FileRef }[]>();
  for (const r of refs) {
    const list = byUrl.get(r.ref.url);
    if (list) list.push(r);
    else byUrl.set(r.ref.url, [r]);
  }
  for (const [url, list] of byUrl) {
    if (list.length < 2) continue;
    const whole = list.filter((r) => r.ref.offset === undefined);
    if (whole.length && whole.length < list.length) {
      out.push(`${whole[0]!.path}: ${url} is referenced both whole and by byte range`);
      continue;
    }
    if (whole.length) continue; // the same whole file listed twice is harmless
    const sorted = [...list].sort((a, b) => a.ref.offset! - b.ref.offset!);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      if (sorted[i]!.ref.offset! < prev.ref.offset! + prev.ref.byteLength) out.push(`${sorted[i]!.path}: byte range overlaps ${prev.path} in ${url}`);
    }
  }
  return out;
}
