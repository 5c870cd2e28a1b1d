import type { FeatureSpec, InputField } from '../data/feature-spec';

/** True when a value passes every rule; false sends it to class-validator, which names the broken rules. */
export type RowCheck = (value: unknown) => boolean;

function fieldCheck(field: InputField, spec: FeatureSpec): (row: Record<string, unknown>) => boolean {
  const name = field.name;
  if (field.type === 'category') {
    const categories = new Set<unknown>(field.categories);
    const optional = !field.required;
    const known = field.open
      ? (value: unknown) => typeof value === 'string' && value !== ''
      : (value: unknown) => categories.has(value);
    return (row) => {
      const value = row[name];
      return known(value) || (optional && (value === undefined || value === null));
    };
  }
  const { minExclusive, maxExclusive, required, notGreaterThan, integer } = field;
  const min = field.min ?? -Infinity;
  const max = field.max ?? Infinity;
  if (notGreaterThan && !spec.inputs.some((f) => f.name === notGreaterThan)) {
    throw new Error(`${spec.model}.${name} refers to an unknown field ${notGreaterThan}`);
  }
  return (row) => {
    const value = row[name];
    if (value === undefined || value === null) return !required;
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    if (integer && !Number.isInteger(value)) return false;
    if (minExclusive ? value <= min : value < min) return false;
    if (maxExclusive ? value >= max : value > max) return false;
    if (notGreaterThan === undefined) return true;
    const bound = row[notGreaterThan];
    return typeof bound !== 'number' || value <= bound;
  };
}

/**
 * The rules of a model's input row (the request DTO's class-validator rules, read from the same feature spec) as
 * one plain function: an object with only known fields, each of the right type, finite and in range, categories
 * known, cross-field bounds kept. It answers yes or no; a row it refuses is validated again by class-validator to
 * name each field and rule, so errors keep one source. A spec proves both agree on generated rows.
 */
export function compileRowCheck(spec: FeatureSpec): RowCheck {
  const allowed = new Set(spec.inputs.map((f) => f.name));
  const checks = spec.inputs.map((f) => fieldCheck(f, spec));
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const row = value as Record<string, unknown>;
    for (const key in row) if (!Object.hasOwn(row, key) || !allowed.has(key)) return false;
    for (const check of checks) if (!check(row)) return false;
    return true;
  };
}
