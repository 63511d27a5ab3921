/**
 * Soft Actor-Critic (Haarnoja et al. 2018, arXiv 1801.01290), SCALL's agent: a tanh-squashed Gaussian actor, twin
 * critics with Polyak-averaged targets, a fixed entropy weight α, and a replay buffer. The networks are two-layer
 * MLPs (ReLU) built with tfjs on its cpu backend; the noise is drawn from the trainer's seeded generator, so a run
 * repeats. Actions live in (−1, 1) inside the agent and (0, 1) outside: the map is affine, so log π differs by a
 * constant only, which no gradient sees.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../data/random.js';
import { readyBackend } from '../methods/bet/predictor.js';
import { StreamError } from './errors.js';

export interface SacOptions {
  stateDim: number;
  actionDim: number;
  hidden: number;
  /** Entropy weight α (0.2), discount γ (0.99), target smoothing τ (0.005). */
  alpha: number;
  gamma: number;
  tau: number;
  lr: number;
  batch: number;
  bufferSize: number;
  seed: number;
}

export const SAC_DEFAULTS: Omit<SacOptions, 'stateDim' | 'actionDim' | 'seed'> = { hidden: 64, alpha: 0.2, gamma: 0.99, tau: 0.005, lr: 3e-4, batch: 64, bufferSize: 10_000 };

export interface Transition {
  state: Float32Array;
  /** In (0, 1), as the environment took it. */
  action: Float32Array;
  reward: number;
  next: Float32Array;
  done: boolean;
}

/**
 * The soft Bellman target: y = r + γ (1 − done) (min(Q1', Q2')(s', a') − α log π(a' | s')), a' drawn from the
 * current policy. The minimum of the twin targets counters the overestimation of one critic (TD3, SAC v2).
 */
export function sacTarget(reward: ArrayLike<number>, done: ArrayLike<number>, q1: ArrayLike<number>, q2: ArrayLike<number>, logp: ArrayLike<number>, gamma: number, alpha: number): Float32Array {
  return Float32Array.from({ length: reward.length }, (_, k) => reward[k]! + gamma * (1 - done[k]!) * (Math.min(q1[k]!, q2[k]!) - alpha * logp[k]!));
}

/** A ring buffer of transitions; sampling is uniform with replacement. */
export class ReplayBuffer {
  private readonly items: Transition[] = [];
  private at = 0;
  constructor(private readonly capacity: number) {}
  get size(): number {
    return this.items.length;
  }
  push(t: Transition): void {
    if (this.items.length < this.capacity) this.items.push(t);
    else this.items[this.at] = t;
    this.at = (this.at + 1) % this.capacity;
  }
  sample(n: number, rng: Random): Transition[] {
    if (this.items.length === 0) throw new StreamError('sac: sampling an empty replay buffer');
    return Array.from({ length: n }, () => this.items[rng.int(this.items.length)]!);
  }
}

type Layer = { w: tf.Variable; b: tf.Variable };
type Net = Layer[];

function dense(inputs: number, outputs: number, seed: number): Layer {
  const limit = Math.sqrt(6 / (inputs + outputs));
  return { w: tf.variable(tf.randomUniform([inputs, outputs], -limit, limit, 'float32', seed)), b: tf.variable(tf.zeros([outputs])) };
}

function mlp(sizes: number[], seed: number): Net {
  return sizes.slice(1).map((n, k) => dense(sizes[k]!, n, seed + k));
}

function forward(net: Net, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  net.forEach((l, k) => {
    h = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
    if (k < net.length - 1) h = tf.relu(h) as tf.Tensor2D;
  });
  return h;
}

const variables = (net: Net) => net.flatMap((l) => [l.w, l.b]);
const LOG_STD = [-5, 2] as const;
const LOG_2PI = Math.log(2 * Math.PI);

export interface SacLosses {
  critic: number;
  actor: number;
}

export interface SacAgent {
  readonly options: SacOptions;
  readonly buffer: ReplayBuffer;
  /** An action in (0, 1)^actionDim: a draw from the policy, or its mean (tanh μ) when `deterministic`. */
  act(state: Float32Array, deterministic: boolean): Float32Array;
  /** `steps` gradient steps on batches from the buffer (none while it is empty); mean losses. */
  update(steps: number): SacLosses;
  dispose(): void;
}

export async function createSac(options: Partial<SacOptions> & Pick<SacOptions, 'stateDim' | 'actionDim' | 'seed'>): Promise<SacAgent> {
  await readyBackend();
  const o: SacOptions = { ...SAC_DEFAULTS, ...options };
  const { stateDim: S, actionDim: A, hidden: H } = o;
  const actor = mlp([S, H, H, 2 * A], o.seed);
  const critics = [mlp([S + A, H, H, 1], o.seed + 10), mlp([S + A, H, H, 1], o.seed + 20)];
  const targets = [0, 1].map((k) => mlp([S + A, H, H, 1], o.seed + 30 + k));
  const targetVars = targets.map(variables);
  critics.forEach((c, k) => variables(c).forEach((v, j) => targetVars[k]![j]!.assign(v)));
  const actorOpt = tf.train.adam(o.lr);
  const criticOpt = tf.train.adam(o.lr);
  const rng = new Random(o.seed);
  const buffer = new ReplayBuffer(o.bufferSize);
  const noise = (rows: number) =>
    tf.tensor2d(
      Float32Array.from({ length: rows * A }, () => rng.normal()),
      [rows, A],
    );

  /** A reparameterised draw: the squashed action in (−1, 1) and its log-density, per row. */
  const policy = (s: tf.Tensor2D, eps: tf.Tensor2D): { a: tf.Tensor2D; logp: tf.Tensor1D } => {
    const out = forward(actor, s);
    const mu = out.slice([0, 0], [-1, A]);
    const logStd = tf.clipByValue(out.slice([0, A], [-1, A]), LOG_STD[0], LOG_STD[1]);
    const u = tf.add(mu, tf.mul(tf.exp(logStd), eps));
    const a = tf.tanh(u) as tf.Tensor2D;
    // log N(u; μ, σ) − Σ log(1 − tanh(u)²): the change of variables through tanh.
    const gauss = tf.sum(tf.sub(tf.mul(-0.5, tf.square(eps)), tf.add(logStd, 0.5 * LOG_2PI)), 1);
    const squash = tf.sum(tf.log(tf.add(tf.sub(1, tf.square(a)), 1e-6)), 1);
    return { a, logp: tf.sub(gauss, squash) as tf.Tensor1D };
  };
  const q = (net: Net, s: tf.Tensor2D, a: tf.Tensor2D) => tf.reshape(forward(net, tf.concat([s, a], 1) as tf.Tensor2D), [-1]) as tf.Tensor1D;

  const step = (batch: Transition[]): SacLosses => {
    const n = batch.length;
    const stack = (pick: (t: Transition) => Float32Array, w: number) => {
      const x = new Float32Array(n * w);
      batch.forEach((t, k) => x.set(pick(t), k * w));
      return tf.tensor2d(x, [n, w]);
    };
    const s = stack((t) => t.state, S);
    const s2 = stack((t) => t.next, S);
    const a = tf.tidy(
      () =>
        tf.sub(
          tf.mul(
            stack((t) => t.action, A),
            2,
          ),
          1,
        ) as tf.Tensor2D,
    );
    const nextEps = noise(n);
    const [q1t, q2t, logp2] = tf.tidy(() => {
      const next = policy(s2, nextEps);
      return [q(targets[0]!, s2, next.a), q(targets[1]!, s2, next.a), next.logp];
    });
    const y = sacTarget(
      batch.map((t) => t.reward),
      batch.map((t) => (t.done ? 1 : 0)),
      q1t.dataSync(),
      q2t.dataSync(),
      logp2.dataSync(),
      o.gamma,
      o.alpha,
    );
    const yt = tf.tensor1d(y);
    const criticLoss = criticOpt.minimize(
      () => tf.add(tf.losses.meanSquaredError(yt, q(critics[0]!, s, a)), tf.losses.meanSquaredError(yt, q(critics[1]!, s, a))) as tf.Scalar,
      true,
      critics.flatMap(variables),
    );
    const eps = noise(n);
    const actorLoss = actorOpt.minimize(
      () => {
        const p = policy(s, eps);
        const qMin = tf.minimum(q(critics[0]!, s, p.a), q(critics[1]!, s, p.a));
        return tf.mean(tf.sub(tf.mul(o.alpha, p.logp), qMin)) as tf.Scalar;
      },
      true,
      variables(actor),
    );
    // Polyak averaging of the target critics.
    tf.tidy(() => critics.forEach((c, k) => variables(c).forEach((v, j) => targetVars[k]![j]!.assign(tf.add(tf.mul(o.tau, v), tf.mul(1 - o.tau, targetVars[k]![j]!))))));
    const losses = { critic: criticLoss!.dataSync()[0]!, actor: actorLoss!.dataSync()[0]! };
    tf.dispose([s, s2, a, nextEps, q1t, q2t, logp2, yt, eps, criticLoss!, actorLoss!]);
    return losses;
  };

  return {
    options: o,
    buffer,
    act(state, deterministic) {
      if (state.length !== S) throw new StreamError(`sac: a state of ${state.length} numbers, expected ${S}`);
      const a = tf.tidy(() => {
        const s = tf.tensor2d(state, [1, S]);
        if (deterministic) return tf.tanh(forward(actor, s).slice([0, 0], [-1, A]));
        return policy(s, noise(1)).a;
      });
      const out = Float32Array.from(a.dataSync(), (v) => Math.min(1 - 1e-6, Math.max(1e-6, (v + 1) / 2)));
      a.dispose();
      return out;
    },
    update(steps) {
      if (buffer.size === 0 || steps === 0) return { critic: Number.NaN, actor: Number.NaN };
      let critic = 0;
      let actorSum = 0;
      for (let k = 0; k < steps; k++) {
        const l = step(buffer.sample(Math.min(o.batch, Math.max(1, buffer.size)), rng));
        critic += l.critic;
        actorSum += l.actor;
      }
      return { critic: critic / steps, actor: actorSum / steps };
    },
    dispose() {
      tf.dispose([...variables(actor), ...critics.flatMap(variables), ...targetVars.flat()]);
      actorOpt.dispose();
      criticOpt.dispose();
    },
  };
}
