import type { ErrorObject } from 'ajv';
import { clampText } from '../common/errors/clamp-text.util';
import type { FieldProblem } from '../common/errors/domain.error';
import { PATTERN_MEANINGS } from './definition-document.schema';

/** Longest user text (a name, a key) quoted in a problem. */
const MAX_QUOTED = 80;
/** Allowed keys are listed in an unknown-key problem when there are at most this many. */
const MAX_LISTED_KEYS = 12;

/** The problems found in one document, each with its path (`features[3].type`) and a message starting with it. */
export class Problems {
  readonly list: FieldProblem[] = [];
  private readonly seen = new Set<string>();

  /** At most this many are kept: a document full of mistakes gets a readable answer, not one as large as itself. */
  static readonly MAX = 100;

  add(field: string, rule: string, detail: string): void {
    const key = `${field}\u0000${rule}`;
    if (this.seen.has(key) || this.list.length >= Problems.MAX) return;
    this.seen.add(key);
    this.list.push({ field, rule, message: `${field}: ${detail}` });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** The problems in the order of the document: by top-level key as written, then by the first list index. */
  inDocumentOrder(document: Record<string, unknown>): FieldProblem[] {
    const keys = Object.keys(document);
    const position = (field: string): [number, number] => {
      const [, key = '', index] = /^([^.[]*)(?:\[(\d+)\])?/.exec(field) ?? [];
      const top = keys.indexOf(key);
      return [key === '(document)' ? -1 : top === -1 ? keys.length : top, index === undefined ? -1 : Number(index)];
    };
    const order = new Map(this.list.map((p) => [p, position(p.field)]));
    return [...this.list].sort((a, b) => {
      const [pa, pb] = [order.get(a) ?? [0, 0], order.get(b) ?? [0, 0]];
      return pa[0] - pb[0] || pa[1] - pb[1];
    });
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const has = (object: Record<string, unknown>, key: string): boolean =>
  Object.hasOwn(object, key) && object[key] !== undefined;

export const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** User text made safe to show: control characters replaced, cut at 80 characters. */
export function cut(text: string): string {
  const clamped = clampText(text);
  return clamped.length > MAX_QUOTED ? `${clamped.slice(0, MAX_QUOTED)}…` : clamped;
}

/** A user value quoted for a message (`"total_rooms"`), cut at 80 characters. */
export const quote = (value: unknown): string => `"${cut(String(value))}"`;

/** The path of a child: `features[3]` for an index, `target.also.dollars` for a key. */
export const at = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${cut(key)}` : cut(key);

/** `a, b or c`. */
export const oneOf = (items: readonly string[], last = 'or'): string =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;

/** The known word closest to a misspelt one (at most 2 edits away), for "did you mean". */
export function closest(word: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, word.length - 1) + 1;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

/** Turns ajv's errors into problems with document paths and plain messages (no `oneOf`/`if` noise). */
export function addAjvProblems(errors: readonly ErrorObject[], document: unknown, problems: Problems): void {
  for (const error of errors) {
    const { path, value } = documentPath(error.instancePath, document);
    const params = error.params as Record<string, unknown>;
    const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
    const propertyName = (error as { propertyName?: string }).propertyName;
    switch (error.keyword) {
      case 'if':
      case 'propertyNames':
        break; // the failing branch's own errors say what is wrong
      case 'required':
        problems.add(at(path, String(params.missingProperty)), 'required', 'is required');
        break;
      case 'additionalProperties': {
        const key = String(params.additionalProperty);
        problems.add(at(path, key), 'additionalProperties', unknownKey(key, Object.keys(schema.properties ?? {})));
        break;
      }
      case 'type':
        // js-yaml reads an unquoted 2024-01-31 as a date, which no key of a definition takes.
        problems.add(
          path,
          'type',
          `must be ${describeTypes(params.type)}${value instanceof Date ? ' (quote dates)' : ''}`,
        );
        break;
      case 'enum':
        problems.add(
          propertyName === undefined ? path : at(path, propertyName),
          'enum',
          `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`,
        );
        break;
      case 'pattern': {
        const pattern = String(params.pattern);
        const meaning = PATTERN_MEANINGS[pattern];
        const detail = `must match ${pattern}${meaning ? ` (${meaning})` : ''}`;
        problems.add(propertyName === undefined ? path : at(path, propertyName), 'pattern', detail);
        break;
      }
      case 'uniqueItems': {
        const [first, repeat] = [Number(params.i), Number(params.j)].sort((x, y) => x - y);
        problems.add(at(path, repeat), 'duplicate', `repeats ${at(path, first)}`);
        break;
      }
      default:
        problems.add(path, error.keyword, limitMessage(error.keyword, params, schema) ?? error.message ?? 'is invalid');
    }
  }
}

function unknownKey(key: string, known: string[]): string {
  if (known.length === 0) return 'is not a known key';
  if (known.length <= MAX_LISTED_KEYS) return `is not a known key (known: ${known.join(', ')})`;
  const suggestion = closest(key, known);
  return `is not a known key${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

function describeTypes(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return types.length === 1 && types[0] === 'boolean' ? 'true or false' : oneOf(types.map((t) => TYPE_WORDS[t] ?? t));
}

function limitMessage(keyword: string, params: Record<string, unknown>, schema: Record<string, unknown>) {
  const limit = Number(params.limit);
  const exactItems = schema.minItems !== undefined && schema.minItems === schema.maxItems;
  const exactLength = schema.minLength !== undefined && schema.minLength === schema.maxLength;
  switch (keyword) {
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${limit}`;
    case 'minItems':
    case 'maxItems':
      if (exactItems) return `must have exactly ${limit} item${limit === 1 ? '' : 's'}`;
      if (keyword === 'maxItems') return `must have at most ${limit} items`;
      return limit === 1 ? 'must not be empty' : `must have at least ${limit} items`;
    case 'minLength':
    case 'maxLength':
      if (exactLength) return `must be exactly ${limit} character${limit === 1 ? '' : 's'}`;
      if (keyword === 'maxLength') return `must be at most ${limit} characters`;
      return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters`;
    case 'minProperties':
      return limit === 1 ? 'must not be empty' : `must have at least ${limit} keys`;
    default:
      return undefined;
  }
}

/** `/features/3/type` → `features[3].type`, deciding index or key from the document itself. */
function documentPath(pointer: string, document: unknown): { path: string; value: unknown } {
  let path = '';
  let node = document;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path = at(path, Number(segment));
      node = node[Number(segment)] as unknown;
    } else {
      path = at(path, segment);
      node = isRecord(node) ? node[segment] : undefined;
    }
  }
  return { path, value: node };
}
