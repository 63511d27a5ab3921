import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fillGenerated, readResults, RESULTS_DIR, RESULTS_DOC, renderSections, SECTIONS } from '../src/results-doc.js';

describe('bench/results.md', () => {
  it('has every generated section as the JSON in bench/results/ renders it (else: `pnpm run results` in bench/)', async () => {
    const doc = await readFile(RESULTS_DOC, 'utf8');
    const sections = renderSections(await readResults(RESULTS_DIR));
    expect(Object.keys(sections).sort()).toEqual([...SECTIONS].sort());
    expect(fillGenerated(doc, sections), 'bench/results.md is stale: run `pnpm run results` in bench/').toBe(doc);
  });
});

describe('fillGenerated', () => {
  const doc = ['# Title', '', 'Prose before.', '', '<!-- generated:memory -->', 'old table', '<!-- /generated -->', '', 'Prose after.', ''].join('\n');

  it('replaces only what is between the markers', () => {
    expect(fillGenerated(doc, { memory: '| new |' })).toBe(
      ['# Title', '', 'Prose before.', '', '<!-- generated:memory -->', '', '| new |', '', '<!-- /generated -->', '', 'Prose after.', ''].join('\n'),
    );
  });

  it('is stable: filling a filled document changes nothing', () => {
    const once = fillGenerated(doc, { memory: 'a\n\nb' });
    expect(fillGenerated(once, { memory: 'a\n\nb' })).toBe(once);
  });

  it('fails on a block whose file is missing, a section without a block, an unknown or repeated block, and a block without an end', () => {
    expect(() => fillGenerated(doc, {})).toThrow(/nothing to generate for "memory"/);
    expect(() => fillGenerated(doc, { memory: 'x', scoring: 'y' })).toThrow(/no "<!-- generated:scoring -->" block/);
    expect(() => fillGenerated(doc.replace('generated:memory', 'generated:speed'), { memory: 'x' })).toThrow(/unknown generated block "speed"/);
    expect(() => fillGenerated(`${doc}${doc}`, { memory: 'x' })).toThrow(/"memory" appears twice/);
    expect(() => fillGenerated(doc.replace('<!-- /generated -->', ''), { memory: 'x' })).toThrow(/has no "<!-- \/generated -->"/);
  });
});

describe('the goals section', () => {
  it('judges start-up against the current goals from the stored summary, not the goals stored with an older run', async () => {
    const results = await readResults(RESULTS_DIR);
    const startup = results.startup;
    expect(startup).toBeDefined();
    const stale = { ...startup!, goals: [{ goal: 'warm start ≤ 150 ms (from IndexedDB)', met: true, figure: 'stale' }] };
    const goals = renderSections({ ...results, startup: stale }).goals ?? '';
    expect(goals).not.toContain('stale');
    expect(goals).toMatch(/warm start ≤ 100 ms/);
  });
});
