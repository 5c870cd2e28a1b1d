import type { OpenAPIObject } from '@nestjs/swagger';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { RouteAccess } from '../common/http/openapi-document';
import { endpointReference, endpointRows, referenceDifferences } from './endpoint-reference';

const ADMIN_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { 'api-key': [] }];
const r = { description: '' };

const document = (): OpenAPIObject => ({
  openapi: '3.0.0',
  info: { title: 'test', version: '1' },
  security: [{ bearer: [] }, { 'api-key': [] }, {}],
  tags: [{ name: 'model: iris', description: 'Species of an iris flower' }],
  paths: {
    '/health/live': {
      get: { operationId: 'HealthController_live', tags: ['health'], summary: 'Liveness', responses: { 200: r } },
    },
    '/retrain': {
      post: {
        operationId: 'RetrainingController_start',
        tags: ['retraining'],
        summary: 'Start a retraining. It runs in the background.',
        responses: { 202: r, 401: r, 403: r },
        security: ADMIN_SECURITY,
      },
    },
    '/models/{name}/versions/import': {
      post: {
        operationId: 'ModelsController_import',
        tags: ['registry'],
        summary: 'Imports a model | an XGBoost file',
        responses: { 400: r, 201: r },
      },
      get: { operationId: 'ModelsController_list', tags: ['registry'], responses: { default: r } },
    },
    '/predict/iris': {
      post: { tags: ['model: iris'], summary: 'One iris row', responses: { 200: r, 400: r } },
    },
    '/models/iris/secret': {
      put: { tags: ['model: iris'], summary: 'Admin by its security', responses: { 204: r }, security: ADMIN_SECURITY },
    },
  },
});

const access = new Map<string, RouteAccess>([
  ['HealthController_live', 'none'],
  ['RetrainingController_start', 'admin'],
  ['ModelsController_import', 'admin'],
  ['ModelsController_list', 'api-key'],
]);

describe('endpointRows', () => {
  it('lists every operation with its first tag, first sentence, access and success status', () => {
    const rows = endpointRows(document(), access);
    expect(rows.map((r) => [r.method, r.path, r.tag, r.summary, r.access, r.status])).toEqual([
      ['GET', '/health/live', 'health', 'Liveness', 'none', '200'],
      ['POST', '/retrain', 'retraining', 'Start a retraining.', 'admin', '202'],
      ['GET', '/models/{name}/versions/import', 'registry', '', 'api-key', 'default'],
      ['POST', '/models/{name}/versions/import', 'registry', 'Imports a model | an XGBoost file', 'admin', '201'],
      ['POST', '/predict/iris', 'model: iris', 'One iris row', 'api-key', '200'],
      ['PUT', '/models/iris/secret', 'model: iris', 'Admin by its security', 'admin', '204'],
    ]);
  });

  it('takes the access of a known operation from its decorators, not from its security', () => {
    const opened = new Map(access).set('RetrainingController_start', 'none');
    expect(endpointRows(document(), opened).find((r) => r.path === '/retrain')?.access).toBe('none');
  });

  it('refuses an operationId that no controller method has (its access would be a guess)', () => {
    const unknown = new Map(access);
    unknown.delete('HealthController_live');
    expect(() => endpointRows(document(), unknown)).toThrow(
      'No controller method has the operationId HealthController_live',
    );
  });
});

describe('endpointReference', () => {
  const markdown = endpointReference(document(), endpointRows(document(), access));

  it('says it is generated and how to regenerate it', () => {
    expect(markdown).toMatch(/^# Endpoints\n/);
    expect(markdown).toContain('npm run api:docs -- --write');
    expect(markdown).toContain("The service's 6 HTTP endpoints");
  });

  it("writes one table per tag, by name with the models' last, with the tag description", () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual(['## health', '## registry', '## retraining', '## model: iris']);
    expect(markdown).toContain(
      'Tags: [health](#health) · [registry](#registry) · [retraining](#retraining) · [model: iris](#model-iris)\n',
    );
    expect(markdown).toContain('## model: iris\n\nSpecies of an iris flower\n\n| Method | Path |');
    expect(markdown).toContain('| POST | `/retrain` | Start a retraining. | admin key | 202 |');
    expect(markdown).toContain('| GET | `/health/live` | Liveness | none | 200 |');
    expect(markdown).toContain('| POST | `/predict/iris` | One iris row | API key | 200 |');
  });

  it('is left as it is by Prettier (npm run format:check)', () => {
    const root = join(__dirname, '..', '..');
    const prettier = join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
    const formatted = execFileSync(process.execPath, [prettier, '--stdin-filepath', 'docs/endpoints.md'], {
      cwd: root,
      input: markdown,
      encoding: 'utf8',
    });
    expect(formatted).toBe(markdown);
  });

  it('escapes pipes and marks a missing summary', () => {
    expect(markdown).toContain('| Imports a model \\| an XGBoost file | admin key | 201 |');
    expect(markdown).toContain('| GET | `/models/{name}/versions/import` | – | API key | default |');
  });
});

describe('referenceDifferences (the --check)', () => {
  const generated = endpointReference(document(), endpointRows(document(), access));

  it('passes on the generated text', () => {
    expect(referenceDifferences(generated, generated, 'docs/endpoints.md')).toEqual([]);
  });

  it('fails when one table row differs, naming the line on disk and the generated one', () => {
    const lines = generated.split('\n');
    const row = lines.findIndex((line) => line.includes('`/retrain`'));
    const edited = [...lines];
    edited[row] = edited[row].replace('admin key', 'none');
    const differences = referenceDifferences(edited.join('\n'), generated, 'docs/endpoints.md');
    expect(differences).toEqual([
      `  docs/endpoints.md:${row + 1} has:   | POST | \`/retrain\` | Start a retraining. | none | 202 |`,
      '  generated, absent: | POST | `/retrain` | Start a retraining. | admin key | 202 |',
    ]);
  });

  it('fails when a row is missing or the rows are reordered', () => {
    const lines = generated.split('\n');
    const row = lines.findIndex((line) => line.includes('`/predict/iris`'));
    const without = lines.filter((_, i) => i !== row).join('\n');
    expect(referenceDifferences(without, generated, 'x.md')).toEqual([`  generated, absent: ${lines[row]}`]);
    const swapped = [...lines];
    [swapped[row], swapped[row + 1]] = [swapped[row + 1], swapped[row]];
    expect(referenceDifferences(swapped.join('\n'), generated, 'x.md')).toEqual(['  the same lines in another order']);
  });

  it('names at most 20 lines from each side', () => {
    const stale = Array.from({ length: 30 }, (_, i) => `old ${i}`).join('\n');
    const differences = referenceDifferences(stale, 'new', 'x.md');
    expect(differences).toHaveLength(22);
    expect(differences.at(-1)).toBe('  … and 10 more lines');
  });
});
