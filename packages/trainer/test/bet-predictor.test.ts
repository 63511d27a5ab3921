import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createPredictor, encodeSets, frequencyLayout } from '../src/methods/bet/predictor.js';

const dim = 16;
const n = 60;
// frequencies by rank: integer counts over the largest, so several ranks share a value
const frequencies = Float32Array.from({ length: n }, (_, p) => Math.ceil(30 / (p + 1)) / 30);

/** n sizes: the first `k` at `high`, the rest at `low`. */
const twoBands = (k: number, high: number, low: number) => Uint16Array.from({ length: n }, (_, p) => (p < k ? high : low));

describe('BET predictor: the sets S_d', () => {
  it('pools each size’s entities across runs and sides into one set, weighted by frequency', () => {
    const layout = frequencyLayout([frequencies, frequencies]);
    expect(layout.values.length).toBe(new Set(frequencies).size);
    const action = [twoBands(10, 8, 2), twoBands(50, 8, 4)];
    const sets = encodeSets([action, [twoBands(n, 3, 3), twoBands(n, 3, 3)]], layout, dim);
    // action 0: sizes 8 (10 items + 50 users), 2, 4; action 1: size 3 only
    expect(Array.from(sets.actionSets)).toEqual([3, 1]);
    expect(Array.from(sets.setAction)).toEqual([0, 0, 0, 1]);
    expect(Array.from(sets.setSize)).toEqual([8 / dim, 2 / dim, 4 / dim, 3 / dim]);
    const V = layout.values.length;
    for (let s = 0; s < 4; s++) expect(sets.shares.slice(s * V, (s + 1) * V).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // the set of size 8 holds 60 entities, one of them (rank 0 on each side: 2 of 60) at frequency 1
    expect(sets.shares[layout.valueIndex[0]!]).toBeCloseTo(2 / 60, 6);
  });
});

describe('BET predictor: DeepSets with tfjs autograd', () => {
  // Actions of every mean size: the target rises with the share of the budget the frequent ranks get.
  const actions = Array.from({ length: 24 }, (_, i) => [twoBands(5 + 2 * i, 12, 2)]);
  const targets = actions.map((_, i) => 0.5 + i / 46);

  it('returns one prediction and one 64-wide embedding per action, the same for the same seed', async () => {
    const a = await createPredictor({ frequencies: [frequencies], dim, seed: 4 });
    const b = await createPredictor({ frequencies: [frequencies], dim, seed: 4 });
    const p = a.predict(actions);
    expect(p.length).toBe(actions.length);
    expect(Array.from(p)).toEqual(Array.from(b.predict(actions)));
    const e = a.embed(actions.slice(0, 3));
    expect(e.map((x) => x.length)).toEqual([64, 64, 64]);
    expect(() => a.predict([[twoBands(n, dim + 1, 1)]])).toThrow(/outside/);
    a.dispose();
    b.dispose();
  });

  it('learns a monotone target: the loss falls and the predictions keep the targets’ order', async () => {
    const p = await createPredictor({ frequencies: [frequencies], dim, seed: 7, lr: 1e-2 });
    p.train(actions, targets, 1); // Adam makes its moment variables on the first step
    const before = tf.memory().numTensors;
    const losses = p.train(actions, targets, 300);
    expect(tf.memory().numTensors).toBe(before); // every step's tensors are freed
    expect(losses).toHaveLength(300);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 10);
    const predicted = p.predict(actions);
    let concordant = 0;
    let pairs = 0;
    for (let i = 0; i < actions.length; i++)
      for (let j = i + 1; j < actions.length; j++) {
        pairs++;
        if (predicted[j]! > predicted[i]!) concordant++;
      }
    expect(concordant / pairs).toBeGreaterThan(0.9);
    p.dispose();
  });
});
