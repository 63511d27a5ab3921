import { describe, expect, it } from 'vitest';
import { loadLightGCN } from '../src/data/lightgcn.js';
import { trainBackbone } from '../src/backbone/index.js';
import { evaluateRanking, holdoutSplit } from '../src/eval/index.js';

import { locateGowalla } from './data-locator.js';

// The reference data lives next to the repository (../shared/data/gowalla), never inside it.
const { dir, reason } = locateGowalla();
if (!dir) console.warn(`[backbone.gowalla.test] skipped: ${reason}`);

describe.skipIf(!dir)('backbone on real Gowalla data (smoke)', () => {
  it('two short epochs at d=16 already rank validation items far above chance', async () => {
    const { dataset } = await loadLightGCN(dir!);
    const { fit, valid } = holdoutSplit(dataset.train, 0.1, 7);
    const e = await trainBackbone(fit, dataset.nUsers, dataset.nItems, { dim: 16, blockDim: 8, seed: 1, softmaxEpochs: 2, negatives: 64, lr: 5e-3 });
    const subset = Uint32Array.from({ length: 2000 }, (_, x) => x * 13);
    const m = await evaluateRanking({ users: e.users, items: e.items, dim: 16, train: fit, test: valid, userSubset: subset });
    expect(m.users).toBeGreaterThan(1500);
    // chance is ~20/41k per held-out item (recall ~0.0005); two epochs reach a few percent
    expect(m.recall20).toBeGreaterThan(0.01);
    expect(m.ndcg20).toBeGreaterThan(0.005);
  }, 120_000);
});
