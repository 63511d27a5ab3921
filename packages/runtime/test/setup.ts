// IndexedDB globals (IDBRequest, IDBKeyRange …) that `idb` checks against; each test still opens its own IDBFactory.
import 'fake-indexeddb/auto';
import { afterAll, expect } from 'vitest';
import { documentedErrorNames, exportedErrorClasses, seen } from './error-contract.js';

// The README's error list is true: every error a public call rejected with in this file is a documented class.
afterAll(() => {
  const classes = exportedErrorClasses();
  const documented = documentedErrorNames().map((n) => classes.get(n)!);
  for (const e of seen) {
    const what = `${(e as Error)?.name}: ${(e as Error)?.message}`;
    expect(
      documented.some((c) => e instanceof c),
      `not a documented error: ${what}`,
    ).toBe(true);
  }
});
