/**
 * CIESS's agent (arXiv 2304.03501, §3.3): TD3 (Fujimoto et al. 2018) over one entity's state
 * s_n = (f_n, d_n / d_max, q_n), whose action is the next size d_n ∈ [1, d_max]. Twin critics, target networks,
 * delayed policy updates and target policy smoothing; built with tfjs autograd and Adam (cpu backend, as BET's
 * predictor). One agent per side: CIESS keeps separate actor-critic pairs for users and items.
 *
 * The replay buffer stores (s, a, s', done) and no reward: the reward r = q' − λ (d' / d_max)² is read off s'
 * (its quality and size) with the λ of the update, so that λ may move between iterations (search.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../data/random.js';
import { HarnessError } from '../../harness/errors.js';
import { readyBackend } from '../bet/predictor.js';

/** (normalised frequency, size / d_max, quality). */
export const STATE_WIDTH = 3;

export interface Td3Options {
  dim: number;
  hidden: number;
  lr: number;
  gamma: number;
  /** Soft update rate of the target networks. */
  tau: number;
  /** Critic updates per actor (and target) update. */
  policyDelay: number;
  /** Target policy smoothing: Gaussian noise (in size units) on the target action, clipped to ± targetClip. */
  targetNoise: number;
  targetClip: number;
  /** Transitions the replay buffer keeps (the oldest go first). */
  capacity: number;
  seed: number;
}

/** Transitions, row-major: states and nextStates [n][3], actions (sizes) [n], done [n] (1: the episode's last step). */
export interface Transitions {
  states: Float32Array;
  actions: Float32Array;
  nextStates: Float32Array;
  done: Float32Array;
}

/** CIESS's reward, the paper's form: r = q − λ (d / d_max)² (the authors' code uses ((d − d_min) / d_max)²). */
export function reward(q: number, d: number, dim: number, lambda: number): number {
  return q - lambda * (d / dim) ** 2;
}

/** TD3's critic target: y = r + γ (1 − done) min(Q1'(s', ã), Q2'(s', ã)), the twin minimum against over-estimation. */
export function td3Target(r: tf.Tensor1D, done: tf.Tensor1D, q1: tf.Tensor1D, q2: tf.Tensor1D, gamma: number): tf.Tensor1D {
  return tf.tidy(() => tf.add(r, tf.mul(tf.mul(tf.sub(1, done), gamma), tf.minimum(q1, q2))));
}

interface Layer {
  w: tf.Variable;
  b: tf.Variable;
}

type Net = readonly Layer[];

function layer(inputs: number, outputs: number, seed: number): Layer {
  const limit = Math.sqrt(6 / (inputs + outputs));
  return { w: tf.variable(tf.randomUniform([inputs, outputs], -limit, limit, 'float32', seed)), b: tf.variable(tf.zeros([outputs])) };
}

/** Two hidden ReLU layers, a linear output of width 1, as [n]. */
function forward(net: Net, x: tf.Tensor2D): tf.Tensor1D {
  let h: tf.Tensor2D = x;
  net.forEach((l, i) => {
    const z = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
    h = i < net.length - 1 ? tf.relu(z) : z;
  });
  return tf.reshape(h, [-1]);
}

const variablesOf = (net: Net) => net.flatMap((l) => [l.w, l.b]);

export interface Td3Agent {
  /** The actor's sizes for each state, continuous in [1, d_max]. */
  act(states: Float32Array): Float32Array;
  /** Q1(s, a) for each row (a in size units): the critic that scores the random walk's candidates. */
  score(states: Float32Array, actions: Float32Array): Float32Array;
  /** Adds transitions to the replay buffer. */
  remember(t: Transitions): void;
  /** One TD3 step on a minibatch of `batch` transitions; the actor's loss when the policy was updated. */
  update(lambda: number, batch: number, rng: Random): { criticLoss: number; actorLoss: number | null };
  /** Transitions held, and updates made. */
  readonly stored: number;
  readonly updates: number;
  dispose(): void;
}

/** Rows scored per tfjs call, so that a table of 40,981 items × 6 walk candidates stays within a few hundred MB. */
const CHUNK = 32768;

export async function createTd3(o: Td3Options): Promise<Td3Agent> {
  await readyBackend();
  if (!(o.capacity >= 1 && o.hidden >= 1 && o.policyDelay >= 1)) throw new HarnessError('ciess td3: capacity, hidden and policy delay must be ≥ 1');
  const net = (inputs: number, seed: number): Net => [layer(inputs, o.hidden, seed), layer(o.hidden, o.hidden, seed + 1), layer(o.hidden, 1, seed + 2)];
  const actor = net(STATE_WIDTH, o.seed);
  const critics = [net(STATE_WIDTH + 1, o.seed + 10), net(STATE_WIDTH + 1, o.seed + 20)] as const;
  // Targets start as copies of their networks.
  const copy = (n: Net): Net => n.map((l) => ({ w: tf.variable(l.w.clone()), b: tf.variable(l.b.clone()) }));
  const actorTarget = copy(actor);
  const criticTargets = [copy(critics[0]), copy(critics[1])] as const;
  const actorOptimizer = tf.train.adam(o.lr);
  const criticOptimizer = tf.train.adam(o.lr);
  const criticVariables = [...variablesOf(critics[0]), ...variablesOf(critics[1])];
  const dim = o.dim;

  /** Sizes in [1, d_max] from the actor's output. */
  const policy = (n: Net, s: tf.Tensor2D) => tf.add(1, tf.mul(dim - 1, tf.sigmoid(forward(n, s)))) as tf.Tensor1D;
  const q = (n: Net, s: tf.Tensor2D, sizes: tf.Tensor1D) => forward(n, tf.concat([s, tf.reshape(tf.div(sizes, dim), [-1, 1])], 1) as tf.Tensor2D);

  const cap = o.capacity;
  const buffer = { s: new Float32Array(cap * STATE_WIDTH), a: new Float32Array(cap), s2: new Float32Array(cap * STATE_WIDTH), done: new Float32Array(cap) };
  let stored = 0;
  let next = 0;
  let updates = 0;

  const chunked = (rows: number, f: (from: number, to: number) => tf.Tensor1D): Float32Array => {
    const out = new Float32Array(rows);
    for (let from = 0; from < rows; from += CHUNK) {
      const to = Math.min(rows, from + CHUNK);
      const y = tf.tidy(() => f(from, to));
      out.set(y.dataSync() as Float32Array, from);
      y.dispose();
    }
    return out;
  };
  const statesTensor = (states: Float32Array, from: number, to: number) => tf.tensor2d(states.subarray(from * STATE_WIDTH, to * STATE_WIDTH), [to - from, STATE_WIDTH]);

  return {
    act(states) {
      return chunked(states.length / STATE_WIDTH, (from, to) => policy(actor, statesTensor(states, from, to)));
    },
    score(states, actions) {
      if (states.length !== actions.length * STATE_WIDTH) throw new HarnessError(`ciess td3: ${actions.length} actions for ${states.length / STATE_WIDTH} states`);
      return chunked(actions.length, (from, to) => q(critics[0], statesTensor(states, from, to), tf.tensor1d(actions.subarray(from, to))));
    },
    remember(t) {
      const n = t.actions.length;
      if (t.states.length !== n * STATE_WIDTH || t.nextStates.length !== n * STATE_WIDTH || t.done.length !== n) throw new HarnessError('ciess td3: transitions of mismatched lengths');
      for (let i = 0; i < n; i++) {
        buffer.s.set(t.states.subarray(i * STATE_WIDTH, (i + 1) * STATE_WIDTH), next * STATE_WIDTH);
        buffer.s2.set(t.nextStates.subarray(i * STATE_WIDTH, (i + 1) * STATE_WIDTH), next * STATE_WIDTH);
        buffer.a[next] = t.actions[i]!;
        buffer.done[next] = t.done[i]!;
        next = (next + 1) % cap;
        stored = Math.min(cap, stored + 1);
      }
    },
    update(lambda, batch, rng) {
      if (stored === 0) throw new HarnessError('ciess td3: an update with an empty replay buffer');
      const n = Math.min(batch, stored);
      const s = new Float32Array(n * STATE_WIDTH);
      const s2 = new Float32Array(n * STATE_WIDTH);
      const a = new Float32Array(n);
      const done = new Float32Array(n);
      const r = new Float32Array(n);
      const noise = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const j = rng.int(stored);
        s.set(buffer.s.subarray(j * STATE_WIDTH, (j + 1) * STATE_WIDTH), i * STATE_WIDTH);
        s2.set(buffer.s2.subarray(j * STATE_WIDTH, (j + 1) * STATE_WIDTH), i * STATE_WIDTH);
        a[i] = buffer.a[j]!;
        done[i] = buffer.done[j]!;
        r[i] = reward(s2[i * STATE_WIDTH + 2]!, s2[i * STATE_WIDTH + 1]! * dim, dim, lambda);
        noise[i] = Math.max(-o.targetClip, Math.min(o.targetClip, o.targetNoise * rng.normal()));
      }
      const [sT, s2T, aT] = [tf.tensor2d(s, [n, STATE_WIDTH]), tf.tensor2d(s2, [n, STATE_WIDTH]), tf.tensor1d(a)];
      const y = tf.tidy(() => {
        // Target policy smoothing: the target actor's size plus clipped noise, kept within [1, d_max].
        const smoothed = tf.clipByValue(tf.add(policy(actorTarget, s2T), tf.tensor1d(noise)), 1, dim) as tf.Tensor1D;
        return td3Target(tf.tensor1d(r), tf.tensor1d(done), q(criticTargets[0], s2T, smoothed), q(criticTargets[1], s2T, smoothed), o.gamma);
      });
      const criticLoss = criticOptimizer.minimize(
        () => tf.add(tf.losses.meanSquaredError(y, q(critics[0], sT, aT)), tf.losses.meanSquaredError(y, q(critics[1], sT, aT))) as tf.Scalar,
        true,
        criticVariables,
      )!;
      const out: { criticLoss: number; actorLoss: number | null } = { criticLoss: criticLoss.dataSync()[0]!, actorLoss: null };
      criticLoss.dispose();
      y.dispose();
      updates++;
      if (updates % o.policyDelay === 0) {
        // Delayed policy update: ascend Q1(s, π(s)), then move every target network by τ.
        const actorLoss = actorOptimizer.minimize(() => tf.neg(tf.mean(q(critics[0], sT, policy(actor, sT)))) as tf.Scalar, true, variablesOf(actor))!;
        out.actorLoss = actorLoss.dataSync()[0]!;
        actorLoss.dispose();
        tf.tidy(() => {
          const pairs: [Net, Net][] = [
            [actor, actorTarget],
            [critics[0], criticTargets[0]],
            [critics[1], criticTargets[1]],
          ];
          for (const [from, to] of pairs)
            from.forEach((l, i) => {
              to[i]!.w.assign(tf.add(tf.mul(o.tau, l.w), tf.mul(1 - o.tau, to[i]!.w)));
              to[i]!.b.assign(tf.add(tf.mul(o.tau, l.b), tf.mul(1 - o.tau, to[i]!.b)));
            });
        });
      }
      sT.dispose();
      s2T.dispose();
      aT.dispose();
      return out;
    },
    get stored() {
      return stored;
    },
    get updates() {
      return updates;
    },
    dispose() {
      for (const n of [actor, actorTarget, ...critics, ...criticTargets]) for (const v of variablesOf(n)) v.dispose();
      actorOptimizer.dispose();
      criticOptimizer.dispose();
    },
  };
}
