import type { FeatureSpec } from '../data/feature-spec';
import type { ModelDefinition } from '../definitions/model-definition';
import { PayloadFormatError } from './prediction.errors';

/** A tensor of the Open Inference Protocol (KServe V2). */
export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  data: unknown[];
}

const NUMERIC = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
]);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function tensor(value: unknown, i: number): V2Tensor {
  const at = `inputs[${i}]`;
  if (!isRecord(value)) throw new PayloadFormatError(`${at} must be an object {name, shape, datatype, data}`);
  const { name, shape, datatype, data } = value;
  if (typeof name !== 'string' || name === '') throw new PayloadFormatError(`${at}.name must be a non-empty string`);
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new PayloadFormatError(`${at}.shape must be a list of non-negative integers`);
  }
  if (typeof datatype !== 'string' || !(NUMERIC.has(datatype) || datatype === 'BYTES')) {
    throw new PayloadFormatError(`${at}.datatype must be one of BOOL, UINT*, INT*, FP16, FP32, FP64, BYTES`);
  }
  if (!Array.isArray(data)) throw new PayloadFormatError(`${at}.data must be an array`);
  const flat = data.flat(Infinity);
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (flat.length !== size) {
    throw new PayloadFormatError(
      `${at}.data has ${flat.length} elements but shape [${shape.join(', ')}] needs ${size}`,
    );
  }
  return { name, shape: shape as number[], datatype, data: flat };
}

/**
 * Turns the `inputs` of an inference request into rows of input fields. Either one tensor per input field (shape
 * [n] or [n, 1]; numeric datatypes for numbers, BYTES for categories), or — for a model whose inputs are all
 * numeric — a single [n, k] tensor whose columns follow the model's input fields.
 */
export function v2Rows(inputs: unknown, spec: FeatureSpec): Record<string, unknown>[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new PayloadFormatError('"inputs" must be a non-empty list of tensors');
  }
  const tensors = inputs.map(tensor);
  const fields = spec.inputs;
  const [first] = tensors;
  if (tensors.length === 1 && first.shape.length === 2 && first.shape[1] === fields.length && fields.length > 1) {
    if (!fields.every((f) => f.type === 'number') || !NUMERIC.has(first.datatype)) {
      throw new PayloadFormatError(`A single [n, ${fields.length}] tensor is only accepted for all-numeric inputs`);
    }
    const k = fields.length;
    return Array.from({ length: first.shape[0] }, (_, i) =>
      Object.fromEntries(fields.map((f, j) => [f.name, first.data[i * k + j]])),
    );
  }
  const known = new Set(fields.map((f) => f.name));
  const unknown = tensors.filter((t) => !known.has(t.name)).map((t) => t.name);
  if (unknown.length > 0) {
    throw new PayloadFormatError(`Unknown input tensor(s) ${unknown.join(', ')}; expected ${[...known].join(', ')}`);
  }
  const rows = first.shape[0];
  for (const t of tensors) {
    if (t.shape[0] !== rows || t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1)) {
      throw new PayloadFormatError(`Input tensor ${t.name} must have shape [${rows}] or [${rows}, 1]`);
    }
    const field = fields.find((f) => f.name === t.name);
    const wanted = field?.type === 'category' ? 'BYTES' : 'a numeric datatype';
    if ((field?.type === 'category') !== (t.datatype === 'BYTES')) {
      throw new PayloadFormatError(`Input tensor ${t.name} must have ${wanted}`);
    }
  }
  return Array.from({ length: rows }, (_, i) => Object.fromEntries(tensors.map((t) => [t.name, t.data[i]])));
}

const V2_DATATYPES = { number: 'FP64', integer: 'INT64', category: 'BYTES' } as const;

/** The V2 metadata of the input fields of a definition: FP64 numbers, INT64 integers, BYTES categories. */
export function v2InputMetadata(definition: ModelDefinition): { name: string; datatype: string; shape: number[] }[] {
  return definition.features.map((f) => ({ name: f.name, datatype: V2_DATATYPES[f.type], shape: [-1] }));
}
