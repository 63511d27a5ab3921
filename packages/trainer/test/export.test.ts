import { mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntegrityError, decodeBlock, encodeBlock, fileOf, readVerified, refName, selectBlocks, verifyArtifact } from '@peelrec/format';
import { Random } from '../src/data/random.js';
import { directorySource } from '../src/export/fs-sink.js';
import { OUTPUT_MARKER, OutputDirError, exportArtifact, prepareOutputDir } from '../src/index.js';
import { exportModel, type ArtifactInfo } from '../src/export/write-artifact.js';
import { readArtifact } from '../src/export/read-artifact.js';
import { directorySink } from '../src/export/fs-sink.js';
import { csrFromPairs } from '../src/data/csr.js';
import { groupItems } from '../src/groups/item-groups.js';
import { asStored, selectionManifest, type PeelModel } from '../src/quality/peel-model.js';
import { tempDir } from './temp-dir.js';

function randomModel(seed: number): PeelModel {
  const rng = new Random(seed);
  const nUsers = 37;
  const nItems = 23;
  const D = 16;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < nUsers; u++) for (let k = 0; k < 3; k++) rows.push(u), cols.push(rng.int(nItems));
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
    const dir = await tempDir('peelrec-export-');
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

  it('i8: the table evaluation models (asStored) is bit-identical to the exported blocks, decoded', async () => {
    const m = randomModel(11);
    // spread the item groups' magnitudes apart, so a scale shared beyond one block would differ
    m.tables = m.tables.map((t) => t.map((v, k) => v * (1 + m.itemGroups.position[Math.floor(k / m.dim)]!)));
    const dir = await tempDir('peelrec-export-');
    const manifest = await exportModel(directorySink(dir), m, { ...info(m, 'x'), dtypes: ['f32', 'i8'] });
    await verifyArtifact(directorySource(dir));
    const D = m.dim;
    const bd = m.blockDim;
    let compared = 0;
    for (let c = 0; c < m.tables.length; c++) {
      const stored = asStored(m.tables[c]!, 'i8', m);
      const wholeTable = decodeBlock(encodeBlock(m.tables[c]!, 'i8'), 'i8');
      expect(Array.from(stored)).not.toEqual(Array.from(wholeTable));
      for (const e of manifest.blocks.filter((b) => b.userGroup === c)) {
        const { start, count } = m.itemGroups.groups[e.itemGroup]!;
        const decoded = decodeBlock(await readVerified(directorySource(dir), fileOf(e, 'i8')!), 'i8');
        for (let r = 0; r < bd; r++) {
          for (let i = 0; i < count; i++) {
            expect(Object.is(stored[m.itemGroups.order[start + i]! * D + e.block * bd + r], decoded[r * count + i])).toBe(true);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(m.tables.length * m.nItems * D);
    // selection on the evaluation's manifest sees the exported byte lengths (the scale included), so it selects the same blocks
    const selectable = selectionManifest(m, ['f32', 'i8']);
    expect(selectable.blocks.map((b) => b.files.map((f) => f.byteLength))).toEqual(manifest.blocks.map((b) => b.files.map((f) => f.byteLength)));
    for (const budget of [200, 700, 1500])
      expect(selectBlocks(selectable, 1, budget).blocks.map((b) => [b.itemGroup, b.block, b.file.dtype])).toEqual(
        selectBlocks(manifest, 1, budget).blocks.map((b) => [b.itemGroup, b.block, b.file.dtype]),
      );

    // An i8-only artifact reads back from its i8 blocks: the modelled table, in artifact order.
    const only = await tempDir('peelrec-export-');
    await exportModel(directorySink(only), m, { ...info(m, 'x'), dtypes: ['i8'] });
    const back = await readArtifact(only);
    expect(back.decodedFrom).toBe('i8');
    for (let c = 0; c < m.tables.length; c++) {
      const stored = asStored(m.tables[c]!, 'i8', m);
      const inArtifactOrder = Float32Array.from({ length: m.nItems * D }, (_, k) => stored[m.itemGroups.order[Math.floor(k / D)]! * D + (k % D)]!);
      expect(Array.from(back.model.tables[c]!)).toEqual(Array.from(inArtifactOrder));
    }
  });

  it('a corrupted block file fails verification with IntegrityError naming it', async () => {
    const m = randomModel(4);
    const dir = await tempDir('peelrec-export-');
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
    const a = await tempDir('peelrec-export-');
    const b = await tempDir('peelrec-export-');
    const ma = await exportModel(directorySink(a), m, info(m, '2026-01-01T00:00:00Z'));
    const mb = await exportModel(directorySink(b), randomModel(5), info(m, '2026-02-02T00:00:00Z'));
    expect(ma.model.contentHash).toBe(mb.model.contentHash);
    expect({ ...ma, provenance: { ...ma.provenance, createdAt: '' } }).toEqual({ ...mb, provenance: { ...mb.provenance, createdAt: '' } });
    const other = await exportModel(directorySink(await tempDir('peelrec-export-')), randomModel(6), info(m, 'x'));
    expect(other.model.contentHash).not.toBe(ma.model.contentHash);
  });
});

/** Every file and folder under `dir` with its bytes ('<dir>' for folders), to show nothing changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    out[relative(dir, path)] = e.isDirectory() ? '<dir>' : (await readFile(path)).toString('base64');
  }
  return out;
}

describe('output folder ownership: the trainer deletes only files it wrote', () => {
  const webApp = async () => {
    const dir = await tempDir('peelrec-webapp-');
    await writeFile(join(dir, 'manifest.json'), '{"name": "My PWA", "icons": [{"src": "icons/192.png"}]}');
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    await mkdir(join(dir, 'icons'));
    await writeFile(join(dir, 'icons', '192.png'), new Uint8Array([137, 80, 78, 71]));
    return dir;
  };

  it("refuses a web app's folder that has its own manifest.json, naming the folder, and deletes nothing", async () => {
    const dir = await webApp();
    const before = await snapshot(dir);
    const err = await prepareOutputDir(dir).catch((e: unknown) => e);
    expect(await snapshot(dir)).toEqual(before);
    expect(err).toBeInstanceOf(OutputDirError);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toMatch(/not written by peelrec-train \(no \.peelrec-artifact marker\)/);
  });

  it('refuses an artifact written without a marker (an older trainer), telling the user what to do', async () => {
    const dir = await tempDir('peelrec-export-');
    const m = randomModel(7);
    await exportModel(directorySink(dir), m, info(m, 'x'));
    const before = await snapshot(dir);
    await expect(prepareOutputDir(dir)).rejects.toThrow(/delete it yourself or choose another --out/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('replaces its own artifact: the marker lists every file written, and only those are deleted', async () => {
    const dir = join(await tempDir('peelrec-export-'), 'out');
    const m = randomModel(7);
    const first = await exportModel(await prepareOutputDir(dir), m, info(m, 'x'));
    // The marker is an extra file the manifest does not name: the artifact still verifies.
    expect((await verifyArtifact(directorySource(dir))).manifest.model.contentHash).toBe(first.model.contentHash);
    const files = Object.entries(await snapshot(dir))
      .filter(([, v]) => v !== '<dir>')
      .map(([k]) => k);
    const recorded = (await readFile(join(dir, OUTPUT_MARKER), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    expect([...recorded, OUTPUT_MARKER].sort()).toEqual(files.sort());
    expect(recorded).toContain('manifest.json');

    await prepareOutputDir(dir);
    expect(await readdir(dir)).toEqual([OUTPUT_MARKER]);
    const second = await exportModel(await prepareOutputDir(dir), m, info(m, 'y'));
    expect((await verifyArtifact(directorySource(dir))).manifest.model.contentHash).toBe(second.model.contentHash);
  });

  it('refuses its own artifact once someone added a file to it, and deletes nothing', async () => {
    const dir = await tempDir('peelrec-export-');
    const m = randomModel(8);
    await exportModel(await prepareOutputDir(dir), m, info(m, 'x'));
    await writeFile(join(dir, 'blocks', 'notes.txt'), 'mine');
    const before = await snapshot(dir);
    await expect(prepareOutputDir(dir)).rejects.toThrow(/blocks\/notes\.txt/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a marker naming a path outside the folder deletes nothing there', async () => {
    const parent = await tempDir('peelrec-export-');
    const dir = join(parent, 'out');
    await prepareOutputDir(dir);
    await writeFile(join(parent, 'victim.txt'), 'keep me');
    await writeFile(join(dir, OUTPUT_MARKER), `${await readFile(join(dir, OUTPUT_MARKER), 'utf8')}../victim.txt\n`);
    await expect(prepareOutputDir(dir)).rejects.toThrow(/outside/);
    expect(await readFile(join(parent, 'victim.txt'), 'utf8')).toBe('keep me');
  });

  it('export (re-export) refuses a foreign folder too, deleting nothing', async () => {
    const from = await tempDir('peelrec-export-');
    const m = randomModel(9);
    await exportModel(directorySink(from), m, info(m, 'x'));
    const dir = await webApp();
    const before = await snapshot(dir);
    await expect(exportArtifact({ from, out: dir })).rejects.toBeInstanceOf(OutputDirError);
    expect(await snapshot(dir)).toEqual(before);
  });
});
