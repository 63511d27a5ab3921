/** Main-thread side of scorer-worker.ts. */
import type { GroupMatrix } from './onnx-graph.js';
import type { TopK } from './ts-loop.js';

export class WorkerScorer {
  private next = 0;
  private readonly pending = new Map<number, (t: TopK) => void>();

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (ev: MessageEvent<{ kind: string; id: number; positions: Int32Array; scores: Float32Array }>) => {
      if (ev.data.kind !== 'top') return;
      this.pending.get(ev.data.id)?.({ positions: ev.data.positions, scores: ev.data.scores });
      this.pending.delete(ev.data.id);
    };
  }

  static async of(groups: readonly GroupMatrix[]): Promise<WorkerScorer> {
    const worker = new Worker(new URL('./scorer-worker.ts', import.meta.url), { type: 'module' });
    await new Promise<void>((ok, fail) => {
      worker.onmessage = (ev) => (ev.data?.kind === 'ready' ? ok() : undefined);
      worker.onerror = (e) => fail(new Error(`scorer worker failed: ${e.message}`));
      worker.postMessage({ kind: 'init', groups });
    });
    return new WorkerScorer(worker);
  }

  score(user: Float32Array, k: number, exclude: readonly number[]): Promise<TopK> {
    const id = this.next++;
    return new Promise((ok) => {
      this.pending.set(id, ok);
      this.worker.postMessage({ kind: 'score', id, user, k, exclude });
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}
