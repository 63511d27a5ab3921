/**
 * The webgpu backend's layout of a peel-blocks table held as its files store it (`residentDtype` undefined): f16
 * at 2 bytes a value and i8 at 1, where the dim-major matMul layout widens every block to f32. So a budget on
 * WebGPU holds twice the f16 blocks and four times the i8 blocks it held, and selection's `dtype: 'auto'` takes
 * i8 where it selects more blocks (issue 26). Each band (one block of one item group) is a word-aligned run of
 * one int32 tensor; an i8 band's 4-byte scale and every band's weight stay on the CPU and multiply the user's
 * rows (stored-webgpu-program.ts), so the tensor holds nothing but values. A band of odd length in f16 (an odd
 * blockDim and an odd item group) takes 2 bytes more than its file; an i8 band's padding (≤ 3 bytes) fits in the
 * 4 bytes of its scale. Correctness is checked on SwiftShader; speed is not measured here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blockByteLength, BYTES_PER_ELEMENT, I8_HEADER_BYTES, i8Scale, type Dtype, type Selection } from '@peelrec/format';
import { halfToFloat } from './half.js';
import { itemVectorsOf } from './block-bands.js';
import { topK, type ScoredPosition } from './reference.js';
import { runProgram, runsPrograms } from './webgpu-program.js';
import { AssembleWordsProgram, bandWords, GatherWordsProgram, StoredScoreProgram } from './stored-webgpu-program.js';
import type { FreshBlock, ItemVectors, LayoutFactory, ScorerModel, TableLayout } from './table-layout.js';

/** One item group's bands, in the order of its selected blocks. */
interface Group {
  readonly itemGroup: number;
  readonly blocks: readonly number[];
  readonly start: number;
  readonly count: number;
  /** First word of its first band; each band takes `words` words. */
  readonly word: number;
  readonly words: number;
  /** Where its rows start in the user' vector (stored-webgpu-program.ts). */
  readonly userRow: number;
  /** Each band's weight × (i8) scale, in block order. */
  readonly factors: readonly number[];
  /** Each band's scale (1 but for i8), to read values back unscaled by weight. */
  readonly scales: readonly number[];
}

interface Held {
  readonly dtype: Dtype;
  readonly words: tf.Tensor1D;
  readonly meta: tf.Tensor1D;
  readonly groups: readonly Group[];
  readonly weights: ReadonlyMap<string, number>;
}

class StoredWebGpuLayout implements TableLayout {
  readonly residentDtype = undefined;
  private held: Held | undefined;

  constructor(private readonly model: ScorerModel) {}

  get residentBytes(): number {
    return this.held ? this.held.words.size * 4 : 0;
  }

  apply(selection: Selection, fresh: FreshBlock, reuse: boolean): void {
    const { blockDim } = this.model.dims;
    const dtype = selection.dtype;
    const old = reuse ? this.held : undefined;
    const weights = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
    const groups: Group[] = [];
    // Each band: a reused run of the old words (a GPU copy: its bytes were not fetched again), or a fresh file's values.
    const parts: Part[] = [];
    let word = 0;
    let userRow = 0;
    selection.byItemGroup.forEach((blocks, g) => {
      const { start, count } = this.model.itemGroups[g]!;
      const words = bandWords(blockDim * count, dtype);
      const scales = blocks.map((b) => {
        const was = old?.groups[g];
        const k = was ? was.blocks.indexOf(b) : -1;
        if (was && k >= 0) {
          parts.push({ from: was, k, words });
          return was.scales[k]!;
        }
        const file = fresh(g, b);
        if (file.byteLength !== blockByteLength(blockDim, count, dtype)) {
          throw new RangeError(`block (${g}, ${b}) has ${file.byteLength} bytes, expected ${dtype} values for ${blockDim} × ${count}`);
        }
        parts.push({ bytes: dtype === 'i8' ? file.subarray(I8_HEADER_BYTES) : file, words });
        return dtype === 'i8' ? i8Scale(file) : 1;
      });
      groups.push({ itemGroup: g, blocks, start, count, word, words, userRow, scales, factors: blocks.map((b, k) => weights.get(`${g}/${b}`)! * scales[k]!) });
      word += blocks.length * words;
      userRow += blocks.length * blockDim;
    });
    const meta = Int32Array.from(groups.flatMap((gr) => [gr.start, gr.count, gr.blocks.length, gr.word, gr.words, gr.userRow]));
    const tensors = assemble(parts, word, old?.words);
    let metaTensor: tf.Tensor1D;
    try {
      metaTensor = tf.tensor1d(meta, 'int32');
    } catch (e) {
      tensors.dispose();
      throw e;
    }
    this.release();
    this.held = { dtype, words: tensors, meta: metaTensor, groups, weights };
  }

  async top(vector: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<ScoredPosition[]> {
    const held = this.held;
    if (!held) return [];
    const { blockDim } = this.model.dims;
    const user = tf.tensor1d(userRows(held.groups, vector, blockDim));
    let scores: tf.Tensor | undefined;
    try {
      scores = runProgram(new StoredScoreProgram(this.model.items.count, held.dtype), [held.words, held.meta, user], 'float32', [held.groups.length, blockDim]);
      return topK((await scores.data()) as Float32Array, k, exclude);
    } finally {
      user.dispose();
      scores?.dispose();
    }
  }

  async itemVectors(positions: readonly number[]): Promise<ItemVectors> {
    const held = this.held;
    if (!held) return { vectors: positions.map(() => new Float32Array(this.model.dims.fullDim)), known: positions.map(() => new Uint8Array(this.model.dims.blocksPerItem)) };
    const { blockDim } = this.model.dims;
    return itemVectorsOf(
      this.model,
      held.weights,
      held.groups,
      positions,
      async (gr, cols) => {
        // The words holding each (row, column) value, gathered on the GPU and read back in one go.
        const bpe = BYTES_PER_ELEMENT[held.dtype];
        const rows = gr.blocks.length * blockDim;
        const at = new Int32Array(rows * cols.length);
        for (let r = 0; r < rows; r++) {
          const base = gr.word + Math.floor(r / blockDim) * gr.words;
          cols.forEach((c, x) => (at[r * cols.length + x] = base + (((r % blockDim) * gr.count + c) * bpe) / 4));
        }
        const words = await gatherWords(held.words, at);
        const out = new Float32Array(rows * cols.length);
        for (let r = 0; r < rows; r++) {
          const scale = gr.scales[Math.floor(r / blockDim)]!;
          cols.forEach((c, x) => {
            const e = (r % blockDim) * gr.count + c;
            out[r * cols.length + x] = valueIn(words[r * cols.length + x]!, e, held.dtype) * scale;
          });
        }
        return out;
      },
      false,
    );
  }

  dispose(): void {
    this.release();
  }

  forget(): void {
    const held = this.held;
    this.held = undefined;
    for (const t of held ? [held.words, held.meta] : []) {
      try {
        t.dispose();
      } catch {
        // the device is gone; the engine may refuse to free what it cannot reach
      }
    }
  }

  private release(): void {
    const held = this.held;
    this.held = undefined;
    held?.words.dispose();
    held?.meta.dispose();
  }
}

type Part = { from: Group; k: number; words: number } | { bytes: Uint8Array; words: number };

/** The table's words: the kept bands copied from `old` on the GPU, the fresh ones uploaded (one int32 tensor). */
function assemble(parts: readonly Part[], total: number, old: tf.Tensor1D | undefined): tf.Tensor1D {
  const freshWords = parts.reduce((n, p) => n + ('bytes' in p ? p.words : 0), 0);
  // Zero-padded to whole words: aligned, in the host's byte order, which WebGPU shares.
  const fresh = new Uint8Array(freshWords * 4);
  const plan = new Int32Array(parts.length * 3);
  let out = 0;
  let at = 0;
  parts.forEach((p, i) => {
    if ('bytes' in p) fresh.set(p.bytes, at * 4);
    plan.set([out, 'bytes' in p ? 1 : 0, 'bytes' in p ? at : p.from.word + p.k * p.from.words], i * 3);
    if ('bytes' in p) at += p.words;
    out += p.words;
  });
  if (!old || freshWords === total) return tf.tensor1d(new Int32Array(fresh.buffer), 'int32');
  // A buffer of zero length cannot be bound: with nothing fresh the old words stand in (the plan never reads them).
  const inputs = [tf.tensor1d(plan, 'int32'), freshWords ? tf.tensor1d(new Int32Array(fresh.buffer), 'int32') : undefined];
  try {
    return runProgram(new AssembleWordsProgram(total), [old, inputs[1] ?? old, inputs[0]!], 'int32', [parts.length]) as tf.Tensor1D;
  } finally {
    for (const t of inputs) t?.dispose();
  }
}

/** `words[at[i]]` for every i, read back (the values exactly as stored). */
async function gatherWords(words: tf.Tensor1D, at: Int32Array): Promise<Int32Array> {
  const index = tf.tensor1d(at, 'int32');
  let picked: tf.Tensor | undefined;
  try {
    picked = runProgram(new GatherWordsProgram(at.length), [words, index], 'int32');
    return (await picked.data()) as Int32Array;
  } finally {
    index.dispose();
    picked?.dispose();
  }
}

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);
/** Element `e` of a band as stored in `word` (the word holding it), unscaled. */
function valueIn(word: number, e: number, dtype: Dtype): number {
  if (dtype === 'i8') return (word << (24 - (e & 3) * 8)) >> 24;
  if (dtype === 'f16') return halfToFloat((word >>> ((e & 1) * 16)) & 0xffff);
  f32Bits[0] = word;
  return f32[0]!;
}

/** user' : each group's rows of the user vector, band by band, times the band's weight (and i8 scale). */
function userRows(groups: readonly Group[], vector: Float32Array, blockDim: number): Float32Array {
  const out = new Float32Array(groups.reduce((n, gr) => n + gr.blocks.length * blockDim, 0));
  let at = 0;
  for (const gr of groups) {
    gr.blocks.forEach((b, k) => {
      const f = gr.factors[k]!;
      for (let j = 0; j < blockDim; j++) out[at++] = vector[b * blockDim + j]! * f;
    });
  }
  return out;
}

export const storedWebGpu: LayoutFactory = {
  name: 'stored-webgpu',
  kind: 'peel-blocks',
  residentDtype: undefined,
  expects: (backend) => backend === 'webgpu',
  open: async (model) => (runsPrograms() ? new StoredWebGpuLayout(model) : undefined),
};
