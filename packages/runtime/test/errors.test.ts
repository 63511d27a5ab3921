import { describe, expect, it } from 'vitest';
import { budgetFromDevice, normaliseDeviceMemory, PeelrecError, referenceScores, topK } from '../src/index.js';
import { documentedErrorNames, exportedErrorClasses, buildError } from './error-contract.js';

describe('the README error list', () => {
  it('documents exactly the exported error classes (PeelrecError itself is the base)', () => {
    const exported = [...exportedErrorClasses().keys()].filter((n) => n !== 'PeelrecError').sort();
    expect(documentedErrorNames().sort()).toEqual(exported);
    expect(exported).toContain('OptionError');
    expect(exported).toContain('TimeoutError');
  });

  it('every exported error extends PeelrecError and names itself as exported (minifiers rename classes)', () => {
    for (const [name, Class] of exportedErrorClasses()) {
      expect(Class === PeelrecError || Class.prototype instanceof PeelrecError, name).toBe(true);
      // `name` is a literal set in the constructor: build one of each with arguments of the right shape.
      const e = buildError(name, Class);
      expect(e.name, name).toBe(name);
    }
  });
});

describe('public functions fail only with PeelrecErrors', () => {
  /** The error `f` throws (fails the test when it returns). */
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    throw new Error('expected a throw');
  };

  it.each<[string, () => unknown, string]>([
    ['budgetFromDevice with a negative override', () => budgetFromDevice({ override: -1 }), 'OptionError'],
    ['budgetFromDevice with a NaN override', () => budgetFromDevice({ override: Number.NaN }), 'OptionError'],
    ['topK with a negative k', () => topK([1, 2], -1), 'OptionError'],
    ['topK with a fractional k', () => topK([1, 2], 1.5), 'OptionError'],
    [
      'referenceScores with a vector of the wrong length',
      () =>
        referenceScores({
          manifest: { dims: { blockDim: 2, fullDim: 4 }, items: { count: 1 }, itemGroups: [] } as never,
          selection: { blocks: [] } as never,
          vector: [1],
          block: () => new Float32Array(0),
        }),
      'UserError',
    ],
  ])('%s', (_, f, name) => {
    const e = thrown(f);
    expect(e).toBeInstanceOf(PeelrecError);
    expect((e as Error).name).toBe(name);
  });

  it('odd environment readings are never an error', () => {
    expect(normaliseDeviceMemory('4')).toBeUndefined();
    expect(budgetFromDevice({ deviceMemory: Number.NaN, storage: { quota: -5, usage: Number.POSITIVE_INFINITY } }).decidedBy).toBe('default');
  });
});
