/**
 * The budget policy: how many bytes of embedding tensors this device keeps
 * resident. Pure (no globals) so it can be tested as a table and reused in a
 * worker, where the page may pass the inputs explicitly.
 *
 * Three limits, the smallest wins:
 *  1. memory: the app's override when given; otherwise 1/64 of
 *     `navigator.deviceMemory` (GiB). Firefox and Safari expose no
 *     deviceMemory, so an absent or invalid value counts as 1 GiB
 *     (conservative: the phones those browsers run on). Values are clamped to
 *     [0.25, 32] GiB, which covers both the old buckets {0.25 … 8} and
 *     Chrome 147+'s {1, 2, 4, 8, 16, 32}.
 *  2. storage (automatic budgets that persist to IndexedDB only): half of the
 *     headroom `quota − usage` from `navigator.storage.estimate()`, counting
 *     this model's own cached bytes as free (otherwise a reload would shrink
 *     its own budget). An app override is not cut by storage: the store
 *     evicts or falls back to memory instead.
 *  3. webgpu (when the backend is WebGPU): `maxStorageBufferBindingSize`,
 *     because one item-group matrix may hold the whole selection and must
 *     bind as a single storage buffer. Applies to overrides too.
 */

import { OptionError } from './errors.js';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
/** Assumed deviceMemory (GiB) when the browser exposes none. */
export const DEFAULT_DEVICE_MEMORY_GIB = 1;
/** Share of device memory an automatic budget may use for embeddings. */
export const DEVICE_MEMORY_SHARE = 1 / 64;
/** Share of the storage headroom an automatic, persisted budget may use. */
export const STORAGE_HEADROOM_SHARE = 1 / 2;
export const DEVICE_MEMORY_RANGE_GIB: readonly [number, number] = [0.25, 32];

export interface BudgetInputs {
  /** The app's budget in bytes (`budget: number`); replaces the memory heuristic. */
  readonly override?: number;
  /** `navigator.deviceMemory` in GiB; undefined where the browser has none. */
  readonly deviceMemory?: number;
  /** `navigator.storage.estimate()`, when available. */
  readonly storage?: { readonly quota?: number; readonly usage?: number };
  /** Bytes of this model already in the cache (part of `usage`, but ours to reuse). */
  readonly cachedBytes?: number;
  /** Whether blocks will be persisted (storage mode `indexeddb`). */
  readonly persist?: boolean;
  /** WebGPU `limits.maxStorageBufferBindingSize`, only when scoring runs on WebGPU. */
  readonly maxStorageBufferBindingSize?: number;
}

export type BudgetSource = 'override' | 'deviceMemory' | 'default' | 'storage' | 'webgpu' | 'minimum';

export interface BudgetDecision {
  /** Resident embedding bytes allowed. */
  readonly bytes: number;
  /** The input whose limit was the smallest. */
  readonly decidedBy: BudgetSource;
  /** Every limit that applied, in bytes. */
  readonly limits: {
    readonly memory: { readonly bytes: number; readonly source: 'override' | 'deviceMemory' | 'default'; readonly deviceMemoryGiB?: number };
    readonly storage?: { readonly bytes: number; readonly headroom: number };
    readonly webgpu?: { readonly bytes: number };
    /** The model's smallest selection, when an automatic budget was raised to it. */
    readonly minimum?: { readonly bytes: number };
  };
  readonly inputs: BudgetInputs;
  /** One sentence for logs and UIs. */
  readonly explanation: string;
}

const validBytes = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Normalises a raw deviceMemory reading; undefined when absent or nonsense. */
export function normaliseDeviceMemory(v: unknown): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  return Math.min(DEVICE_MEMORY_RANGE_GIB[1], Math.max(DEVICE_MEMORY_RANGE_GIB[0], v));
}

/** The budget policy (see the module comment). Pure; odd environment readings are never an error, an invalid override is an OptionError. */
export function budgetFromDevice(inputs: BudgetInputs): BudgetDecision {
  let memory: BudgetDecision['limits']['memory'];
  if (inputs.override !== undefined) {
    if (!validBytes(inputs.override)) throw new OptionError('budget', inputs.override, `'auto' or a finite number of bytes ≥ 0`);
    memory = { bytes: Math.floor(inputs.override), source: 'override' };
  } else {
    const gib = normaliseDeviceMemory(inputs.deviceMemory);
    const used = gib ?? DEFAULT_DEVICE_MEMORY_GIB;
    memory = { bytes: Math.floor(used * GIB * DEVICE_MEMORY_SHARE), source: gib === undefined ? 'default' : 'deviceMemory', deviceMemoryGiB: used };
  }

  let storage: BudgetDecision['limits']['storage'];
  const q = inputs.storage?.quota;
  if (inputs.override === undefined && inputs.persist && validBytes(q)) {
    const usage = validBytes(inputs.storage?.usage) ? inputs.storage!.usage! : 0;
    const cached = validBytes(inputs.cachedBytes) ? inputs.cachedBytes : 0;
    const headroom = Math.max(0, q - usage + Math.min(cached, usage));
    storage = { bytes: Math.floor(headroom * STORAGE_HEADROOM_SHARE), headroom };
  }

  let webgpu: BudgetDecision['limits']['webgpu'];
  const bind = inputs.maxStorageBufferBindingSize;
  if (validBytes(bind) && bind > 0) webgpu = { bytes: Math.floor(bind) };

  let bytes = memory.bytes;
  let decidedBy: BudgetSource = memory.source;
  if (storage && storage.bytes < bytes) [bytes, decidedBy] = [storage.bytes, 'storage'];
  if (webgpu && webgpu.bytes < bytes) [bytes, decidedBy] = [webgpu.bytes, 'webgpu'];

  const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
  const why: Record<BudgetSource, string> = {
    override: `the app's budget of ${mib(memory.bytes)}`,
    deviceMemory: `1/${1 / DEVICE_MEMORY_SHARE} of deviceMemory ${memory.deviceMemoryGiB} GiB`,
    default: `1/${1 / DEVICE_MEMORY_SHARE} of an assumed ${DEFAULT_DEVICE_MEMORY_GIB} GiB (navigator.deviceMemory unavailable)`,
    storage: `half the storage headroom of ${mib(storage?.headroom ?? 0)}`,
    webgpu: `WebGPU maxStorageBufferBindingSize ${mib(webgpu?.bytes ?? 0)}`,
    minimum: '', // only atLeastMinimum decides by it
  };
  return {
    bytes,
    decidedBy,
    limits: { memory, ...(storage && { storage }), ...(webgpu && { webgpu }) },
    inputs,
    explanation: `${mib(bytes)}: ${why[decidedBy]}`,
  };
}

/**
 * An automatic budget below the model's smallest selection (one block per item group) is raised to it: the
 * heuristic share of device memory is a preference, and failing to load is worse than exceeding it. An app's
 * explicit budget is never raised (that is a BudgetTooSmallError).
 */
export function atLeastMinimum(decision: BudgetDecision, minimumBytes: number): BudgetDecision {
  if (decision.inputs.override !== undefined || decision.bytes >= minimumBytes) return decision;
  return {
    ...decision,
    bytes: minimumBytes,
    decidedBy: 'minimum',
    limits: { ...decision.limits, minimum: { bytes: minimumBytes } },
    explanation: `${(minimumBytes / MIB).toFixed(1)} MiB: the model's smallest selection, above the automatic budget (${decision.explanation})`,
  };
}
