/**
 * The backend one model version scores on, from its start to a lost GPU device: fallbacks are announced once
 * `info.backend` names the backend they fell back to, and a device lost later is reported once, its backend then
 * skipped by every later start (the caller reloads the selection on the next one).
 */
import { initBackend, probeWebGpu, type ActiveBackend } from './backend.js';
import type { RecommenderEventTarget } from './events.js';
import type { BackendName, BackendPreference, RecommenderEvents, RecommenderOptions } from './types.js';

export class ScoringBackend {
  /** The backend in use, once started. */
  active: ActiveBackend | undefined;
  private readonly skip = new Map<BackendName, string>();
  private lostReason: string | undefined;

  constructor(
    private readonly options: RecommenderOptions,
    private readonly events: RecommenderEventTarget,
    /** Called when the device in use was lost: the caller queues its recovery (unless it was disposed). */
    private readonly onLost: () => void,
  ) {}

  /** Whether a lost device awaits recovery. */
  get lost(): boolean {
    return Boolean(this.lostReason);
  }

  /** Starts the preferred backend, or the next one that works. */
  async start(): Promise<void> {
    // Fallback events wait until `info.backend` names the backend they fell back to (listeners read info).
    const fallbacks: RecommenderEvents['fallback'][] = [];
    try {
      this.active = await initBackend(this.options.backend ?? 'auto', this.options, (from, to, reason) => void fallbacks.push({ from, to, reason }), this.skip);
    } finally {
      for (const f of fallbacks) this.events.emit('fallback', f);
    }
    const active = this.active;
    void active.lost.then((reason) => {
      if (this.active !== active) return;
      this.lostReason = reason;
      this.onLost();
    });
  }

  /** Takes the lost device's report, if there is one: its backend is skipped from now on. @returns whether a device was lost */
  takeLost(): boolean {
    const reason = this.lostReason;
    if (!reason) return false;
    this.lostReason = undefined;
    this.skip.set(this.active!.info.name, reason);
    return true;
  }
}

/** Whether the backend may end up WebGPU (so the budget must wait for its limits): asked for, or offered a hardware adapter in 'auto'. */
export async function mayUseWebGpu(preference: BackendPreference, ms: number | undefined): Promise<boolean> {
  if (preference === 'webgpu') return true;
  if (preference !== 'auto') return false;
  const probe = await probeWebGpu(ms);
  return probe.adapter !== undefined && !probe.adapter.isFallbackAdapter;
}
