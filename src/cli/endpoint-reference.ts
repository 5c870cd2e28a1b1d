import type { OpenAPIObject } from '@nestjs/swagger';
import type { RouteAccess } from '../common/http/openapi-document';

/** One operation of the OpenAPI document, as a row of the endpoint reference. */
export interface EndpointRow {
  tag: string;
  method: string;
  path: string;
  summary: string;
  access: RouteAccess;
  status: string;
}

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  responses?: Record<string, unknown>;
  security?: Record<string, unknown>[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const UNTAGGED = 'other';

/** The status of a successful answer: the lowest 2xx the operation declares (else 3xx, else a range or default). */
function successStatus(responses: Record<string, unknown> = {}): string {
  const codes = Object.keys(responses).sort();
  return (
    codes.find((code) => /^2\d\d$/.test(code)) ??
    codes.find((code) => /^3\d\d$/.test(code)) ??
    codes.find((code) => /^[23]XX$/i.test(code)) ??
    (codes.includes('default') ? 'default' : '–')
  );
}

/**
 * The access of an operation: its controller method's decorators, found by its operationId; an operation without
 * one (the routes each model gets from its definition, all prediction routes) by its own OpenAPI security (a
 * requirement without the empty alternative is an admin route; otherwise an API key when API_KEYS is set).
 */
function accessOf(operation: Operation, byOperationId: ReadonlyMap<string, RouteAccess>): RouteAccess {
  if (operation.operationId !== undefined) {
    const known = byOperationId.get(operation.operationId);
    if (!known) throw new Error(`No controller method has the operationId ${operation.operationId}`);
    return known;
  }
  const security = operation.security;
  return security && security.length > 0 && security.every((r) => Object.keys(r).length > 0) ? 'admin' : 'api-key';
}

/** Every operation of the document, in the document's order of paths, with its first tag and first sentence. */
export function endpointRows(document: OpenAPIObject, byOperationId: ReadonlyMap<string, RouteAccess>): EndpointRow[] {
  const rows: EndpointRow[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const operations = item as Record<string, Operation | undefined>;
    for (const method of METHODS) {
      const operation = operations[method];
      if (!operation) continue;
      // The first sentence: a handler's whole comment becomes its summary.
      const summary = (operation.summary ?? operation.description ?? '').split(/(?<=\.)\s+(?=[A-Z`])/)[0];
      rows.push({
        tag: operation.tags?.[0] ?? UNTAGGED,
        method: method.toUpperCase(),
        path,
        summary: summary.replace(/\s+/g, ' ').trim(),
        access: accessOf(operation, byOperationId),
        status: successStatus(operation.responses),
      });
    }
  }
  return rows;
}

const ACCESS_LABEL: Record<RouteAccess, string> = { none: 'none', 'api-key': 'API key', admin: 'admin key' };
const cell = (text: string): string => text.replace(/\|/g, '\\|') || '–';

/** How to regenerate the page, said at its top and by the staleness check. */
export const REGENERATE = 'npm run api:docs -- --write';

/** The tag of each model's own routes (withModelRoutes): they come after the service's. */
const MODEL_TAG = /^model: /;

/** A heading's anchor on GitHub: lowercase, punctuation but `-` and `_` dropped, spaces made `-`. */
const anchor = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');

/**
 * The endpoint reference in Markdown: a short introduction and a line of links to the tags, then per tag (by name,
 * the service's before the models') its description and a table of method, path, summary, who may call it and the
 * success status; the operations of a tag in the document's order.
 */
export function endpointReference(document: OpenAPIObject, rows: readonly EndpointRow[]): string {
  const described = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description]));
  const tags = [...new Set(rows.map((row) => row.tag))].sort(
    (a, b) => Number(MODEL_TAG.test(a)) - Number(MODEL_TAG.test(b)) || a.localeCompare(b, 'en'),
  );
  const lines = [
    '# Endpoints',
    '',
    `<!-- Generated from the OpenAPI document by \`${REGENERATE}\`: do not edit by hand. -->`,
    '',
    `The service's ${rows.length} HTTP endpoints, grouped by tag, as its OpenAPI document lists them (Swagger UI at`,
    '`/docs`, the JSON at `/docs-json`). This page is generated from the application itself with the built-in model',
    'definitions only; every model you add gets the same routes as theirs under a tag of its own. Regenerate it with',
    `\`${REGENERATE}\`; \`npm run check\` fails when it is out of date (\`npm run api:docs -- --check\`).`,
    '',
    'Who may call an endpoint:',
    '',
    '- **none**: no key is ever needed (the probes and the metrics).',
    '- **API key**: open while `API_KEYS` is unset; once it is set, one of its keys or `ADMIN_API_KEY`.',
    '- **admin key**: `ADMIN_API_KEY` only; these endpoints answer 403 while it is unset.',
    '',
    'A key is sent as `Authorization: Bearer <key>` or `x-api-key: <key>`. **Success** is the status of a',
    'successful answer; the error statuses of each endpoint are in the OpenAPI document.',
    '',
    `Tags: ${tags.map((tag) => `[${tag}](#${anchor(tag)})`).join(' · ')}`,
    '',
    // Generated tables stay compact (Prettier would pad every row to the longest summary), as in the README's.
    '<!-- prettier-ignore-start -->',
  ];
  for (const tag of tags) {
    lines.push('', `## ${tag}`, '');
    const description = described.get(tag)?.replace(/\s+/g, ' ').trim();
    if (description) lines.push(description, '');
    lines.push('| Method | Path | Summary | Who may call it | Success |', '| --- | --- | --- | --- | --- |');
    for (const row of rows.filter((r) => r.tag === tag)) {
      lines.push(
        `| ${row.method} | \`${row.path}\` | ${cell(row.summary)} | ${ACCESS_LABEL[row.access]} | ${row.status} |`,
      );
    }
  }
  lines.push('', '<!-- prettier-ignore-end -->');
  return `${lines.join('\n')}\n`;
}

/** At most this many differing lines are named from each side. */
const SHOWN = 20;

/**
 * What differs between the page on disk and the one generated now, line by line: the lines of the page that the
 * generated text lacks (with their line numbers), then the generated lines the page lacks. Empty when they are equal.
 */
export function referenceDifferences(current: string, expected: string, name: string): string[] {
  if (current === expected) return [];
  const remaining = new Map<string, number>();
  for (const line of expected.split('\n')) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  const stale: string[] = [];
  current.split('\n').forEach((line, i) => {
    const left = remaining.get(line) ?? 0;
    if (left > 0) remaining.set(line, left - 1);
    else stale.push(`  ${name}:${i + 1} has:   ${line}`);
  });
  const missing = [...remaining].flatMap(([line, count]) =>
    Array.from({ length: count }, () => `  generated, absent: ${line}`),
  );
  const named = [...stale.slice(0, SHOWN), ...missing.slice(0, SHOWN)];
  const more = Math.max(0, stale.length - SHOWN) + Math.max(0, missing.length - SHOWN);
  if (more > 0) named.push(`  … and ${more} more lines`);
  return named.length > 0 ? named : ['  the same lines in another order'];
}
