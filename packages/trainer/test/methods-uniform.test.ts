import { describe, expect, it, vi } from 'vitest';
import * as backbone from '../src/backbone/index.js';
import { resolveConfig } from '../src/config.js';
import { Random } from '../src/data/random.js';
import { createHarness, HARNESS_DEFAULTS, prefixColumns, splitForMethods } from '../src/harness/index.js';
import { uniformPrefix } from '../src/methods/uniform-prefix/index.js';
import { uniform } from '../src/methods/uniform/index.js';
import { generateSynthetic } from '../src/synthetic/generate.js';

// Every call of the backbone trainer is recorded (and run as it is), so a test can see how a method trains.
vi.mock('../src/backbone/index.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/backbone/index.js')>();
  return { ...m, trainBackbone: vi.fn(m.trainBackbone) };
});
const trainBackbone = vi.mocked(backbone.trainBackbone);

describe('uniform and uniform-prefix: one width for every item', () => {
  const d = generateSynthetic({ users: 150, items: 100, seed: 3, meanInteractions: 10 });
  const config = resolveConfig({ fullDim: 64, blockDim: 8, threads: 1, backbone: { softmaxEpochs: 1, batch: 128, negatives: 32 } }, { kind: 'synthetic' });
  const split = splitForMethods(d, { valFraction: 0.1, valUserFraction: 0.5, sampleUsers: 50, seed: 1 });
  const rng = new Random(5);
  const table = (rows: number) => Float32Array.from({ length: rows * 64 }, () => rng.normal());
  // A stand-in backbone: what `uniform` must not start from.
  const shared = { dim: 64, nUsers: d.nUsers, nItems: d.nItems, users: table(d.nUsers), items: table(d.nItems) };
  // 20 % of the f32 table is 25.6 f16 values an item, 10 % is 12.8: widths 24 and 8.
  const options = { ...HARNESS_DEFAULTS, budgets: [0.2, 0.1], fineTune: { ...HARNESS_DEFAULTS.fineTune, epochs: 1, batch: 128, negatives: 32 }, seed: 1, threads: 1 };
  const harness = () => createHarness({ dataset: d, split, config, options, backbone: shared });

  it('uniform retrains from scratch at each width: no warm start, no mask, no frozen users, the carve’s inner edges', async () => {
    trainBackbone.mockClear();
    const out = await uniform.run(harness());
    expect(out.budgets.map((b) => [b.fraction, b.details?.width, b.dtype, b.bytes])).toEqual([
      [0.2, 24, 'f16', 100 * 24 * 2],
      [0.1, 8, 'f16', 100 * 8 * 2],
    ]);
    expect(trainBackbone.mock.calls.map((c) => c[3].dim)).toEqual([24, 8]);
    for (const [train, nUsers, nItems, opts] of trainBackbone.mock.calls) {
      expect(train).toBe(split.validation.inner);
      expect([nUsers, nItems]).toEqual([d.nUsers, d.nItems]);
      expect(opts.init).toBeUndefined();
      expect(opts.itemMask).toBeUndefined();
      expect(opts.freezeUsers).toBeUndefined();
      // the backbone recipe at that width, less its nesting (the quality suite's uniform model)
      expect(opts).toMatchObject({ ...config.backbone, nested: [], blockDim: 8, seed: config.seed });
    }
  });

  it('uniform-prefix fine-tunes the backbone’s first w columns against its frozen users', async () => {
    trainBackbone.mockClear();
    const out = await uniformPrefix.run(harness());
    expect(out.budgets.map((b) => b.details?.width)).toEqual([24, 8]);
    expect(trainBackbone.mock.calls.map((c) => c[3].dim)).toEqual([24, 8]);
    for (const [, , , opts] of trainBackbone.mock.calls) {
      expect(opts.init?.items).toEqual(prefixColumns(shared.items, 64, opts.dim));
      expect(opts.init?.users).toEqual(prefixColumns(shared.users, 64, opts.dim));
      expect(opts.freezeUsers).toBe(true);
    }
  });
});
