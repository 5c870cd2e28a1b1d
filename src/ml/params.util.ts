import { InvalidInputError } from './invalid-input.error';

/** Runtime checks for hyper-parameters (they may come from JSON or an HTTP request). */

export function checkNumber(name: string, value: unknown, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidInputError(`${name} must be a number in [${min}, ${max}]`);
  }
  if (integer && !Number.isInteger(value)) throw new InvalidInputError(`${name} must be an integer`);
  return value;
}

/** An integer limit where -1 means "no limit". */
export function checkLimit(name: string, value: unknown, min: number): number {
  if (value === -1) return -1;
  return checkNumber(name, value, min, Number.MAX_SAFE_INTEGER, true);
}

export function checkOneOf<T>(name: string, value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new InvalidInputError(`${name} must be one of ${allowed.join(', ')}`);
  return found;
}

/** Defaults overridden by every key of `overrides` whose value is not undefined. */
export function withDefaults<T extends object>(defaults: T, overrides: Partial<T>): T {
  const merged = { ...defaults };
  for (const key of Object.keys(overrides) as (keyof T)[]) {
    const value = overrides[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
