/**
 * The narrow encodings side by side at one budget (issue 26): PEEL's f16 and i8 selections whether or not the
 * artifact exports them, the i8 selection's blocks unquantised (so that what quantising costs is measured apart
 * from what i8's extra blocks gain), and the uniform baseline retrained in each encoding's width.
 */
import { BudgetTooSmallError, type Dtype, type Manifest } from '@peelrec/format';
import { evaluateSelected, pick, type EvalData, type UserMetric } from './budgets.js';
import { pairedGain } from './paired.js';
import type { PeelModel } from './peel-model.js';
import type { BudgetQuality, EncodedPeel } from './report.js';

/** The encodings every budget reports, exported or not. */
export const COMPARED_DTYPES = ['f16', 'i8'] as const satisfies readonly Dtype[];
export type ComparedDtype = (typeof COMPARED_DTYPES)[number];

/** One budget's PEEL rows user by user, kept for the paired differences the uniform rows need later. */
export type PeelByDtype = Partial<Record<ComparedDtype, UserMetric>>;

const PEEL_KEY = { f16: 'peelF16', i8: 'peelI8' } as const;
const UNIFORM_KEY = { f16: 'uniformF16', i8: 'uniformI8' } as const;

/**
 * Fills `b`'s peelF16, peelI8, peelI8Unquantised and their paired differences. `selection` is a manifest with
 * every compared encoding (the artifact's may lack some; selection depends only on weights and block sizes,
 * which are the same). `auto` is PEEL's own selection at this budget: reused where it chose that encoding.
 */
export async function evaluateEncodings(
  m: PeelModel,
  selection: Manifest,
  b: BudgetQuality,
  auto: UserMetric & { dtype: Dtype; blocks: number },
  data: EvalData,
  opts: { threads?: number; notes: string[] },
): Promise<PeelByDtype> {
  const users: PeelByDtype = {};
  for (const dtype of COMPARED_DTYPES) {
    let r: UserMetric & { dtype: Dtype; blocks: number };
    try {
      r = auto.dtype === dtype ? auto : await evaluateSelected(m, selection, b.bytes, data, { dtype, threads: opts.threads });
    } catch (e) {
      if (!(e instanceof BudgetTooSmallError)) throw e;
      opts.notes.push(`budget ${b.fraction}: no ${dtype} selection (${e.message})`);
      b[PEEL_KEY[dtype]] = null;
      continue;
    }
    b[PEEL_KEY[dtype]] = { ...pick(r), dtype, blocks: r.blocks } satisfies EncodedPeel;
    users[dtype] = r;
  }
  b.encodingGain ??= {};
  if (users.f16 && users.i8) b.encodingGain.i8VsF16 = pairedGain(users.i8, users.f16);
  b.peelI8Unquantised = null;
  if (users.i8) {
    const unquantised = await evaluateSelected(m, selection, b.bytes, data, { dtype: 'i8', storedAs: 'f32', threads: opts.threads });
    b.peelI8Unquantised = pick(unquantised);
    b.encodingGain.quantisation = pairedGain(users.i8, unquantised);
  }
  return users;
}

/**
 * Fills `b`'s uniformF16 and uniformI8 (the retrained uniform model at the widest table of that encoding that
 * fits, null where none does) and their paired differences with each other and with PEEL in the same encoding.
 */
export function recordUniforms(b: BudgetQuality, uniform: Partial<Record<ComparedDtype, { dim: number; metric: UserMetric } | null>>, peel: PeelByDtype): void {
  b.encodingGain ??= {};
  for (const dtype of COMPARED_DTYPES) {
    const u = uniform[dtype];
    b[UNIFORM_KEY[dtype]] = u ? { ...pick(u.metric), dim: u.dim, dtype } : null;
    const p = peel[dtype];
    if (u && p) b.encodingGain[dtype === 'f16' ? 'peelVsUniformF16' : 'peelVsUniformI8'] = pairedGain(p, u.metric);
  }
  if (uniform.i8 && uniform.f16) b.encodingGain.uniformI8VsF16 = pairedGain(uniform.i8.metric, uniform.f16.metric);
}
