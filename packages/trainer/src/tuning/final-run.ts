/**
 * One final training of a candidate on every inner edge, checked on validation every `checkEvery` epochs, that
 * can pause at the duel's horizon: the defaults' and the challenger's runs both stop there, the verdict picks
 * one, and that one goes on from where it paused (the learning rate is constant, so its first epochs are exactly
 * those of an uninterrupted final training). Early stopping acts only after the horizon, so both reach it.
 */
import type { Embeddings } from '../backbone/index.js';
import { EarlyStopping } from './halving.js';
import type { PerUserScores } from './objective.js';
import type { Evaluation } from './report.js';

export type EndReason = 'early stopping' | 'max epochs' | 'deadline' | 'fixed epochs' | 'lost the duel';

export interface FinalRunOptions {
  finalEpochs: number;
  /** Early stopping on (the epochs were not fixed by the caller). */
  early: boolean;
  checkEvery: number;
  patience: number;
  /** Epoch to pause at after its check (the duel's horizon); null: never pause. */
  pauseAt: number | null;
  /** Trains for `epochs`, calling `onEpoch` after each (true: stop); resolves to the last state. */
  train: (epochs: number, onEpoch: (epoch: number, seconds: number, snapshot: () => Embeddings) => Promise<boolean>) => Promise<Embeddings>;
  /** A validation check (and the test figures when the report asks for them), with each user's score. */
  check: (e: Embeddings) => Promise<Evaluation & { perUser: PerUserScores }>;
  /** Expected seconds of one check. */
  checkSeconds: () => number;
  now: () => number;
}

export class FinalRun {
  readonly curve: (Evaluation & { epoch: number })[] = [];
  /** Each user's validation score at each check epoch up to the pause (what the duel compares). */
  readonly perUser = new Map<number, PerUserScores>();
  readonly stopper: EarlyStopping;
  best: Embeddings | undefined;
  last: Embeddings | undefined;
  lastEpoch = 0;
  epochSeconds = 0;
  reason: EndReason;
  /** When this run must stop (seconds, `now()`'s clock); the caller moves it between the duel and the rest. */
  deadline: () => number = () => Infinity;
  /** Resolves when the run waits at `pauseAt` (true) or has ended before it (false). */
  readonly paused: Promise<boolean>;
  private markPaused!: (waiting: boolean) => void;
  private go!: (goOn: boolean) => void;
  private readonly gate: Promise<boolean>;
  private done: Promise<void> | undefined;

  constructor(private readonly o: FinalRunOptions) {
    this.stopper = new EarlyStopping(o.patience);
    this.reason = o.early ? 'max epochs' : 'fixed epochs';
    this.paused = new Promise((r) => (this.markPaused = r));
    this.gate = new Promise((r) => (this.go = r));
  }

  private isCheck(epoch: number): boolean {
    const o = this.o;
    return epoch === o.pauseAt || (o.early && (epoch % o.checkEvery === 0 || epoch === o.finalEpochs));
  }

  private async record(epoch: number, e: Embeddings): Promise<void> {
    const { perUser, ...ev } = await this.o.check(e);
    this.curve.push({ epoch, ...ev });
    if (this.o.pauseAt !== null && epoch <= this.o.pauseAt) this.perUser.set(epoch, perUser);
    if (this.stopper.observe(epoch, ev.validation.score)) this.best = e;
  }

  /** Starts the training; `finished()` resolves when it has ended. */
  start(): void {
    const o = this.o;
    this.done = o
      .train(o.finalEpochs, async (epoch, seconds, snapshot) => {
        this.lastEpoch = epoch;
        this.epochSeconds = Math.max(this.epochSeconds, seconds);
        if (this.isCheck(epoch)) {
          await this.record(epoch, snapshot());
          if (o.early && this.stopper.stop && epoch > (o.pauseAt ?? 0)) {
            this.reason = 'early stopping';
            return true;
          }
        }
        if (epoch === o.pauseAt && epoch < o.finalEpochs) {
          this.markPaused(true);
          if (!(await this.gate)) {
            this.reason = 'lost the duel';
            return true;
          }
        }
        const nextChecks = this.isCheck(epoch + 1) ? o.checkSeconds() : 0;
        if (epoch < o.finalEpochs && o.now() + this.epochSeconds + nextChecks > this.deadline()) {
          this.reason = 'deadline';
          return true;
        }
        return false;
      })
      .then(async (last) => {
        this.last = last;
        // Stopped by the deadline between checks: the last state is checked too, so it can win.
        if (o.early && this.reason === 'deadline' && this.curve.at(-1)?.epoch !== this.lastEpoch) await this.record(this.lastEpoch, last);
      })
      .finally(() => this.markPaused(false));
    // handled here so a failure waits for `finished()` instead of ending the process as an unhandled rejection
    this.done.catch(() => undefined);
  }

  /** Lets a paused run go on (true) or stop where it is (false). */
  resume(goOn: boolean): void {
    this.go(goOn);
  }

  async finished(): Promise<void> {
    this.go(true);
    await this.done;
  }

  /** The tables the run ends with: the best check when early stopping is on, else the last state. */
  get chosen(): { tables: Embeddings; epoch: number } {
    if (this.o.early && this.best) return { tables: this.best, epoch: this.stopper.bestEpoch };
    return { tables: this.last!, epoch: this.lastEpoch };
  }
}
