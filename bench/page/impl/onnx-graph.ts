/**
 * Builds the ONNX model that makes onnxruntime-web do the runtime's work:
 * PEEL's weighted block scores, the exclusions, then top-k.
 *
 *   for each item group g:  s_g = (user[:, dims_g] * w_g) @ M_g      Gather, Mul, MatMul
 *   scores = concat_g s_g                                             Concat
 *   scores[0, exclude] = -inf                                         ScatterElements
 *   values, indices = topk(scores, k)                                 TopK (ties: lower index first)
 *
 * M_g is the dim-major matrix of the selected blocks of g, stacked row-wise
 * ([selectedDims_g, itemsInGroup_g]), stored as an initializer so its bytes
 * live in the session once, like the runtime's resident tensors.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const OPSET = 17;

export interface GroupMatrix {
  /** Indices into the user vector of the selected dims, in the row order of `matrix`. */
  readonly dims: Int32Array;
  /** Weight of each selected dim (its block's controller weight). */
  readonly weights: Float32Array;
  /** `[dims.length][items]` f32, dim-major. */
  readonly matrix: Float32Array;
  readonly items: number;
}

export interface ScoringGraph {
  readonly fullDim: number;
  readonly groups: readonly GroupMatrix[];
  readonly k: number;
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function floatTensor(name: string, dims: number[], data: Float32Array) {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: bytesOf(data) });
}

function int64Tensor(name: string, dims: number[], data: ArrayLike<number>) {
  return onnx.TensorProto.create({ name, dims, dataType: INT64, rawData: bytesOf(BigInt64Array.from(Array.from(data), BigInt)) });
}

function valueInfo(name: string, elemType: number, shape: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function intAttr(name: string, i: number) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
}

/**
 * The serialized model. Inputs: `user` f32 [1, fullDim], `exclude` i64 [1, E]
 * (artifact positions; E ≥ 1, pad with a repeat when there is nothing to
 * exclude). Outputs: `values` f32 [1, k], `indices` i64 [1, k].
 */
export function buildScoringModel(spec: ScoringGraph): Uint8Array {
  const nodes = [];
  const initializer = [];
  const parts: string[] = [];
  spec.groups.forEach((g, i) => {
    if (g.matrix.length !== g.dims.length * g.items) throw new RangeError(`group ${i}: matrix has ${g.matrix.length} values, expected ${g.dims.length}×${g.items}`);
    initializer.push(int64Tensor(`dims_${i}`, [g.dims.length], g.dims), floatTensor(`w_${i}`, [g.dims.length], g.weights), floatTensor(`M_${i}`, [g.dims.length, g.items], g.matrix));
    nodes.push(
      onnx.NodeProto.create({ opType: 'Gather', input: ['user', `dims_${i}`], output: [`u_${i}`], attribute: [intAttr('axis', 1)] }),
      onnx.NodeProto.create({ opType: 'Mul', input: [`u_${i}`, `w_${i}`], output: [`uw_${i}`] }),
      onnx.NodeProto.create({ opType: 'MatMul', input: [`uw_${i}`, `M_${i}`], output: [`s_${i}`] }),
    );
    parts.push(`s_${i}`);
  });
  initializer.push(floatTensor('neg_inf', [1, 1], new Float32Array([-Infinity])), int64Tensor('k', [1], [spec.k]));
  nodes.push(
    onnx.NodeProto.create({ opType: 'Concat', input: parts, output: ['scores'], attribute: [intAttr('axis', 1)] }),
    onnx.NodeProto.create({ opType: 'Shape', input: ['exclude'], output: ['exclude_shape'] }),
    onnx.NodeProto.create({ opType: 'Expand', input: ['neg_inf', 'exclude_shape'], output: ['minus'] }),
    onnx.NodeProto.create({ opType: 'ScatterElements', input: ['scores', 'exclude', 'minus'], output: ['masked'], attribute: [intAttr('axis', 1)] }),
    onnx.NodeProto.create({
      opType: 'TopK',
      input: ['masked', 'k'],
      output: ['values', 'indices'],
      attribute: [intAttr('axis', 1), intAttr('largest', 1), intAttr('sorted', 1)],
    }),
  );
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: '@peelrec/bench',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'peel_scoring',
      node: nodes,
      initializer,
      input: [valueInfo('user', FLOAT, [1, spec.fullDim]), valueInfo('exclude', INT64, [1, 'E'])],
      output: [valueInfo('values', FLOAT, [1, spec.k]), valueInfo('indices', INT64, [1, spec.k])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
