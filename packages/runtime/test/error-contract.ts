/**
 * The README's error list as a contract: which classes it documents, and every error the unit suite saw the SDK
 * throw (recorded by the harness), so that test/setup.ts can check each one is a documented class.
 */
import { readFileSync } from 'node:fs';
import * as sdk from '../src/index.js';

type ErrorClass = new (...args: never[]) => Error;

/** Error names in the first column of the README's "### Errors" table. */
export function documentedErrorNames(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('### Errors')[1]?.split('\n### ')[0] ?? '';
  return [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!);
}

/** Every error class the package exports, by export name. */
export function exportedErrorClasses(): Map<string, ErrorClass> {
  const out = new Map<string, ErrorClass>();
  for (const [name, value] of Object.entries(sdk)) {
    if (typeof value === 'function' && value.prototype instanceof Error) out.set(name, value as unknown as ErrorClass);
  }
  return out;
}

/** Errors that public calls of the SDK rejected with, across one test file. */
export const seen: unknown[] = [];

/** Records what `p` rejects with (and rejects the same way). */
export function recording<T>(p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    seen.push(e);
    throw e;
  });
}

/** Constructor arguments that build each exported error class (one message argument for the rest). */
const ERROR_ARGS: Record<string, unknown[]> = {
  BackendUnavailableError: [[{ backend: 'wasm', reason: 'no SIMD' }]],
  UnsupportedVersionError: [3, [2]],
  IntegrityError: ['a.bin', 'ab', 'cd'],
  BudgetTooSmallError: [1, 2, 'f32'],
  DownloadError: ['a.bin', 500, 'HTTP 500'],
  OptionError: ['k', 0, 'an integer ≥ 1'],
  TimeoutError: ['IndexedDB open', 5],
  DisposedError: [],
};

/** An instance of the exported error class `name`. */
export function buildError(name: string, Class: unknown): Error {
  return new (Class as new (...a: unknown[]) => Error)(...(ERROR_ARGS[name] ?? ['message']));
}
