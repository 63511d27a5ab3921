/**
 * The fused prototype in a dedicated Worker: measures what moving scoring off
 * the main thread costs per call (a postMessage round trip, structured clone
 * of the request and the top-k), next to the same kernel on the main thread.
 */
import type { GroupMatrix } from './onnx-graph.js';
import { FusedScorer } from './wasm-kernels.js';

type Request = { kind: 'init'; groups: GroupMatrix[] } | { kind: 'score'; id: number; user: Float32Array; k: number; exclude: number[] };

let scorer: FusedScorer | undefined;

self.onmessage = async (ev: MessageEvent<Request>) => {
  const msg = ev.data;
  if (msg.kind === 'init') {
    scorer = await FusedScorer.of(msg.groups);
    (self as unknown as Worker).postMessage({ kind: 'ready' });
    return;
  }
  const top = scorer!.score(msg.user, msg.k, new Set(msg.exclude));
  (self as unknown as Worker).postMessage({ kind: 'top', id: msg.id, positions: top.positions, scores: top.scores }, [top.positions.buffer, top.scores.buffer]);
};
