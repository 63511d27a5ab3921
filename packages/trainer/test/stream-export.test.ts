import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeMixedColumns, type KindManifest, mixedRowSizes, readVerified, verifyAnyArtifact } from '@peelrec/format';
import { describe, expect, it } from 'vitest';
import { directorySource } from '../src/export/fs-sink.js';
import { StreamError } from '../src/stream/errors.js';
import { segmentDir } from '../src/stream/export.js';
import { runStream, STREAM_SETTINGS } from '../src/stream/run.js';
import { generateStream } from '../src/synthetic/stream.js';
import { tempDir } from './temp-dir.js';

// Items withdrawn after 2 steps on average: segment 2 retires some (the default live window, 1).
const log = () => generateStream({ steps: 6, interactionsPerStep: 400, initialUsers: 40, initialItems: 30, newUsersPerStep: 20, newItemsPerStep: 12, seed: 4, itemLifetime: 2 });
const settings = {
  ...STREAM_SETTINGS,
  targetSegments: 3,
  dMax: 16,
  recipe: { ...STREAM_SETTINGS.recipe, epochs: 1, batch: 128, negatives: 32 },
  referenceEpochs: 1,
  methods: ['scall'] as const,
  scall: { rlSteps: 1, sacUpdates: 2, serve: 'best' as const },
  seed: 1,
  threads: 2,
};

async function filesOnDisk(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile() && !['manifest.json', '.peelrec-artifact'].includes(e.name)) n += (await stat(join(e.parentPath, e.name))).size;
  return n;
}

describe('stream --out: one artifact version per segment', () => {
  it('writes SCALL’s served table of every segment as a verified mixed artifact, and what is new against the last', async () => {
    const out = await tempDir('peelrec-stream-out-');
    const stream = log();
    const r = await runStream({ log: stream, settings, trainer: 'test', out });
    expect(r.segments.length).toBeGreaterThanOrEqual(3);
    let previousIds: string[] = [];
    let vanished = 0;
    for (const s of r.segments) {
      const dir = segmentDir(out, s.index);
      const source = directorySource(dir);
      const { manifest, bytes } = await verifyAnyArtifact(source);
      const m = manifest as KindManifest;
      expect(m.kind).toBe('mixed');
      expect(m.items.count).toBe(s.items);
      expect(m.users.count).toBe(s.users);
      const ids = JSON.parse(new TextDecoder().decode(await readVerified(source, m.items.ids))) as string[];
      expect(new Set(ids).size).toBe(s.items);
      // The segment's catalog exactly: its retired items gone, its added and returned ones there.
      const gone = previousIds.filter((id) => !ids.includes(id));
      expect(gone).toHaveLength(s.catalog.retired);
      expect(ids.filter((id) => !previousIds.includes(id))).toHaveLength(s.catalog.added + s.catalog.returned);
      expect(s.items).toBeLessThanOrEqual(s.itemRows);
      vanished += gone.length;
      previousIds = ids;
      // One variant: SCALL's item sizes, largest first, holding the values the segment's report counts.
      const v = m.variants[0]!;
      expect(m.variants).toHaveLength(1);
      if (!('columns' in v)) throw new Error('not a mixed variant');
      const sizes = mixedRowSizes(v, s.items);
      expect(Array.from(sizes).every((d, p) => p === 0 || d <= sizes[p - 1]!)).toBe(true);
      expect(sizes.reduce((a, d) => a + d, 0)).toBe(s.methods.scall!.itemValues);
      const columns = decodeMixedColumns(v, await Promise.all(v.columns.map((c) => readVerified(source, c.file))));
      expect(columns).toHaveLength(sizes[0]!);
      expect(s.artifact).toMatchObject({ dir, files: expect.any(Number) });
      // What the manifest pins is what the folder holds, manifest and marker aside.
      expect(s.artifact!.bytes).toBe(bytes);
      expect(s.artifact!.bytes).toBe(await filesOnDisk(dir));
      expect(s.artifact!.newBytes).toBeLessThanOrEqual(s.artifact!.bytes);
      expect(s.artifact!.newTableBytes).toBeLessThanOrEqual(s.artifact!.newBytes);
    }
    expect(vanished).toBeGreaterThan(0);
    // Nothing to hold before the first segment: all of it is new.
    expect(r.segments[0]!.artifact!.newBytes).toBe(r.segments[0]!.artifact!.bytes);
  }, 300_000);

  it('refuses an out folder holding files it did not write before training, and out without SCALL', async () => {
    const out = await tempDir('peelrec-stream-out-');
    await writeFile(join(out, 'keep.txt'), 'x');
    await mkdir(segmentDir(out, 1));
    await writeFile(join(segmentDir(out, 1), 'mine.txt'), 'not the trainer’s');
    await expect(runStream({ log: log(), settings, trainer: 'test', out })).rejects.toThrow(/segment-1/);
    expect(await readFile(join(segmentDir(out, 1), 'mine.txt'), 'utf8')).toBe('not the trainer’s');
    // Refused before training: no segment was written.
    expect(existsSync(join(segmentDir(out, 0), 'manifest.json'))).toBe(false);
    await expect(runStream({ log: log(), settings: { ...settings, methods: ['uniform'] }, trainer: 'test', out: await tempDir('peelrec-stream-out-') })).rejects.toThrow(StreamError);
  }, 120_000);
});
