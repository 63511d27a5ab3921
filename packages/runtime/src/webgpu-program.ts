/**
 * Custom WGSL programs on tfjs-backend-webgpu (the sparse kind's, stored-webgpu's): the part of its WebGPUProgram
 * interface they fill in, and running one. That interface (4.22.0: it declares `result`, each input as
 * `array<i32|f32>` and a `uniforms` struct, and calls `main(index)` with the flat global index) is internal, like
 * the wasm kernel's reliance on tfjs-wasm's memory; the layouts that use it fall back where it is missing.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WebGpuProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly uniforms: string;
  getUserCode(): string;
}

interface WebGpuBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
}

/** Whether the active backend runs custom programs (tfjs-backend-webgpu's runWebGPUProgram). */
export function runsPrograms(): boolean {
  return tf.getBackend() === 'webgpu' && typeof (tf.backend() as Partial<WebGpuBackendLike>).runWebGPUProgram === 'function';
}

/** Runs `program` on the active WebGPU backend; `uniforms` are int32 values, in the order its `uniforms` declares them. */
export function runProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: 'int32' | 'float32', uniforms: number[] = []): tf.Tensor {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  return tf.engine().makeTensorFromTensorInfo(
    backend.runWebGPUProgram(
      program,
      inputs,
      outputDtype,
      uniforms.map((v) => ({ type: 'int32', data: [v] })),
    ),
  );
}
