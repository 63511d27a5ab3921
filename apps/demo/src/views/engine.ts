/** The Engine facts: which backend scores, why others were passed over, storage, and the last latency. */
import type { RecommenderInfo } from '@peelrec/runtime';
import { formatBytes, formatBytesAlike, formatMs } from '../units.js';
import { renderFacts, type Fact } from './facts.js';

export interface EngineExtras {
  readonly lastLatencyMs?: number;
  /** Set when the last recommend() also loaded another user group's blocks (so its time is not scoring alone). */
  readonly lastLoadedGroup?: number;
  readonly lastEvent?: string;
  /** Whether every selected block has been written to IndexedDB (rec.persisted()). */
  readonly saved?: 'saving' | 'saved' | 'not saved';
}

function webgpuLine(info: RecommenderInfo): Fact {
  if (!('gpu' in navigator)) return ['WebGPU', `not available in this browser: scoring runs on ${info.backend.name.toUpperCase()}`, true];
  const a = info.backend.adapter;
  if (!a) return ['WebGPU', 'no adapter found', true];
  if (a.isFallbackAdapter) return ['WebGPU', `software adapter${a.vendor ? ` (${a.vendor})` : ''}: slower than WASM`, true];
  return ['WebGPU', `hardware adapter${a.vendor ? ` (${a.vendor}${a.architecture ? ` ${a.architecture}` : ''})` : ''}`];
}

export function renderEngine(el: HTMLElement, info: RecommenderInfo, extras: EngineExtras): void {
  const b = info.backend;
  const facts: Fact[] = [['Backend', b.name + (b.wasm ? ` (SIMD ${b.wasm.simd ? 'on' : 'off'}, threads ${b.wasm.threads ? 'on' : 'off'})` : '')], webgpuLine(info)];
  for (const f of b.fallbacks) facts.push([`Not ${f.backend}`, f.reason, true]);
  facts.push([
    'Last scoring',
    extras.lastLatencyMs === undefined ? '—' : formatMs(extras.lastLatencyMs) + (extras.lastLoadedGroup === undefined ? '' : ` (including loading user group ${extras.lastLoadedGroup}'s blocks)`),
  ]);
  const s = info.storage;
  facts.push(['Storage', s.mode === 'indexeddb' ? `IndexedDB, ${formatBytes(s.storedBytes)} stored` : `memory only${s.reason ? `: ${s.reason}` : ''}`, s.mode !== s.requested]);
  if (extras.saved) {
    facts.push([
      'Offline',
      extras.saved === 'saved' ? 'ready: the model is saved on this device' : extras.saved === 'saving' ? 'saving the model on this device…' : `not saved${s.reason ? `: ${s.reason}` : ''}`,
      extras.saved === 'not saved',
    ]);
  }
  const [downloaded, cached] = formatBytesAlike(info.downloadedBytes, info.cachedBytes);
  facts.push(['This load', `${downloaded} downloaded, ${cached} from cache; manifest from ${info.manifestSource}`]);
  if (extras.lastEvent) facts.push(['Last event', extras.lastEvent, true]);
  renderFacts(el, facts);
}
