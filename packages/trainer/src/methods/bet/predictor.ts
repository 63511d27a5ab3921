/**
 * BET's fitness predictor (arXiv 2310.14884, §3.3), a DeepSets network over an action's sets S_d (the entities of
 * size d): ρ (1→16→16) encodes each entity's normalised frequency; each set's ρ-mean, with d / d_max appended,
 * goes through μ (17→64→64); the action's embedding is the mean over its sets, and π (64→64→1) decodes it to the
 * predicted r_a. Every MLP has two layers with LeakyReLU. Trained with MSE and Adam by tfjs autograd.
 *
 * ρ sees a frequency and nothing else, so it runs once per distinct frequency (hundreds, not 40,981 items), and
 * a set's ρ-mean is those outputs weighted by the share of the set's entities at each frequency: the same mean,
 * computed as one matrix product for every action of the batch.
 */
import * as tf from '@tensorflow/tfjs';
import { HarnessError } from '../../harness/errors.js';

/** An action as the predictor sees it: per side, sizes by frequency rank (the same sides, in the same order, as `frequencies`). */
export type ActionSizes = readonly Uint16Array[];

export interface PredictorOptions {
  /** Per side, each entity's frequency by rank, normalised to [0, 1]. */
  frequencies: readonly Float32Array[];
  dim: number;
  seed: number;
  /** Adam's learning rate (default 1e-3, Adam's own). */
  lr?: number;
}

export interface FitnessPredictor {
  /** Predicted r_a of each action. */
  predict(actions: readonly ActionSizes[]): Float32Array;
  /** Each action's 64-wide embedding (the mean of its sets' μ), for strategy III's nearest neighbour. */
  embed(actions: readonly ActionSizes[]): Float32Array[];
  /** `steps` Adam steps of MSE on the whole batch; returns the loss before each step. */
  train(actions: readonly ActionSizes[], targets: ArrayLike<number>, steps: number): number[];
  dispose(): void;
}

/**
 * Entities as the predictor pools them: ρ depends on the frequency alone, so it runs once per distinct value, and a
 * set's ρ-mean is a weighted sum over those values (how many of the set's entities have each).
 */
export interface FrequencyLayout {
  sideLengths: number[];
  /** The distinct normalised frequencies, and each global position's index among them (sides concatenated). */
  values: Float32Array;
  valueIndex: Int32Array;
}

export function frequencyLayout(frequencies: readonly Float32Array[]): FrequencyLayout {
  const index = new Map<number, number>();
  const values: number[] = [];
  const valueIndex = new Int32Array(frequencies.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frequencies)
    for (const v of f) {
      if (!(v >= 0 && v <= 1)) throw new HarnessError(`bet predictor: normalised frequency ${v} outside [0, 1]`);
      let k = index.get(v);
      if (k === undefined) index.set(v, (k = values.push(v) - 1));
      valueIndex[at++] = k;
    }
  return { sideLengths: frequencies.map((f) => f.length), values: Float32Array.from(values), valueIndex };
}

/** The sets S_d of a batch of actions. */
export interface EncodedSets {
  /** [S, V], row-major: the share of each set's entities at each distinct frequency (rows sum to 1). */
  shares: Float32Array;
  /** Per set: its action and d / d_max. */
  setAction: Int32Array;
  setSize: Float32Array;
  /** Per action: its number of sets. */
  actionSets: Int32Array;
}

/** Splits every action into its sets S_d (the entities of size d, on either side). */
export function encodeSets(actions: readonly ActionSizes[], layout: FrequencyLayout, dim: number): EncodedSets {
  const { sideLengths, valueIndex } = layout;
  const nValues = layout.values.length;
  const counts: Float32Array[] = [];
  const setAction: number[] = [];
  const setSize: number[] = [];
  const actionSets: number[] = [];
  actions.forEach((a, ai) => {
    if (a.length !== sideLengths.length) throw new HarnessError(`bet predictor: an action of ${a.length} sides for ${sideLengths.length}`);
    const setOf = new Map<number, Float32Array>();
    let offset = 0;
    a.forEach((sizes, s) => {
      if (sizes.length !== sideLengths[s]) throw new HarnessError(`bet predictor: side ${s} has ${sizes.length} sizes for ${sideLengths[s]} entities`);
      for (let p = 0; p < sizes.length; p++) {
        const d = sizes[p]!;
        let row = setOf.get(d);
        if (row === undefined) {
          if (!(d >= 1 && d <= dim)) throw new HarnessError(`bet predictor: size ${d} outside [1, ${dim}]`);
          setOf.set(d, (row = new Float32Array(nValues)));
          counts.push(row);
          setAction.push(ai);
          setSize.push(d / dim);
        }
        row[valueIndex[offset + p]!]!++;
      }
      offset += sizes.length;
    });
    actionSets.push(setOf.size);
  });
  const shares = new Float32Array(counts.length * nValues);
  counts.forEach((row, set) => {
    const n = row.reduce((x, y) => x + y, 0);
    for (let v = 0; v < nValues; v++) shares[set * nValues + v] = row[v]! / n;
  });
  return { shares, setAction: Int32Array.from(setAction), setSize: Float32Array.from(setSize), actionSets: Int32Array.from(actionSets) };
}

interface Layer {
  w: tf.Variable;
  b: tf.Variable;
}

/** Glorot-uniform weights (seeded), zero biases. */
function layer(inputs: number, outputs: number, seed: number): Layer {
  const limit = Math.sqrt(6 / (inputs + outputs));
  return { w: tf.variable(tf.randomUniform([inputs, outputs], -limit, limit, 'float32', seed)), b: tf.variable(tf.zeros([outputs])) };
}

/** Two layers with LeakyReLU after the first, and after the second unless it is the decoder's output. */
function mlp(x: tf.Tensor2D, [a, b]: readonly [Layer, Layer], activateOutput: boolean): tf.Tensor2D {
  const hidden = tf.leakyRelu(tf.add(tf.matMul(x, a.w), a.b)) as tf.Tensor2D;
  const out = tf.add(tf.matMul(hidden, b.w), b.b) as tf.Tensor2D;
  return activateOutput ? (tf.leakyRelu(out) as tf.Tensor2D) : out;
}

let backendReady: Promise<void> | undefined;

/** The cpu backend, once; prod mode drops tfjs's console banner that suggests tfjs-node. */
export function readyBackend(): Promise<void> {
  backendReady ??= (async () => {
    tf.enableProdMode();
    if (!(await tf.setBackend('cpu'))) throw new HarnessError('bet predictor: the tfjs cpu backend did not start');
  })();
  return backendReady;
}

export async function createPredictor(o: PredictorOptions): Promise<FitnessPredictor> {
  await readyBackend();
  const layout = frequencyLayout(o.frequencies);
  const nValues = layout.values.length;
  const values = tf.tensor2d(layout.values, [nValues, 1]);
  const rho = [layer(1, 16, o.seed), layer(16, 16, o.seed + 1)] as const;
  const mu = [layer(17, 64, o.seed + 2), layer(64, 64, o.seed + 3)] as const;
  const pi = [layer(64, 64, o.seed + 4), layer(64, 1, o.seed + 5)] as const;
  const variables = [...rho, ...mu, ...pi].flatMap((l) => [l.w, l.b]);
  const optimizer = tf.train.adam(o.lr ?? 1e-3);

  /**
   * [B, 64] action embeddings (call inside a tidy). Both poolings are products with constant matrices, whose
   * gradients are products too: tfjs's cpu backend computes gather's and unsortedSegmentSum's by scanning every
   * segment for every row, minutes a step at Gowalla's 40,981 items.
   */
  const embedding = (sets: EncodedSets): tf.Tensor2D => {
    const nSets = sets.setAction.length;
    const nActions = sets.actionSets.length;
    const means = tf.matMul(tf.tensor2d(sets.shares, [nSets, nValues]), mlp(values, rho, true)); // [S, 16]
    const input = tf.concat([means, tf.tensor2d(sets.setSize, [nSets, 1])], 1) as tf.Tensor2D; // [S, 17]
    const perSet = mlp(input, mu, true); // [S, 64]
    const average = new Float32Array(nActions * nSets);
    sets.setAction.forEach((a, set) => {
      average[a * nSets + set] = 1 / sets.actionSets[a]!;
    });
    return tf.matMul(tf.tensor2d(average, [nActions, nSets]), perSet);
  };
  // r_a is a ratio to the full table, near 1 for any action worth keeping: π predicts its departure from 1, so the
  // few updates a search makes (N per iteration) go into ranking actions rather than into reaching 1 from 0.
  const forward = (sets: EncodedSets): tf.Tensor1D => tf.add(tf.reshape(mlp(embedding(sets), pi, false), [-1]), 1) as tf.Tensor1D;
  const encode = (actions: readonly ActionSizes[]) => encodeSets(actions, layout, o.dim);

  return {
    predict(actions) {
      if (actions.length === 0) return new Float32Array(0);
      const sets = encode(actions);
      const y = tf.tidy(() => forward(sets));
      const out = y.dataSync() as Float32Array;
      y.dispose();
      return out;
    },
    embed(actions) {
      if (actions.length === 0) return [];
      const sets = encode(actions);
      const e = tf.tidy(() => embedding(sets));
      const flat = e.dataSync() as Float32Array;
      e.dispose();
      return actions.map((_, i) => flat.slice(i * 64, (i + 1) * 64));
    },
    train(actions, targets, steps) {
      if (actions.length !== targets.length) throw new HarnessError(`bet predictor: ${actions.length} actions for ${targets.length} targets`);
      if (actions.length === 0) return [];
      const sets = encode(actions);
      const y = tf.tensor1d(Float32Array.from(targets));
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) {
        const loss = optimizer.minimize(() => tf.losses.meanSquaredError(y, forward(sets)) as tf.Scalar, true, variables);
        losses.push(loss!.dataSync()[0]!);
        loss!.dispose();
      }
      y.dispose();
      return losses;
    },
    dispose() {
      values.dispose();
      for (const v of variables) v.dispose();
      optimizer.dispose();
    },
  };
}
