/**
 * The schema of a (partial) training config, as a config file or a library caller gives it: every key
 * known, every value of the right type and range. Settings that depend on each other (fullDim and blockDim)
 * are checked by resolveConfig after the merge with the defaults.
 */
import { z } from 'zod';
import type { BackboneConfig, DeepPartial, TrainConfig } from './config.js';
import type { TuningConfig } from './tuning/config.js';

/** A config setting that is unknown or has a wrong value; `key` is its dotted path, e.g. `backbone.lr`. */
export class ConfigError extends RangeError {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

const int = (min: number) =>
  z
    .number()
    .int()
    .min(min, { error: `an integer ≥ ${min}` });
const positive = z.number().positive({ error: 'a positive number' });
const fraction = z.number().positive({ error: 'in (0, 1]' }).max(1, { error: 'in (0, 1]' });

const backbone = z.strictObject({
  diversity: z.number().min(0, { error: 'a number ≥ 0' }),
  nested: z.array(int(1)),
  softmaxEpochs: int(0),
  batch: int(1),
  negatives: int(8).multipleOf(8, { error: 'a positive multiple of 8' }),
  temperature: positive,
  fullTemperature: positive,
  lr: positive,
  initStd: positive,
  smoothing: z.number().min(0, { error: 'a number ≥ 0' }),
  weightDecay: z.number().min(0, { error: 'a number ≥ 0' }),
} satisfies Record<keyof BackboneConfig, z.ZodType>);

const refine = z.strictObject({
  epochs: int(0),
  patience: int(0),
  batch: int(1),
  negatives: int(8).multipleOf(8, { error: 'a positive multiple of 8' }),
  lr: positive,
  controllerLr: positive,
  outerEvery: int(1),
  elastic: z.array(fraction).min(1, { error: 'a non-empty list' }),
  hidden: int(1),
  renormalize: z.boolean(),
  softSelection: z.boolean(),
  valFraction: z.number().min(0, { error: 'in [0, 1)' }).lt(1, { error: 'in [0, 1)' }),
  valUserFraction: z.number().min(0, { error: 'in [0, 1]' }).max(1, { error: 'in [0, 1]' }),
} satisfies Record<keyof TrainConfig['refine'], z.ZodType>);

const tuning = z.strictObject({
  enabled: z.boolean(),
  seconds: positive,
  candidates: int(1),
  eta: int(2),
  maxEpochs: int(1),
  searchEdges: int(1),
  userGroups: z.array(int(1).max(65535, { error: 'at most 65535 (group ids are u16)' })).min(1, { error: 'a non-empty list' }),
  testAgreement: z.boolean(),
} satisfies Record<keyof TuningConfig, z.ZodType>);

const config = z
  .strictObject({
    fullDim: int(8),
    blockDim: int(1),
    userGroups: int(1).max(65535, { error: 'at most 65535 (group ids are u16)' }),
    itemGroups: int(1),
    seed: int(0),
    threads: int(1),
    dtypes: z.array(z.enum(['f32', 'f16', 'i8'])).min(1, { error: 'a non-empty list' }),
    usersPerShard: int(1),
    budgets: z.array(fraction),
    ablations: z.boolean(),
    backbone: backbone.partial(),
    refine: refine.partial(),
    kmeansIterations: int(1),
    tuning: tuning.partial(),
    timeBudget: positive,
  } satisfies Record<keyof TrainConfig, z.ZodType>)
  .partial();

// The compiler keeps the schema and the config types in step: a key added to one but not the other fails here.
type Parsed = z.infer<typeof config>;
const _sameKeys: [Required<Parsed> extends Required<DeepPartial<TrainConfig>> ? true : never] = [true];
void _sameKeys;

const dotted = (path: readonly PropertyKey[]) => path.map(String).join('.');
const section = (path: string) => (path ? ` under ${path}` : '');

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** Human wording of what a setting must be, from zod's issue. */
function expectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return issue.expected === 'int' ? 'an integer' : `a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}`;
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

/**
 * Checks a partial config. Throws a ConfigError naming the first problem: every unknown key of a section
 * (with the section's known keys), or a value of the wrong type or range (with the value given).
 */
export function parseConfig(partial: unknown): DeepPartial<TrainConfig> {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) throw new ConfigError('', 'config must be an object');
  const r = config.safeParse(partial);
  if (r.success) return partial as DeepPartial<TrainConfig>;
  const unknown = r.error.issues.filter((i) => i.code === 'unrecognized_keys');
  if (unknown.length) {
    const keys = unknown.flatMap((i) => i.keys.map((k) => dotted([...i.path, k])));
    const where = dotted(unknown[0]!.path);
    const shape = where ? (config.shape[where as 'backbone' | 'refine' | 'tuning'].unwrap().shape as object) : config.shape;
    throw new ConfigError(keys[0]!, `unknown config key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} (known${section(where)}: ${Object.keys(shape).join(', ')})`);
  }
  const issue = r.error.issues[0]!;
  const key = dotted(issue.path);
  const given = valueAt(partial, issue.path);
  if (issue.code === 'invalid_type' && issue.expected === 'object') throw new ConfigError(key, `config "${key}" must be an object`);
  throw new ConfigError(key, `config "${key}" must be ${expectation(issue)}, got ${JSON.stringify(given) ?? String(given)}`);
}
