import { ModelFormatError } from './model-format.error';

/** Small helpers that read an untrusted parsed JSON value and throw `ModelFormatError` on anything unexpected. */

export type JsonRecord = Record<string, unknown>;

export function asRecord(value: unknown, what: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFormatError(`${what} must be an object`);
  }
  return value as JsonRecord;
}

export function readNumber(obj: JsonRecord, key: string, what: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ModelFormatError(`${what}.${key} must be a finite number`);
  }
  return value;
}

export function readInt(
  obj: JsonRecord,
  key: string,
  what: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = readNumber(obj, key, what);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ModelFormatError(`${what}.${key} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

export function readLiteral<T extends string | number>(
  obj: JsonRecord,
  key: string,
  what: string,
  allowed: readonly T[],
): T {
  const value = obj[key];
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    throw new ModelFormatError(`${what}.${key} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return found;
}

export function readArray(obj: JsonRecord, key: string, what: string): unknown[] {
  const value = obj[key];
  if (!Array.isArray(value)) {
    throw new ModelFormatError(`${what}.${key} must be an array`);
  }
  return value as unknown[];
}

/** Reads an array of finite numbers of the expected length (any length when `length` is undefined). */
export function readFloat64Array(obj: JsonRecord, key: string, what: string, length?: number): Float64Array {
  const values = readArray(obj, key, what);
  if (length !== undefined && values.length !== length) {
    throw new ModelFormatError(`${what}.${key} must have ${length} entries, got ${values.length}`);
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ModelFormatError(`${what}.${key}[${i}] must be a finite number`);
    }
    out[i] = v;
  }
  return out;
}

/** Reads an array of integers in [min, max] of the expected length. */
export function readInt32Array(
  obj: JsonRecord,
  key: string,
  what: string,
  length: number,
  min: number,
  max: number,
): Int32Array {
  const values = readArray(obj, key, what);
  if (values.length !== length) {
    throw new ModelFormatError(`${what}.${key} must have ${length} entries, got ${values.length}`);
  }
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ModelFormatError(`${what}.${key}[${i}] must be an integer in [${min}, ${max}]`);
    }
    out[i] = v;
  }
  return out;
}
