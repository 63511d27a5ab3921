import { describe, expect, it } from 'vitest';
import type { StartupResult } from '../page/startup.js';
import type { StartupRun } from '../src/startup.js';
import { startupGoals, summariseStartup } from '../src/startup-summary.js';

/** A start-up run with the given cold and warm first-recommendation times; every other figure fixed. */
function run(coldMs: number, warmMs: number): StartupRun {
  const result = (ms: number) =>
    ({
      firstRecommendationsMs: ms,
      persistedMs: ms + 10,
      recommenderReadyMs: ms - 5,
      backend: 'wasm',
      dtype: 'f16',
      selectedBlocks: 4,
      selectionFileBytes: 1000,
      userGroup: 0,
      groupBlind: true,
      timeline: { appCodeLoadedMs: 20, manifestFetchedMs: 30, firstBlockRequestMs: 40, lastBlockReceivedMs: 50 },
    }) as unknown as StartupResult;
  const served = { bytes: 1000, uncompressedBytes: 1200, requests: 6, byKind: { blocks: 900 } };
  const busy = { taskMs: coldMs / 2, scriptMs: coldMs / 4 };
  return {
    cold: result(coldMs),
    warm: result(warmMs),
    coldMemory: result(coldMs - 20),
    inThread: { cold: result(coldMs - 50), warm: result(warmMs + 30), coldBusy: busy, warmBusy: { taskMs: warmMs, scriptMs: 1 } },
    coldServed: served,
    warmServed: { ...served, byKind: {} },
    coldBusy: busy,
    warmBusy: busy,
    history: { blind: { result: result(coldMs), served }, revealing: { result: result(coldMs), served } },
  };
}

describe('summariseStartup', () => {
  const runs = [run(400, 90), run(520, 100), run(380, 140), run(410, 95), run(900, 120)];
  const s = summariseStartup('c', 4_000_000, runs, { items: ['a'], options: [] });

  it('gives cold and warm starts as the median of the runs with their min–max and every value', () => {
    expect(s.cold.firstRecommendationsMs).toBe(410);
    expect(s.cold.spread.firstRecommendationsMs).toEqual({ median: 410, min: 380, max: 900, values: [400, 520, 380, 410, 900] });
    expect(s.warm.spread.firstRecommendationsMs).toMatchObject({ median: 100, min: 90, max: 140 });
    expect(s.cold.spread.persistedMs.median).toBe(420);
  });

  it('summarises the in-thread diagnostic (worker false) as medians, warm with its spread', () => {
    expect(s.inThread).toMatchObject({ coldMs: 360, warmMs: 130, warmBusyMs: 100 });
    expect(s.inThread!.warmSpread).toMatchObject({ min: 120, max: 170 });
  });

  it('states the spread in the start-up goals', () => {
    const goals = startupGoals(s);
    expect(goals.find((g) => g.goal.startsWith('cold start'))!.figure).toBe('410 ms (median of 5 runs, 380–900)');
    expect(goals.find((g) => g.goal.startsWith('warm start'))!.figure).toBe('100 ms (median of 5 runs, 90–140)');
  });
});
