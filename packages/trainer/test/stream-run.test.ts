import { describe, expect, it } from 'vitest';
import { runStream, STREAM_SETTINGS } from '../src/stream/run.js';
import { generateStream } from '../src/synthetic/stream.js';

const tiny = () => generateStream({ steps: 6, interactionsPerStep: 400, initialUsers: 40, initialItems: 30, newUsersPerStep: 20, newItemsPerStep: 12, seed: 4 });
const quick = { ...STREAM_SETTINGS, targetSegments: 3, dMax: 16, recipe: { ...STREAM_SETTINGS.recipe, epochs: 1, batch: 128, negatives: 32 }, referenceEpochs: 1, seed: 1, threads: 2 };

interface ScallDetails {
  served: string;
  policy: { reward: number };
  explored: { reward: number }[];
}

describe('runStream: a whole stream on a tiny catalog', () => {
  it.each(['best', 'policy'] as const)(
    'SCALL serving %s: the served action is the best validated one of the segment, or the policy mean',
    async (serve) => {
      const r = await runStream({ log: tiny(), settings: { ...quick, methods: ['scall'], scall: { rlSteps: 2, sacUpdates: 2, serve } }, trainer: 'test' });
      for (const s of r.segments) {
        const m = s.methods.scall!;
        const d = m.details as unknown as ScallDetails;
        const best = Math.max(d.policy.reward, ...d.explored.map((e) => e.reward));
        expect(m.reward).toBe(serve === 'best' ? best : d.policy.reward);
        expect(d.served).toBe(serve === 'policy' || m.reward === d.policy.reward ? 'policy' : `explore ${d.explored.findIndex((e) => e.reward === m.reward) + 1}`);
      }
    },
    300_000,
  );

  it('meets the fixed budget exactly at every segment for every method over the live items, and reports the means over t ≥ 1', async () => {
    const log = generateStream({ steps: 6, interactionsPerStep: 400, initialUsers: 40, initialItems: 30, newUsersPerStep: 20, newItemsPerStep: 12, seed: 4, itemLifetime: 2 });
    const r = await runStream({
      log,
      settings: {
        ...STREAM_SETTINGS,
        targetSegments: 3,
        dMax: 16,
        recipe: { ...STREAM_SETTINGS.recipe, epochs: 1, batch: 128, negatives: 32 },
        referenceEpochs: 1,
        scall: { rlSteps: 1, sacUpdates: 2, serve: 'best' },
        seed: 1,
        threads: 2,
      },
      trainer: 'test',
    });
    expect(r.segments.length).toBeGreaterThanOrEqual(3);
    const first = r.segments[0]!;
    expect(r.budget.values).toBe(Math.floor(0.5 * (first.users + first.items) * 16));
    // Items retire, and then nothing of theirs is sized, trained or ranked: the budget goes to the live ones.
    expect(r.segments.reduce((n, s) => n + s.catalog.retired, 0)).toBeGreaterThan(0);
    expect(r.settings.segment.liveWindow).toBe(1);
    r.segments.forEach((s, t) => {
      expect(s.items).toBe((t === 0 ? 0 : r.segments[t - 1]!.items) - s.catalog.retired + s.catalog.added + s.catalog.returned);
      expect(s.reference.values).toBe((s.users + s.items) * 16);
    });
    for (const s of r.segments) {
      expect(Object.keys(s.methods)).toEqual(['scall', 'fixed-power-law', 'uniform', 'frequency', 'random']);
      for (const m of Object.values(s.methods)) {
        expect(m.values).toBe(r.budget.values);
        expect(m.budgetMet).toBe(true);
        expect(m.recall20).toBeGreaterThanOrEqual(0);
      }
    }
    const later = r.segments.slice(1);
    expect(r.meanFromSegment1.uniform!.recall20).toBeCloseTo(later.reduce((a, s) => a + s.methods.uniform!.recall20, 0) / later.length, 10);
    // Paired against SCALL on the same test users: the mean difference is the difference of the means, segment by segment.
    for (const s of r.segments) {
      expect(s.methods.scall!.pairedVsScall).toBeUndefined();
      const p = s.methods.uniform!.pairedVsScall!;
      expect(p.recall20).toBeCloseTo(s.methods.uniform!.recall20 - s.methods.scall!.recall20, 5);
      expect(p.se).toBeGreaterThan(0);
    }
    expect(Object.keys(r.pairedVsScallFrom1)).toEqual(['fixed-power-law', 'uniform', 'frequency', 'random']);
    // The item delta: every row new at first, then the segment's added and returned items; retired rows dropped.
    for (const s of r.segments) {
      for (const m of Object.values(s.methods)) {
        const d = m.itemDelta;
        expect(d.fullBytes).toBe(2 * m.itemValues);
        expect(d.newBytes + d.resizedBytes + d.revaluedBytes + d.unchangedBytes).toBe(d.fullBytes);
        expect(d.newRows + d.resizedRows + d.revaluedRows + d.unchangedRows).toBe(s.items);
        expect(d.newRows).toBe(s.catalog.added + s.catalog.returned);
        expect(d.droppedRows).toBe(s.catalog.retired);
      }
    }
    expect(r.pairedVsScallFrom1.uniform!.recall20).toBeCloseTo(r.meanFromSegment1.uniform!.recall20 - r.meanFromSegment1.scall!.recall20, 5);
    const scall = r.segments.at(-1)!.methods.scall!.details as { transitions: number };
    // per segment: one exploratory transition and the served one
    expect(scall.transitions).toBe(2 * r.segments.length);
  }, 300_000);
});
