/**
 * The messages between the page's recommender (worker-recommender.ts) and the scoring worker (scoring-worker.ts),
 * and errors across the boundary: structured clone keeps an Error's message but not its class or fields, so each
 * travels as its name, message and own fields and is rebuilt as the same PeelrecError subclass.
 */
import { BudgetTooSmallError, FormatDataError, IntegrityError, ManifestError, PeelrecError, UnsupportedVersionError, type AnyManifest } from '@peelrec/format';
import { AbortError, BackendUnavailableError, DisposedError, DownloadError, OptionError, StorageError, TimeoutError, UserError } from './errors.js';
import type { PackedCatalog } from './catalog.js';
import type { RecommendRequest, RecommenderEventName, RecommenderInfo, RecommenderOptions } from './types.js';

/** Messages name the recommender (`rid`): a page's recommenders share one worker, as in-thread they share one tfjs. */

/** The options that cross: functions, the signal and injected globals stay in the page (the page keeps events; abort is a message). */
export type WorkerOptions = Omit<RecommenderOptions, 'signal' | 'onProgress' | 'on' | 'fetch' | 'indexedDB' | 'worker'>;

export type PageMessage =
  /** `noWebGpu`: why the page has no WebGPU (no `navigator.gpu` there: the worker then asks for no adapter). */
  | { readonly type: 'create'; readonly rid: number; readonly options: WorkerOptions; readonly noWebGpu?: string }
  | { readonly type: 'abort'; readonly rid: number }
  | { readonly type: 'call'; readonly rid: number; readonly id: number; readonly method: 'recommend'; readonly args: readonly [RecommendRequest] }
  | { readonly type: 'call'; readonly rid: number; readonly id: number; readonly method: 'setBudget'; readonly args: readonly [number | 'auto'] }
  | { readonly type: 'call'; readonly rid: number; readonly id: number; readonly method: 'users' | 'persisted' | 'checkForUpdate' | 'dispose'; readonly args: readonly [] };

/** What the page mirrors synchronously (`info`, `manifest`); the manifest only when it changed. */
export interface Snapshot {
  readonly info: RecommenderInfo;
  readonly manifest?: AnyManifest;
}

export type WorkerMessage =
  /** The worker's script ran: from here on a failure is the load's, not the worker's start. */
  | { readonly type: 'started' }
  | { readonly type: 'event'; readonly rid: number; readonly event: RecommenderEventName; readonly detail: unknown; readonly snapshot?: Snapshot }
  /** The catalog before `ready` (and before `updated`), packed: a few objects to deserialise, not one string per id. */
  | { readonly type: 'items'; readonly rid: number; readonly catalog: PackedCatalog }
  | { readonly type: 'ready'; readonly rid: number; readonly snapshot: Snapshot }
  | { readonly type: 'failed'; readonly rid: number; readonly error: SentError }
  | { readonly type: 'result'; readonly rid: number; readonly id: number; readonly value: unknown; readonly snapshot?: Snapshot }
  | { readonly type: 'error'; readonly rid: number; readonly id: number; readonly error: SentError; readonly snapshot?: Snapshot };

export interface SentError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly fields: Record<string, unknown>;
  readonly cause?: SentError | unknown;
}

/** Every class the SDK throws, the format's included (a table kind's malformed payload is a FormatDataError). */
const CLASSES: Record<string, new (...args: never[]) => Error> = {
  PeelrecError,
  ManifestError,
  FormatDataError,
  UnsupportedVersionError,
  IntegrityError,
  BudgetTooSmallError,
  StorageError,
  BackendUnavailableError,
  AbortError,
  DownloadError,
  UserError,
  DisposedError,
  OptionError,
  TimeoutError,
};

export function sendError(e: unknown): SentError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (k !== 'name' && k !== 'message' && k !== 'stack' && k !== 'cause') fields[k] = v instanceof Error ? sendError(v) : v;
  return { name: e.name, message: e.message, stack: e.stack, fields, ...('cause' in e ? { cause: e.cause instanceof Error ? sendError(e.cause) : e.cause } : {}) };
}

/** The error as the page's code expects it: the same class (instanceof works), name, message and fields. */
export function receiveError(s: SentError): Error {
  const e = new Error(s.message, 'cause' in s ? { cause: isSent(s.cause) ? receiveError(s.cause) : s.cause } : undefined);
  Object.setPrototypeOf(e, (CLASSES[s.name] ?? Error).prototype);
  Object.defineProperty(e, 'name', { value: s.name, writable: true, configurable: true, enumerable: true });
  for (const [k, v] of Object.entries(s.fields)) Object.defineProperty(e, k, { value: isSent(v) ? receiveError(v) : v, writable: true, configurable: true, enumerable: true });
  if (s.stack) e.stack = s.stack;
  return e;
}

function isSent(v: unknown): v is SentError {
  return typeof v === 'object' && v !== null && typeof (v as SentError).name === 'string' && typeof (v as SentError).message === 'string' && typeof (v as SentError).fields === 'object';
}

/** Event details with errors in them (`updatefailed`) cross as sent errors, rebuilt on the page. */
export function sendDetail(detail: unknown): unknown {
  if (typeof detail !== 'object' || detail === null || !('error' in detail) || !((detail as { error: unknown }).error instanceof Error)) return detail;
  return { ...detail, error: sendError((detail as { error: Error }).error) };
}

export function receiveDetail(detail: unknown): unknown {
  if (typeof detail !== 'object' || detail === null || !('error' in detail) || !isSent((detail as { error: unknown }).error)) return detail;
  return { ...detail, error: receiveError((detail as { error: SentError }).error) };
}
