import { describe, expect, it } from 'vitest';
import { PeelrecError } from '../src/index.js';
import { documentedErrorNames, exportedErrorClasses } from './error-contract.js';

const ARGS: Record<string, unknown[]> = {
  BackendUnavailableError: [[]],
  UnsupportedVersionError: [3, [2]],
  IntegrityError: ['a.bin', 'ab', 'cd'],
  BudgetTooSmallError: [1, 2, 'f32'],
  DownloadError: ['a.bin', 500, 'HTTP 500'],
  OptionError: ['k', 0, 'an integer ≥ 1'],
  TimeoutError: ['IndexedDB open', 5],
  DisposedError: [],
};

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
      const e = new (Class as unknown as new (...a: unknown[]) => Error)(...(ARGS[name] ?? ['message']));
      expect(e.name, name).toBe(name);
    }
  });
});
