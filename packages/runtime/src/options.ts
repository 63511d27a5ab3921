/**
 * The boundary: every public option and request field is checked here, against a schema, before anything is
 * fetched or changed. A wrong type or value is an {@link OptionError} naming the option, the value and what is
 * allowed, never a raw TypeError from deep inside or a value silently coerced ('disk' as a storage mode,
 * 2 ** 32 + 5 truncated to 5).
 */
// zod/mini: the same checks as zod's classic API in a fraction of its code, which every page and worker loads.
import * as z from 'zod/mini';
import { OptionError } from './errors.js';
import type { CacheOptions, RecommenderEventName, RecommenderOptions, RecommendRequest, UserInput } from './types.js';

/** What each option accepts, in words (the schema below enforces it). */
const ALLOWED = {
  manifestUrl: 'a non-empty string or a URL',
  budget: `'auto' or a finite number of bytes ≥ 0`,
  backend: `'auto', 'webgpu', 'wasm' or 'cpu'`,
  storage: `'indexeddb' or 'memory'`,
  signal: 'an AbortSignal',
  onProgress: 'a function',
  wasmPaths: `a URL prefix (string) or { 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm' } URLs`,
  userGroup: 'an integer ≥ 0',
  groupBlind: 'a boolean',
  dtype: `'auto', 'f32', 'f16' or 'i8'`,
  concurrency: 'an integer in [1, 64]',
  retries: 'an integer in [0, 20]',
  metadata: 'a boolean',
  worker: 'a boolean',
  fetch: 'a fetch function',
  indexedDB: 'an IDBFactory',
  budgetInputs: '{ deviceMemory?, storage?: { quota?, usage? }, maxStorageBufferBindingSize? } with numbers',
  freshness: `'cache-first' or 'network-first'`,
  updates: `'overlap' or 'within-budget'`,
  on: 'an object of event listeners (functions)',
  timeouts: '{ stallMs?, browserApiMs? } with integers in [1, 600000] (milliseconds)',
  user: '{ id: string }, { vector: number[] or Float32Array, group: integer ≥ 0 } or { history: string[] }',
  k: 'an integer ≥ 1',
  exclude: 'an iterable (array, Set) of item id strings',
  excludeHistory: 'a boolean',
  'user.id': 'a non-empty string',
  'user.vector': 'an array or typed array of numbers',
  'user.group': 'an integer ≥ 0',
  'user.history': 'an array of item id strings',
} as const satisfies Record<string, string>;

const isFn = (v: unknown) => typeof v === 'function';
const bytes = z.number().check(z.gte(0)); // zod rejects NaN and ±Infinity for numbers
const integer = (min: number, max = Number.MAX_VALUE) => z.number().check(z.refine((v) => Number.isInteger(v) && v >= min && v <= max));
const fn = z.custom<(...args: never[]) => unknown>(isFn);
const EVENTS: readonly RecommenderEventName[] = ['progress', 'fallback', 'integrity', 'quota', 'eviction', 'storage', 'budget', 'selection', 'persisted', 'revalidated', 'updated', 'updatefailed'];
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

const budget = z.union([z.literal('auto'), bytes]);
const opt = z.optional;
const nonEmpty = () => z.string().check(z.minLength(1));
const optionsSchema = z.strictObject({
  manifestUrl: z.custom<string | URL>((v) => (typeof v === 'string' && v.length > 0) || (typeof URL !== 'undefined' && v instanceof URL)),
  budget: opt(budget),
  backend: opt(z.enum(['auto', 'webgpu', 'wasm', 'cpu'])),
  storage: opt(z.enum(['indexeddb', 'memory'])),
  signal: opt(z.custom<AbortSignal>((v) => typeof v === 'object' && v !== null && typeof (v as AbortSignal).aborted === 'boolean' && isFn((v as AbortSignal).addEventListener))),
  onProgress: opt(fn),
  wasmPaths: opt(z.union([nonEmpty(), z.strictObject(Object.fromEntries(WASM_FILES.map((f) => [f, nonEmpty()])))])),
  userGroup: opt(integer(0)),
  user: opt(z.unknown()), // its own schema, below (which shape depends on its keys)
  groupBlind: opt(z.boolean()),
  dtype: opt(z.enum(['auto', 'f32', 'f16', 'i8'])),
  concurrency: opt(integer(1, 64)),
  retries: opt(integer(0, 20)),
  metadata: opt(z.boolean()),
  worker: opt(z.boolean()),
  fetch: opt(fn),
  indexedDB: opt(z.custom<IDBFactory>((v) => typeof v === 'object' && v !== null && isFn((v as IDBFactory).open))),
  budgetInputs: opt(
    z.strictObject({
      deviceMemory: opt(z.number()),
      storage: opt(z.strictObject({ quota: opt(bytes), usage: opt(bytes) })),
      maxStorageBufferBindingSize: opt(bytes),
    }),
  ),
  freshness: opt(z.enum(['cache-first', 'network-first'])),
  updates: opt(z.enum(['overlap', 'within-budget'])),
  on: opt(z.strictObject(Object.fromEntries(EVENTS.map((e) => [e, opt(fn)])))),
  timeouts: opt(z.strictObject({ stallMs: opt(integer(1, 600_000)), browserApiMs: opt(integer(1, 600_000)) })),
});

const idUser = z.strictObject({ id: nonEmpty() });
const vectorUser = z.strictObject({
  vector: z.custom<ArrayLike<number>>(
    (v) => (Array.isArray(v) && v.every((x) => typeof x === 'number')) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)),
  ),
  group: integer(0),
});
const historyUser = z.strictObject({ history: z.array(z.string()) });

const requestSchema = z.strictObject({
  user: z.unknown(),
  k: opt(integer(1)),
  exclude: opt(z.custom<Iterable<string>>((v) => typeof v === 'object' && v !== null && isFn((v as Iterable<string>)[Symbol.iterator]))),
  excludeHistory: opt(z.boolean()),
});

/** @throws OptionError */
export function checkOptions(options: unknown): RecommenderOptions {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object with at least manifestUrl');
  const o = parse(optionsSchema, options, '') as RecommenderOptions;
  if (o.user !== undefined) {
    if (typeof o.user === 'object' && o.user !== null && 'history' in o.user) {
      throw new OptionError('user', o.user, `{ id } or { vector, group } (a history user's group is known only after fold-in: pass it to recommend())`);
    }
    checkUser(o.user, 'user');
  }
  return o;
}

/** @throws OptionError */
export function checkRequest(request: unknown): RecommendRequest {
  if (typeof request !== 'object' || request === null) throw new OptionError('request', request, 'an object { user, k?, exclude?, excludeHistory? }');
  const r = parse(requestSchema, request, '') as RecommendRequest;
  checkUser(r.user, 'user');
  if (r.exclude === undefined) return r;
  // A string is iterable too (its characters): never what an app means by a list of ids.
  if (typeof r.exclude === 'string') throw new OptionError('exclude', r.exclude, ALLOWED.exclude);
  const exclude = [...r.exclude];
  const bad = exclude.findIndex((id) => typeof id !== 'string');
  if (bad >= 0) throw new OptionError(`exclude[${bad}]`, exclude[bad], 'an item id string');
  return { ...r, exclude };
}

/** @throws OptionError */
export function checkBudget(value: unknown): number | 'auto' {
  return parse(budget, value, 'budget') as number | 'auto';
}

const cacheOptionsSchema = z.strictObject({
  indexedDB: optionsSchema.shape.indexedDB,
  timeouts: opt(z.strictObject({ browserApiMs: opt(integer(1, 600_000)) })),
});

/** The options of listCachedModels and deleteCachedModel. @throws OptionError */
export function checkCacheOptions(options: unknown): CacheOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object { indexedDB?, timeouts?: { browserApiMs? } }');
  return parse(cacheOptionsSchema, options, '') as CacheOptions;
}

/** @throws OptionError */
export function checkManifestUrl(url: unknown): string | URL {
  return parse(optionsSchema.shape.manifestUrl, url, 'manifestUrl') as string | URL;
}

/** The shape is chosen by its key, so that a wrong field is named (`user.history`), not "no shape matched". */
function checkUser(user: unknown, at: string): UserInput {
  if (typeof user !== 'object' || user === null) throw new OptionError(at, user, ALLOWED.user);
  const schema = 'history' in user ? historyUser : 'vector' in user ? vectorUser : 'id' in user ? idUser : undefined;
  if (!schema) throw new OptionError(at, user, ALLOWED.user);
  return parse(schema, user, at) as UserInput;
}

function parse(schema: z.ZodMiniType, value: unknown, at: string): unknown {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const unknownKey = issue.code === 'unrecognized_keys';
  const path = unknownKey ? [...issue.path, issue.keys[0]!] : issue.path;
  const name = [at, ...path.map(String)].filter(Boolean).join('.');
  if (unknownKey) {
    let object = schema;
    for (const key of issue.path) object = unwrapOptional((object as z.ZodMiniObject).shape?.[key as string]) ?? object;
    const known = Object.keys((object as z.ZodMiniObject).shape ?? {}).join(', ');
    throw new OptionError(name, valueAt(value, path), `a known option: ${known}`);
  }
  // The most specific description: the field itself (user.group), else the option it belongs to (budgetInputs).
  const words = ALLOWED as Record<string, string>;
  const allowed = words[name.replace(/\.\d+$/, '')] ?? words[name.split('.')[0]!] ?? issue.message;
  throw new OptionError(name, valueAt(value, path), allowed);
}

/** The schema inside an optional one (the object an unknown key was found in). */
function unwrapOptional(schema: unknown): z.ZodMiniType | undefined {
  if (!(schema instanceof z.ZodMiniOptional)) return schema as z.ZodMiniType | undefined;
  return schema._zod.def.innerType as z.ZodMiniType;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}
