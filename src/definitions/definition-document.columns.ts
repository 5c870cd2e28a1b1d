import { COLUMN_OPERATIONS, MAX_NEIGHBOURS } from './definition-document.schema';
import { Problems, asNumber, asString, at, has, isRecord, quote } from './definition-document.problems';
import { InputEntry, Inputs, checkReference, isNumeric, omitUndefined, readImpute } from './definition-document.fields';
import { NEIGHBOUR_STATS } from './model-definition';
import type { ColumnDefinition, ColumnOperation, ImputeStrategy, MlTask, NeighbourOperation } from './model-definition';

type Operation = (typeof COLUMN_OPERATIONS)[number];
/** A field named by a column, with the path of the name. */
type Reference = { path: string; name: string };

/**
 * `columns`, or by default every input in order (numbers as they are, categories one-hot). `task` (undefined when
 * the document's is not a known one) decides whether a column may read the target.
 */
export function readColumns(raw: unknown, inputs: Inputs, problems: Problems, task?: MlTask): ColumnDefinition[] {
  if (raw === undefined) return defaultColumns(inputs, problems);
  if (!Array.isArray(raw)) return [];
  const columns: ColumnDefinition[] = [];
  const names = new Map<string, number>();
  raw.forEach((item: unknown, index) => {
    const path = at('columns', index);
    const column =
      typeof item === 'string'
        ? fromInputName(item, path, inputs, problems)
        : isRecord(item)
          ? fromObject(item, path, inputs, problems, task)
          : undefined;
    const name = typeof item === 'string' ? item : isRecord(item) ? asString(item.name ?? item.one_hot) : undefined;
    if (name === undefined) return;
    const first = names.get(name);
    const namePath = isRecord(item) && has(item, 'name') ? at(path, 'name') : path;
    if (first !== undefined)
      problems.add(namePath, 'duplicate', `${quote(name)} is already the name of columns[${first}]`);
    else names.set(name, index);
    if (column) columns.push(column);
  });
  return columns;
}

function defaultColumns(inputs: Inputs, problems: Problems): ColumnDefinition[] {
  return inputs.fields.map((field) => {
    const entry = inputs.byName.get(field.name);
    if (entry && !entry.required && !entry.imputed) {
      problems.add(
        at(at('features', entry.index), 'impute'),
        'needs_impute',
        `${quote(field.name)} is optional and the default columns use it as it is: give it an impute, or list columns that impute it`,
      );
    }
    const op = isNumeric(field.type) ? 'input' : 'one_hot';
    return { op, field: field.name, name: field.name };
  });
}

/** A column given as an input name: the number as it is, or a category one-hot. */
function fromInputName(name: string, path: string, inputs: Inputs, problems: Problems): ColumnDefinition | undefined {
  const entry = checkReference(name, path, inputs, problems);
  if (!entry?.type) return undefined;
  const op = isNumeric(entry.type) ? 'input' : 'one_hot';
  addNeedsImpute(entry, { path, name }, op, undefined, problems);
  return { op, field: name, name };
}

function fromObject(
  item: Record<string, unknown>,
  path: string,
  inputs: Inputs,
  problems: Problems,
  task: MlTask | undefined,
): ColumnDefinition | undefined {
  const ops = COLUMN_OPERATIONS.filter((key) => has(item, key));
  if (ops.length === 0) {
    problems.add(path, 'operation', `needs one operation key: ${COLUMN_OPERATIONS.join(', ')}`);
    return undefined;
  }
  if (ops.length > 1) {
    problems.add(path, 'conflict', `has ${ops.length} operation keys (${ops.join(', ')}); a column has exactly one`);
    return undefined;
  }
  const op = ops[0];
  const { references, operation } = readOperation(op, item[op], at(path, op), problems, task);
  const choice = readImpute(item.impute);
  if (op === 'one_hot' && has(item, 'impute')) {
    problems.add(
      at(path, 'impute'),
      'conflict',
      'is not allowed on a one_hot column: give the category field an impute',
    );
  }
  const impute = choice?.kind === 'impute' ? choice.impute : undefined;
  if (op === 'neighbours' && impute && impute.strategy !== 'constant') {
    problems.add(
      at(path, 'impute'),
      'conflict',
      `can only be a constant on a neighbours column (a ${impute.strategy} would need the column's training values)`,
    );
  }
  const need = op === 'one_hot' ? 'category' : 'numeric';
  const hint = op === 'input' ? '; use one_hot for a category' : op === 'one_hot' ? '; use input for a number' : '';
  let usable = true;
  for (const reference of references) {
    const entry = checkReference(reference.name, reference.path, inputs, problems, need, hint);
    // A neighbours column's `of` is read from the training rows it searches: the row may lack it.
    const fromTrainingRows = op === 'neighbours' && reference.path.endsWith('.of');
    if (entry && choice) {
      if (!fromTrainingRows) addNeedsImpute(entry, reference, op, impute, problems);
    } else usable = false;
  }
  const name = asString(item.name) ?? (op === 'one_hot' ? asString(item.one_hot) : undefined);
  if (!operation || !usable || name === undefined || !choice) return undefined;
  return omitUndefined({ ...operation, name, description: asString(item.description), impute });
}

/** An optional input without its own impute may only feed a numeric column that imputes its own value. */
function addNeedsImpute(
  entry: InputEntry,
  reference: Reference,
  op: Operation,
  columnImpute: ImputeStrategy | undefined,
  problems: Problems,
): void {
  if (entry.required || entry.imputed || columnImpute) return;
  const advice =
    op === 'one_hot'
      ? 'give the category field an impute (one_hot columns do not impute)'
      : 'a missing value would give NaN: give this column an impute, or the field one';
  problems.add(reference.path, 'needs_impute', `${quote(reference.name)} is optional and has no impute; ${advice}`);
}

/**
 * The fields an operation names (whatever else is wrong with it) and, when its shape is right, the operation. Shape
 * problems are the schema's; the rules it cannot express are reported here.
 */
function readOperation(
  op: Operation,
  value: unknown,
  path: string,
  problems: Problems,
  task: MlTask | undefined,
): { references: Reference[]; operation?: ColumnOperation } {
  switch (op) {
    case 'input':
    case 'log1p':
    case 'sqrt':
    case 'one_hot':
      return typeof value === 'string'
        ? { references: [{ path, name: value }], operation: { op, field: value } }
        : none;
    case 'ratio':
    case 'difference': {
      const references = listReferences(value, path);
      const [a, b] = references.map((r) => r.name);
      if (!Array.isArray(value) || value.length !== 2 || references.length !== 2) return { references };
      return op === 'ratio'
        ? { references, operation: { op, numerator: a, denominator: b } }
        : { references, operation: { op, minuend: a, subtrahend: b } };
    }
    case 'product':
    case 'sum': {
      const references = listReferences(value, path);
      if (!Array.isArray(value) || value.length < 2 || references.length !== value.length) return { references };
      return { references, operation: { op, fields: references.map((r) => r.name) } };
    }
    case 'haversine_km': {
      if (!isRecord(value)) return none;
      const references = namedReferences(value, path, ['lat', 'lon']);
      const to = Array.isArray(value.to) ? value.to.map(asNumber) : [];
      const [lat, lon] = [asString(value.lat), asString(value.lon)];
      const [toLat, toLon] = to;
      const fine =
        lat !== undefined && lon !== undefined && to.length === 2 && toLat !== undefined && toLon !== undefined;
      return fine ? { references, operation: { op, lat, lon, toLat, toLon } } : { references };
    }
    case 'rotate': {
      if (!isRecord(value)) return none;
      const references = namedReferences(value, path, ['x', 'y']);
      const [x, y, degrees] = [asString(value.x), asString(value.y), asNumber(value.degrees)];
      return x !== undefined && y !== undefined && degrees !== undefined
        ? { references, operation: { op, x, y, degrees } }
        : { references };
    }
    case 'neighbours':
      return isRecord(value) ? readNeighbours(value, path, problems, task) : none;
  }
}

/**
 * `neighbours: {lat, lon, k, stat, of, log}`: two different coordinates; max_km (a distance) reads no value, so takes
 * neither `of` nor `log`; any other statistic without `of` reads the target, which only a regression's is a number.
 */
function readNeighbours(
  value: Record<string, unknown>,
  path: string,
  problems: Problems,
  task: MlTask | undefined,
): { references: Reference[]; operation?: NeighbourOperation } {
  const references = namedReferences(value, path, ['lat', 'lon', 'of']);
  const [lat, lon, of, k] = [asString(value.lat), asString(value.lon), asString(value.of), asNumber(value.k)];
  const stat = NEIGHBOUR_STATS.find((s) => s === value.stat);
  const log = value.log;
  let ruled = true;
  if (lat !== undefined && lat === lon) {
    problems.add(at(path, 'lon'), 'conflict', `names the same field as lat (${quote(lat)})`);
    ruled = false;
  }
  if (stat === 'max_km') {
    for (const key of ['of', 'log'].filter((key) => has(value, key))) {
      problems.add(at(path, key), 'conflict', 'is not allowed with stat max_km (a distance reads no value)');
      ruled = false;
    }
  } else if (stat !== undefined && !has(value, 'of') && task === 'classification') {
    problems.add(
      path,
      'task',
      `${stat} of the target is only for regression models (a class is not a number): name a numeric input in of`,
    );
    ruled = false;
  }
  // A value of the wrong shape or out of range was reported by the schema.
  const shaped =
    k !== undefined &&
    Number.isInteger(k) &&
    k >= 1 &&
    k <= MAX_NEIGHBOURS &&
    (of !== undefined || !has(value, 'of')) &&
    (typeof log === 'boolean' || !has(value, 'log'));
  if (!ruled || !shaped || lat === undefined || lon === undefined || stat === undefined || k === undefined) {
    return { references };
  }
  const operation = omitUndefined({ op: 'neighbours' as const, lat, lon, k, stat, of, log: log === true || undefined });
  return { references, operation };
}

const none = { references: [] };

const listReferences = (value: unknown, path: string): Reference[] =>
  Array.isArray(value)
    ? value.flatMap((name: unknown, i) => (typeof name === 'string' ? [{ path: at(path, i), name }] : []))
    : [];

const namedReferences = (value: Record<string, unknown>, path: string, keys: string[]): Reference[] =>
  keys.flatMap((key) => (typeof value[key] === 'string' ? [{ path: at(path, key), name: value[key] }] : []));
