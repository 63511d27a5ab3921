import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntegrityError, decodeBlock, fileOf, readVerified, refName, selectBlocks, verifyArtifact } from '@peelrec/format';
import { Random } from '../src/data/random.js';
import { directorySource, prepareOutputDir } from '../src/export/fs-sink.js';
import { exportModel, type ArtifactInfo } from '../src/export/write-artifact.js';
import { readArtifact } from '../src/export/read-artifact.js';
import { directorySink } from '../src/export/fs-sink.js';
import { csrFromPairs } from '../src/data/csr.js';
import { groupItems } from '../src/groups/item-groups.js';
import type { PeelModel } from '../src/quality/peel-model.js';

function randomModel(seed: number): PeelModel {
  const rng = new Random(seed);
  const nUsers = 37;
  const nItems = 23;
  const D = 16;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < nUsers; u++) for (let k = 0; k < 3; k++) (rows.push(u), cols.push(rng.int(nItems)));
  const { csr } = csrFromPairs(nUsers, Uint32Array.from(rows), Uint32Array.from(cols));
  const itemGroups = groupItems(csr, nItems, 4);
  const C = 3;
  return {
    dim: D,
    blockDim: 4,
    nUsers,
    nItems,
    users: Float32Array.from({ length: nUsers * D }, () => rng.normal()),
    assignment: Uint16Array.from({ length: nUsers }, () => rng.int(C)),
    centroids: Array.from({ length: C }, () => Array.from({ length: D }, () => Math.fround(rng.normal()))),
    itemGroups,
    tables: Array.from({ length: C }, () => Float32Array.from({ length: nItems * D }, () => rng.normal())),
    weights: Array.from({ length: C }, () => Float32Array.from({ length: 4 * 4 }, () => rng.next())),
    scoring: ['truncated', 'mean', 'truncated'],
  };
}

const info = (m: PeelModel, createdAt: string): ArtifactInfo => ({
  modelId: 'test-model',
  itemIds: Array.from({ length: m.nItems }, (_, i) => `item-${i}`),
  itemMeta: Array.from({ length: m.nItems }, (_, i) => ({ name: `Item ${i}`, category: i % 2 ? 'Jazz' : 'Rock' })),
  userIds: Array.from({ length: m.nUsers }, (_, u) => `user-${u}`),
  dtypes: ['f32', 'f16'],
  usersPerShard: 10,
  provenance: { dataset: 'random', trainer: 'test', seed: 1, createdAt },
});

describe('export round trip', () => {
  it('writes an artifact that verifies and reads back to the same model', async () => {
    const m = randomModel(3);
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-export-'));
    const manifest = await exportModel(directorySink(dir), m, info(m, '2026-01-01T00:00:00Z'));
    const verified = await verifyArtifact(directorySource(dir));
    expect(verified.manifest.model.contentHash).toBe(manifest.model.contentHash);
    expect(manifest.users.shards.map((s) => s.count)).toEqual([10, 10, 10, 7]);
    expect(manifest.blocks).toHaveLength(3 * 4 * 4);
    // Blocks are packed: one file per (user group, dtype), each block a byte range of it.
    expect(new Set(manifest.blocks.flatMap((b) => b.files.map((f) => f.url)))).toEqual(new Set([0, 1, 2].flatMap((c) => [`blocks/u${c}.f32.bin`, `blocks/u${c}.f16.bin`])));

    const back = await readArtifact(dir);
    expect(back.decodedFrom).toBe('f32');
    // Items come back in popularity order.
    expect(back.itemIds).toEqual(Array.from(m.itemGroups.order, (i) => `item-${i}`));
    expect(back.itemMeta![0]).toEqual({ name: `Item ${m.itemGroups.order[0]}`, category: m.itemGroups.order[0]! % 2 ? 'Jazz' : 'Rock' });
    expect(back.userIds[5]).toBe('user-5');
    expect(Array.from(back.model.users)).toEqual(Array.from(m.users));
    expect(Array.from(back.model.assignment)).toEqual(Array.from(m.assignment));
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < m.nItems; p++) {
        const i = m.itemGroups.order[p]!;
        expect(Array.from(back.model.tables[c]!.subarray(p * 16, p * 16 + 16))).toEqual(Array.from(m.tables[c]!.subarray(i * 16, i * 16 + 16)));
      }
      expect(Array.from(back.model.weights[c]!)).toEqual(Array.from(m.weights[c]!));
    }
    // Each user group's scoring rule travels in the manifest, and selection follows it.
    expect(back.model.scoring).toEqual(['truncated', 'mean', 'truncated']);
    expect(selectBlocks(verified.manifest, 0, 1e9).scoring).toBe('truncated');
    expect(selectBlocks(verified.manifest, 1, 1e9).scoring).toBe('mean');
    // The f16 payload holds the same block, rounded.
    const e = manifest.blocks.find((b) => b.userGroup === 1 && b.itemGroup === 2 && b.block === 3)!;
    const f32 = decodeBlock(await readVerified(directorySource(dir), fileOf(e, 'f32')!), 'f32');
    const f16 = decodeBlock(await readVerified(directorySource(dir), fileOf(e, 'f16')!), 'f16');
    for (let k = 0; k < f32.length; k++) expect(f16[k]).toBeCloseTo(f32[k]!, 2);
  });

  it('a corrupted block file fails verification with IntegrityError naming it', async () => {
    const m = randomModel(4);
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-export-'));
    const manifest = await exportModel(directorySink(dir), m, info(m, 'now'));
    const ref = manifest.blocks[7]!.files[0]!;
    const bytes = new Uint8Array(await readFile(join(dir, ref.url)));
    bytes[ref.offset!] = bytes[ref.offset!]! ^ 0xff;
    await writeFile(join(dir, ref.url), bytes);
    const err = await verifyArtifact(directorySource(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).url).toBe(refName(ref));
    await expect(readArtifact(dir)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('same model, different createdAt: same content hash, manifests differ only in provenance.createdAt', async () => {
    const m = randomModel(5);
    const a = await mkdtemp(join(tmpdir(), 'peelrec-export-'));
    const b = await mkdtemp(join(tmpdir(), 'peelrec-export-'));
    const ma = await exportModel(directorySink(a), m, info(m, '2026-01-01T00:00:00Z'));
    const mb = await exportModel(directorySink(b), randomModel(5), info(m, '2026-02-02T00:00:00Z'));
    expect(ma.model.contentHash).toBe(mb.model.contentHash);
    expect({ ...ma, provenance: { ...ma.provenance, createdAt: '' } }).toEqual({ ...mb, provenance: { ...mb.provenance, createdAt: '' } });
    const other = await exportModel(directorySink(await mkdtemp(join(tmpdir(), 'peelrec-export-'))), randomModel(6), info(m, 'x'));
    expect(other.model.contentHash).not.toBe(ma.model.contentHash);
  });

  it('prepareOutputDir replaces an old artifact but refuses a folder that is not one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-export-'));
    const m = randomModel(7);
    await exportModel(directorySink(dir), m, info(m, 'x'));
    await prepareOutputDir(dir);
    expect(await readdir(dir)).toEqual([]);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expect(prepareOutputDir(dir)).rejects.toThrow(/refusing to overwrite/);
  });
});
