/**
 * The WGSL program (run through tfjs-backend-webgpu's `runWebGPUProgram`, as the sparse kind's programs) that
 * scores a peel-blocks table held on the GPU as its files store it (stored-webgpu-layout.ts): every band (one
 * block of one item group, blockDim rows of the group's items, row-major) packed into i32 words, f32 as its bits,
 * f16 two halves to a word, i8 four bytes to a word, each band starting on a word. One thread scores one item:
 * Σ over its group's rows of user'[row] · value, where user' carries each band's weight (and an i8 band's scale),
 * so the words hold nothing but the stored values.
 */
import { BYTES_PER_ELEMENT, type Dtype } from '@peelrec/format';
import type { WebGpuProgram } from './webgpu-program.js';

/** Words a band of `values` elements takes. */
export function bandWords(values: number, dtype: Dtype): number {
  return Math.ceil((values * BYTES_PER_ELEMENT[dtype]) / 4);
}

/** Int32 entries a group has in the program's `meta` input: start, count, blocks, first word, words a band, user offset. */
export const META = 6;

/** Element `e` of a band that starts at word `base`, as f32. */
const VALUE_AT: Record<Dtype, string> = {
  f32: `fn valueAt(base : i32, e : i32) -> f32 {
    return bitcast<f32>(words[base + e]);
  }`,
  f16: `fn valueAt(base : i32, e : i32) -> f32 {
    return unpack2x16float(bitcast<u32>(words[base + (e >> 1u)]))[e & 1];
  }`,
  // The byte moved to the top and shifted back down: an arithmetic shift sign-extends it.
  i8: `fn valueAt(base : i32, e : i32) -> f32 {
    return f32((words[base + (e >> 2u)] << (24u - u32(e & 3) * 8u)) >> 24u);
  }`,
};

/**
 * Output float32 [items]: every item's score. Inputs: `words` (int32, the bands), `bands` (int32, {@link META}
 * per item group, groups in position order), `user` (float32, each group's rows of user'); uniforms `groups`,
 * `blockDim`.
 */
export class StoredScoreProgram implements WebGpuProgram {
  readonly variableNames = ['words', 'bands', 'user'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly uniforms = 'groups : i32, blockDim : i32,';

  constructor(
    items: number,
    private readonly dtype: Dtype,
  ) {
    this.outputShape = [items];
    this.shaderKey = `peelrecStoredScore_${dtype}`;
    this.dispatch = [Math.ceil(items / 64), 1, 1];
  }

  getUserCode(): string {
    return `
  ${VALUE_AT[this.dtype]}
  fn main(index : i32) {
    if (index >= uniforms.outShape) {
      return;
    }
    // The item's group: the last whose start is at or before it.
    var lo = 0;
    var hi = uniforms.groups - 1;
    while (lo < hi) {
      let mid = (lo + hi + 1) / 2;
      if (bands[mid * ${META}] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    let g = lo * ${META};
    let n = bands[g + 1];
    let c = index - bands[g];
    var acc = 0.0;
    for (var k = 0; k < bands[g + 2]; k++) {
      let base = bands[g + 3] + k * bands[g + 4];
      let u = bands[g + 5] + k * uniforms.blockDim;
      for (var j = 0; j < uniforms.blockDim; j++) {
        acc += user[u + j] * valueAt(base, j * n + c);
      }
    }
    setOutputAtIndex(index, acc);
  }`;
  }
}

/**
 * Output int32 [words]: the new table's words, band by band, each a run of the old table's (a block kept) or of
 * the fresh words (uploaded from files). Inputs `old`, `fresh` (int32) and `plan` (int32, 3 a band: its first
 * output word, 0 for old or 1 for fresh, its first source word); uniform `bands`. Words move as i32 and are
 * stored with `result[i] =`: tfjs's slice and concat of int32 pass through f32 on this backend, which rounds a
 * word above 2^24 (its low byte: the first of four i8 values).
 */
export class AssembleWordsProgram implements WebGpuProgram {
  readonly variableNames = ['old', 'fresh', 'plan'];
  readonly outputShape: number[];
  readonly shaderKey = 'peelrecAssembleWords';
  readonly dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly uniforms = 'bands : i32,';

  constructor(words: number) {
    this.outputShape = [words];
    this.dispatch = [Math.ceil(words / 64), 1, 1];
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index >= uniforms.outShape) {
      return;
    }
    var lo = 0;
    var hi = uniforms.bands - 1;
    while (lo < hi) {
      let mid = (lo + hi + 1) / 2;
      if (plan[mid * 3] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    let at = plan[lo * 3 + 2] + index - plan[lo * 3];
    if (plan[lo * 3 + 1] == 0) {
      result[index] = old[at];
    } else {
      result[index] = fresh[at];
    }
  }`;
  }
}

/** Output int32 [n]: `words[at[i]]`, moved as i32 (see {@link AssembleWordsProgram}). Inputs `words`, `at` (int32). */
export class GatherWordsProgram implements WebGpuProgram {
  readonly variableNames = ['words', 'at'];
  readonly outputShape: number[];
  readonly shaderKey = 'peelrecGatherWords';
  readonly dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly uniforms = '';

  constructor(n: number) {
    this.outputShape = [n];
    this.dispatch = [Math.ceil(n / 64), 1, 1];
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.outShape) {
      result[index] = words[at[index]];
    }
  }`;
  }
}
