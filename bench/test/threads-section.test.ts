import { describe, expect, it } from 'vitest';
import type { ThreadsRow } from '../page/threads.js';
import { threadsSection } from '../src/threads.js';

const machine = { cpu: 'Test CPU', cores: 2, memoryGiB: 24, memoryBytes: 24 * 2 ** 30, chromium: '156', node: 'v20', date: '2026-12-07T00:00:00Z', loadAverageAtStart: 0.5 };
const timing = (p50ms: number) => ({ p50ms, p95ms: p50ms, minms: p50ms, samples: 200 });

function row(cache: 'cold' | 'warm', one: number, two: number, sameTop = true): ThreadsRow {
  return {
    label: '1M items, i8, 16 dims (16 MiB)',
    dtype: 'i8',
    rows: 16,
    items: 1_048_576,
    k: 20,
    calls: 200,
    cache,
    residentBytes: 16 * 1_048_576,
    one: timing(one),
    two: timing(two),
    ratio: Number((two / one).toFixed(3)),
    boundMs: 1.6,
    scanOverBound: Number((one / 1.6).toFixed(3)),
    oneScanMs: one,
    twoScanMs: one / 2,
    twoWaitMs: 0.2,
    sameTop,
    loadMs: { one: 100, two: 60 },
    swept: 0,
  };
}

describe('the threads section', () => {
  it('folds the repetitions of each case and cache state into their median [min–max]', () => {
    const text = threadsSection({
      generatedAt: '2026-12-07T00:00:00Z',
      machine,
      rows: [row('cold', 2.4, 2.6), row('warm', 1, 0.8), row('cold', 2.6, 2.7), row('cold', 2.5, 2.9), row('warm', 1.2, 0.9)],
    });
    const lines = text.split('\n').filter((l) => l.startsWith('| 1M'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('| cold | 3 × 200 | 2.500 ms [2.400–2.600] | 2.700 ms [2.600–2.900] |');
    expect(lines[1]).toContain('| warm | 2 × 200 | 1.100 ms [1.000–1.200] | 0.850 ms [0.800–0.900] |');
    expect(lines[0]).toMatch(/\| yes \|$/);
  });

  it('says so when the two configurations disagreed on the top-k in any repetition', () => {
    const text = threadsSection({ generatedAt: '2026-12-07T00:00:00Z', machine, rows: [row('cold', 2.4, 2.6), row('cold', 2.5, 2.6, false)] });
    expect(text.split('\n').find((l) => l.startsWith('| 1M'))).toMatch(/\| \*\*no\*\* \|$/);
  });
});
