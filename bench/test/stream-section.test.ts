import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults, renderSections } from '../src/results-doc.js';
import { type StreamFile, streamSection } from '../src/stream-section.js';

const figures = (recall20: number) => ({ recall20, ndcg20: recall20 / 2 });
const delta = { fullBytes: 200, newBytes: 20, resizedBytes: 30, unchangedBytes: 10 };
const method = (recall20: number, values = 100, served?: string) => ({ ...figures(recall20), values, budgetMet: values === 100, seconds: 1, itemDelta: delta, ...(served && { details: { served } }) });

function file(uniformValues = 100): StreamFile {
  return {
    dataset: 'synthetic-stream',
    generatedAt: '2026-12-07T08:00:00.000Z',
    trainer: '@peelrec/trainer@0.1.0',
    settings: { scall: { rlSteps: 2, sacUpdates: 32, serve: 'best' }, seed: 1 },
    budget: { values: 100, about: 'fixed' },
    segments: [0, 1].map((index) => ({
      index,
      users: 10,
      items: 5,
      seconds: 2,
      reference: figures(0.5),
      methods: { scall: method(0.3, 100, 'policy'), uniform: method(0.25, index ? uniformValues : 100) },
    })),
    meanFromSegment1: { reference: figures(0.5), scall: figures(0.3), uniform: figures(0.25) },
    pairedVsScallFrom1: { uniform: { recall20: -0.05, se: 0.0123 } },
    wallSeconds: 4,
    cpuSeconds: 5,
  };
}

describe('the stream section', () => {
  it('lists the means over t ≥ 1 and each segment, with what SCALL served', () => {
    const text = streamSection('stream-synthetic.json', file());
    expect(text).toMatch(/\| scall +\| 0\.3000 +\| 0\.1500 +\| – +\| yes +\|/);
    expect(text).toMatch(/\| uniform +\| 0\.2500 +\| 0\.1250 +\| −0\.0500 ± 0\.0123 +\| yes +\|/);
    // 190 of 200 bytes changed, 50 of them new or resized
    expect(text).toMatch(/\| 1 +\| 10 +\| 5 +\| 0\.3000 +\| 0\.2500 +\| policy +\| 95 % +\| 25 % +\| 2\.0 +\|/);
  });

  it('says no where a method missed the budget in any segment', () => {
    expect(streamSection('stream-synthetic.json', file(99))).toMatch(/\| uniform +\| 0\.2500 +\| 0\.1250 +\| [^|]+\| \*\*no\*\* +\|/);
  });

  it('leaves the paired column empty for a file written before it was kept', () => {
    const { pairedVsScallFrom1: _, ...old } = file();
    expect(streamSection('stream-synthetic.json', old)).toMatch(/\| uniform +\| 0\.2500 +\| 0\.1250 +\| – +\| yes +\|/);
  });
});

describe('the stream section of bench/results.md', () => {
  it('is the synthetic stream alone, or, beside other stream-<name>.json files, one heading each: synthetic first, then by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peelrec-stream-section-'));
    try {
      await writeFile(join(dir, 'stream-synthetic.json'), JSON.stringify(file()));
      const alone = renderSections(await readResults(dir)).stream!;
      expect(alone).toBe(streamSection('stream-synthetic.json', file()));
      await writeFile(join(dir, 'stream-zeta.json'), JSON.stringify({ ...file(), dataset: 'zeta-stream' }));
      await writeFile(join(dir, 'stream-debian-uploads.json'), JSON.stringify({ ...file(), dataset: 'debian-uploads' }));
      const md = renderSections(await readResults(dir)).stream!;
      expect([...md.matchAll(/^#### Stream: (.+)$/gm)].map((m) => m[1])).toEqual(['synthetic-stream', 'debian-uploads', 'zeta-stream']);
      expect(md).toContain('From [`results/stream-debian-uploads.json`](results/stream-debian-uploads.json)');
      expect(md.startsWith(`#### Stream: synthetic-stream\n\n${alone}`)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
