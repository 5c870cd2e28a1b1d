import { FIELD_TYPES } from './definition-document.schema';
import { Problems, asNumber, asString, at, closest, has, isRecord, quote } from './definition-document.problems';
import type { ImputeStrategy, InputFieldDefinition, MlTask, TargetDefinition } from './model-definition';

export type FieldType = InputFieldDefinition['type'];

/** What the rest of the document may refer to by name: every input, even one with other problems. */
export interface InputEntry {
  index: number;
  /** Undefined when the document's type is not a known one (already reported). */
  type?: FieldType;
  /** False when the value may be missing. */
  required: boolean;
  /** Whether the field imputes its own missing values. */
  imputed: boolean;
  /** Undefined when the entry has problems of its own. */
  field?: InputFieldDefinition;
}

export interface Inputs {
  fields: InputFieldDefinition[];
  byName: Map<string, InputEntry>;
  /** False when some input has no readable name: an unknown name may then be that one, so it is not reported. */
  complete: boolean;
}

export const isNumeric = (type: FieldType | undefined): boolean => type === 'number' || type === 'integer';

/** `reject`, one of the strategies, or nothing; undefined for a shape the schema already reports. */
type ImputeChoice = { kind: 'none' } | { kind: 'reject' } | { kind: 'impute'; impute: ImputeStrategy };

export function readImpute(raw: unknown): ImputeChoice | undefined {
  if (raw === undefined) return { kind: 'none' };
  if (raw === 'reject') return { kind: 'reject' };
  if (raw === 'median' || raw === 'mean' || raw === 'mode') return { kind: 'impute', impute: { strategy: raw } };
  if (!isRecord(raw)) return undefined;
  if (has(raw, 'constant')) {
    const value = raw.constant;
    return typeof value === 'string' || asNumber(value) !== undefined
      ? { kind: 'impute', impute: { strategy: 'constant', value: value as string | number } }
      : undefined;
  }
  const { strategy, key } = raw;
  if (strategy !== 'median' && strategy !== 'mean' && strategy !== 'mode') return undefined;
  if (key !== undefined && typeof key !== 'string') return undefined;
  return { kind: 'impute', impute: key === undefined ? { strategy } : { strategy, key } };
}

type Bounds = Pick<InputFieldDefinition, 'min' | 'max' | 'gt' | 'lt'>;

/** min/max/gt/lt (and `positive: true`, which is gt 0); reports bounds that conflict or leave no room. */
export function readBounds(item: Record<string, unknown>, path: string, problems: Problems): Bounds {
  const min = asNumber(item.min);
  const max = asNumber(item.max);
  let gt = asNumber(item.gt);
  const lt = asNumber(item.lt);
  const positive = item.positive === true;
  if (positive && has(item, 'gt')) problems.add(at(path, 'positive'), 'conflict', 'is gt: 0 and conflicts with gt');
  else if (positive) gt = 0;
  const lower = positive && !has(item, 'gt') ? 'positive: true (gt: 0)' : 'gt';
  if (min !== undefined && gt !== undefined) problems.add(at(path, 'min'), 'conflict', `conflicts with ${lower}`);
  if (max !== undefined && lt !== undefined) problems.add(at(path, 'max'), 'conflict', 'conflicts with lt');
  const low = min ?? gt;
  const high = max ?? lt;
  if (low !== undefined && high !== undefined && !(low < high)) {
    const [lowKey, highKey] = [min !== undefined ? 'min' : lower, max !== undefined ? 'max' : 'lt'];
    problems.add(at(path, highKey), 'conflict', `must be greater than ${lowKey} (${low})`);
  }
  return omitUndefined({ min, max, gt, lt });
}

/** Category values or class labels: numbers become strings, and must then still be unique. */
function readLabels(raw: unknown, path: string, problems: Problems): string[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const labels: string[] = [];
  const firstIndex = new Map<string, number>();
  raw.forEach((value, i) => {
    if (typeof value !== 'string' && asNumber(value) === undefined) return;
    const label = String(value);
    const first = firstIndex.get(label);
    // Equal raw values are reported by the schema; here only `1` against `'1'`.
    if (first === undefined) firstIndex.set(label, i);
    else if (raw[first] !== value) problems.add(at(path, i), 'duplicate', `repeats ${at(path, first)}`);
    labels.push(label);
  });
  return labels;
}

const NUMERIC_ONLY = ['min', 'max', 'gt', 'lt', 'positive', 'not_greater_than'];

/** The `features` list: each input field, normalized, and an index by name for the cross-references. */
export function readFeatures(raw: unknown, problems: Problems): Inputs {
  const complete = Array.isArray(raw) && raw.every((item) => isRecord(item) && typeof item.name === 'string');
  const inputs: Inputs = { fields: [], byName: new Map(), complete };
  if (!Array.isArray(raw)) return inputs;
  const pending: { item: Record<string, unknown>; path: string; entry: Omit<InputEntry, 'index'> }[] = [];
  raw.forEach((item: unknown, index) => {
    const path = at('features', index);
    if (!isRecord(item) || typeof item.name !== 'string') return;
    const type = FIELD_TYPES.find((t) => t === item.type);
    const entry = readFeature(item, path, type, problems);
    const previous = inputs.byName.get(item.name);
    if (previous) problems.add(at(path, 'name'), 'duplicate', `is already the name of features[${previous.index}]`);
    else inputs.byName.set(item.name, { ...entry, index });
    pending.push({ item, path, entry });
  });
  for (const { item, path, entry } of pending) {
    const other = asString(item.not_greater_than);
    if (other !== undefined && entry.field && isNumeric(entry.type)) {
      const ref = checkReference(other, at(path, 'not_greater_than'), inputs, problems, 'numeric');
      if (other === item.name) problems.add(at(path, 'not_greater_than'), 'conflict', 'names the field itself');
      else if (ref) entry.field.notGreaterThan = other;
    }
    if (entry.field) inputs.fields.push(entry.field);
  }
  return inputs;
}

function readFeature(
  item: Record<string, unknown>,
  path: string,
  type: FieldType | undefined,
  problems: Problems,
): Omit<InputEntry, 'index'> {
  const name = item.name as string;
  if (type === 'category') {
    for (const key of NUMERIC_ONLY.filter((k) => has(item, k))) {
      problems.add(at(path, key), 'type_mismatch', 'is only allowed for number and integer fields');
    }
  } else if (type && has(item, 'values')) {
    problems.add(at(path, 'values'), 'type_mismatch', 'is only allowed for category fields');
  }
  const bounds = isNumeric(type) ? readBounds(item, path, problems) : {};
  const choice = readImpute(item.impute);
  const imputePath = at(path, 'impute');
  if (choice?.kind === 'impute' && item.required === true) {
    problems.add(at(path, 'required'), 'conflict', 'true conflicts with impute (an imputed field is optional)');
  }
  if (choice?.kind === 'reject' && item.required === false) {
    problems.add(imputePath, 'conflict', 'reject makes the field required, but required is false');
  }
  const impute = choice?.kind === 'impute' ? choice.impute : undefined;
  if (impute && type) {
    const field: InputFieldDefinition = { name, type, required: false, ...bounds };
    const mismatch = imputeMismatch(impute, field);
    if (mismatch) problems.add(imputePath, 'type_mismatch', mismatch);
    else if (impute.strategy === 'constant') addValueProblem(field, impute.value, at(imputePath, 'constant'), problems);
  }
  const required = impute ? false : choice?.kind === 'reject' || item.required !== false;
  // An impute of the wrong shape (already reported) counts as one, so that no column is blamed for it.
  const imputed = impute !== undefined || !choice;
  if (!type || !choice) return { type, required, imputed };
  const field: InputFieldDefinition = omitUndefined({
    name,
    type,
    required,
    impute,
    ...bounds,
    values: type === 'category' ? readLabels(item.values, at(path, 'values'), problems) : undefined,
    unit: asString(item.unit),
    description: asString(item.description),
  });
  return { type, required, imputed, field };
}

function imputeMismatch(impute: ImputeStrategy, field: InputFieldDefinition): string | undefined {
  const numeric = isNumeric(field.type);
  if ((impute.strategy === 'median' || impute.strategy === 'mean') && !numeric) {
    return `${impute.strategy} needs a number or integer field; use mode or a constant for a category`;
  }
  if (impute.strategy !== 'constant') return undefined;
  if (numeric && typeof impute.value !== 'number') return 'constant must be a number for a number or integer field';
  if (!numeric && typeof impute.value !== 'string') return 'constant must be a string for a category field';
  return undefined;
}

/**
 * Checks a reference to an input: reports an unknown name (with a suggestion) and, when `need` is given, a field
 * of the wrong kind. Returns the entry when the reference is usable.
 */
export function checkReference(
  name: string,
  path: string,
  inputs: Inputs,
  problems: Problems,
  need?: 'numeric' | 'category',
  hint = '',
): InputEntry | undefined {
  const entry = inputs.byName.get(name);
  if (!entry) {
    if (!inputs.complete) return undefined;
    const suggestion = closest(name, inputs.byName.keys());
    const detail = `${quote(name)} is not an input field${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
    problems.add(path, 'unknown_field', detail);
    return undefined;
  }
  if (entry.type === undefined || need === undefined) return entry;
  if (need === 'numeric' && !isNumeric(entry.type)) {
    problems.add(path, 'type_mismatch', `${quote(name)} is a category, not a number or integer field${hint}`);
    return undefined;
  }
  if (need === 'category' && entry.type !== 'category') {
    problems.add(path, 'type_mismatch', `${quote(name)} is a ${entry.type} field, not a category${hint}`);
    return undefined;
  }
  return entry;
}

/** Reports a value (an example cell, an impute constant) that its field would refuse; returns whether it is fine. */
export function addValueProblem(
  field: InputFieldDefinition,
  value: unknown,
  path: string,
  problems: Problems,
): boolean {
  if (field.type === 'category') {
    const label = typeof value === 'number' ? String(value) : value;
    if (typeof label !== 'string') problems.add(path, 'type_mismatch', 'must be a string');
    else if (field.values && !field.values.includes(label)) {
      const shown = field.values.slice(0, 10).map(quote).join(', ');
      problems.add(path, 'enum', `must be one of ${shown}${field.values.length > 10 ? ', …' : ''}`);
    } else return true;
    return false;
  }
  const number = asNumber(value);
  const broken =
    number === undefined
      ? 'must be a number'
      : field.type === 'integer' && !Number.isInteger(number)
        ? 'must be an integer'
        : field.min !== undefined && number < field.min
          ? `must be at least ${field.min}`
          : field.max !== undefined && number > field.max
            ? `must be at most ${field.max}`
            : field.gt !== undefined && number <= field.gt
              ? `must be greater than ${field.gt}`
              : field.lt !== undefined && number >= field.lt
                ? `must be less than ${field.lt}`
                : undefined;
  if (broken)
    problems.add(path, number === undefined || broken.endsWith('integer') ? 'type_mismatch' : 'range', broken);
  return broken === undefined;
}

const REGRESSION_ONLY = ['divide_by', 'unit', 'min', 'max', 'gt', 'lt', 'also'];

/** `target`: a column name or an object; keys of the other task and a target that is also an input are problems. */
export function readTarget(
  raw: unknown,
  task: MlTask | undefined,
  inputs: Inputs,
  problems: Problems,
): TargetDefinition | undefined {
  const item = typeof raw === 'string' ? { name: raw } : isRecord(raw) ? raw : undefined;
  if (!item || typeof item.name !== 'string') return undefined;
  const name = item.name;
  const namePath = typeof raw === 'string' ? 'target' : 'target.name';
  if (inputs.byName.has(name)) {
    problems.add(namePath, 'conflict', `${quote(name)} is an input feature; the target cannot also be an input`);
  }
  const onlyFor = (keys: string[], only: MlTask) =>
    keys
      .filter((k) => has(item, k))
      .forEach((k) => problems.add(at('target', k), 'task', `is only for ${only} models`));
  if (task === 'classification') onlyFor(REGRESSION_ONLY, 'regression');
  if (task === 'regression') onlyFor(['classes'], 'classification');
  const also = isRecord(item.also) ? item.also : {};
  return omitUndefined({
    name,
    divideBy: asNumber(item.divide_by) ?? 1,
    unit: asString(item.unit) ?? '',
    output: asString(item.output) ?? name,
    description: asString(item.description),
    ...readBounds(item, 'target', problems),
    also: Object.fromEntries(Object.entries(also).filter((e): e is [string, number] => asNumber(e[1]) !== undefined)),
    classes: task === 'classification' ? readLabels(item.classes, 'target.classes', problems) : undefined,
  });
}

/** The object without its undefined properties (normalized definitions carry no `key: undefined`). */
export function omitUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
