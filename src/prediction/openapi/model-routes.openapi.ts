import { pascalCase } from '../../common/text/pascal-case.util';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FeatureSpec } from '../../data/feature-spec';
import type { ModelCatalog } from '../../definitions/model-catalog.service';
import type { InputFieldDefinition, ModelDefinition } from '../../definitions/model-definition';
import type { ActiveModels } from '../../registry/active-models.service';

type Schema = Record<string, unknown>;
type Operation = Record<string, unknown>;

/** The JSON schema of one input field: its type, bounds, values, unit and description. */
function fieldSchema(field: InputFieldDefinition, values: readonly string[] | undefined): Schema {
  const description = [field.description, field.unit ? `(${field.unit})` : undefined].filter(Boolean).join(' ');
  const base: Schema = { ...(description ? { description } : {}), ...(field.required ? {} : { nullable: true }) };
  if (field.type === 'category') return { ...base, type: 'string', ...(values?.length ? { enum: [...values] } : {}) };
  return {
    ...base,
    type: field.type === 'integer' ? 'integer' : 'number',
    ...(field.min !== undefined ? { minimum: field.min } : {}),
    ...(field.gt !== undefined ? { minimum: field.gt, exclusiveMinimum: true } : {}),
    ...(field.max !== undefined ? { maximum: field.max } : {}),
    ...(field.lt !== undefined ? { maximum: field.lt, exclusiveMaximum: true } : {}),
    ...(field.notGreaterThan
      ? { description: `${description}; at most ${field.notGreaterThan}`.replace(/^; /, '') }
      : {}),
  };
}

/** The input row schema of a model: the served version's (with its learned category values), else the definition's. */
function inputSchema(definition: ModelDefinition, spec: FeatureSpec | undefined): Schema {
  const learned = new Map(spec?.inputs.map((f) => [f.name, f.type === 'category' ? f.categories : undefined]));
  const example = spec?.example ?? definition.example;
  return {
    type: 'object',
    title: `${definition.name} input`,
    description: definition.description,
    properties: Object.fromEntries(
      definition.features.map((f) => [f.name, fieldSchema(f, learned.get(f.name) ?? f.values)]),
    ),
    required: definition.features.filter((f) => f.required).map((f) => f.name),
    additionalProperties: false,
    ...(example ? { example } : {}),
  };
}

function jsonBody(schema: Schema, example: unknown): Schema {
  return { required: true, content: { 'application/json': { schema, ...(example ? { example } : {}) } } };
}

const ok = (ref: string): Schema => ({
  200: { description: 'The prediction', content: { 'application/json': { schema: { $ref: ref } } } },
  400: { description: 'A field breaks a rule (REQUEST.VALIDATION_FAILED, each field and rule named)' },
  503: { description: 'No version is served yet (REGISTRY.MODEL_NOT_READY)' },
});

/** The V2 request of one example row: one tensor per input field. */
function v2Example(definition: ModelDefinition, example: Record<string, unknown>): object {
  const datatype = { number: 'FP64', integer: 'INT64', category: 'BYTES' } as const;
  return {
    inputs: definition.features
      .filter((f) => example[f.name] !== undefined)
      .map((f) => ({ name: f.name, shape: [1], datatype: datatype[f.type], data: [example[f.name]] })),
  };
}

/**
 * Adds each model's own routes to the OpenAPI document, built from its definition (and the served version's
 * learned category values): its input schema as a component, and under a tag of its own the single, batch and
 * generic routes (also at each alias), Open Inference inference with an example request, and examples of every
 * model in each MLflow format on /invocations. The document is patched per request, so a definition set through
 * the admin API shows at once.
 */
export function withModelRoutes(document: OpenAPIObject, catalog: ModelCatalog, active: ActiveModels): OpenAPIObject {
  const paths: Record<string, Record<string, Operation>> = {
    ...(document.paths as Record<string, Record<string, Operation>>),
  };
  const schemas: Record<string, Schema> = { ...((document.components?.schemas ?? {}) as Record<string, Schema>) };
  const tags = [...(document.tags ?? [])];
  const mlflowExamples: Record<string, object> = {};
  for (const { definition } of catalog.list()) {
    const served = active.get(definition.name);
    const input = `${pascalCase(definition.name)}Input`;
    schemas[input] = inputSchema(definition, served?.spec);
    const example = (served?.spec.example ?? definition.example) as Record<string, unknown> | undefined;
    const ref = { $ref: `#/components/schemas/${input}` };
    const tag = `model: ${definition.name}`;
    tags.push({ name: tag, description: definition.description ?? `The ${definition.task} model ${definition.name}` });
    const operation = (summary: string, body: Schema, response: string): Operation => ({
      tags: [tag],
      summary,
      requestBody: body,
      responses: ok(response),
    });
    // One envelope for every multi-row route: {"rows": [...]}, or exactly one alias member {"inputs": ...}.
    const envelope = jsonBody(
      {
        type: 'object',
        oneOf: [
          { properties: { rows: { type: 'array', items: ref, minItems: 1 } }, required: ['rows'] },
          {
            properties: { inputs: { oneOf: [ref, { type: 'array', items: ref, minItems: 1 }] } },
            required: ['inputs'],
          },
        ],
      },
      example && { rows: [example] },
    );
    const batchResponse = '#/components/schemas/BatchPredictionDto';
    for (const name of [definition.name, ...definition.aliases]) {
      paths[`/predict/${name}`] = {
        post: operation(`One ${definition.name} row`, jsonBody(ref, example), '#/components/schemas/PredictionDto'),
      };
      paths[`/predict/${name}/batch`] = {
        post: operation(`Rows of ${definition.name} (up to MAX_BATCH_ROWS)`, envelope, batchResponse),
      };
    }
    paths[`/models/${definition.name}/predict`] = {
      post: operation(
        `${definition.name} rows: {"rows": [rows]} or {"inputs": row or [rows]}`,
        envelope,
        batchResponse,
      ),
    };
    paths[`/v2/models/${definition.name}/infer`] = {
      post: operation(
        `${definition.name} in the Open Inference Protocol`,
        jsonBody({ type: 'object' }, example && v2Example(definition, example)),
        '#/components/schemas/V2InferenceResponseDto',
      ),
    };
    if (example) {
      mlflowExamples[`${definition.name} (dataframe_split)`] = {
        summary: `POST /invocations?model=${definition.name}`,
        value: { dataframe_split: { columns: Object.keys(example), data: [Object.values(example)] } },
      };
      mlflowExamples[`${definition.name} (dataframe_records)`] = {
        summary: `POST /invocations?model=${definition.name}`,
        value: { dataframe_records: [example] },
      };
    }
  }
  const invocations = paths['/invocations']?.post as Operation | undefined;
  if (invocations) {
    const body = jsonBody({ type: 'object' }, undefined) as { content: Record<string, Schema> };
    body.content['application/json'].examples = mlflowExamples;
    paths['/invocations'] = { ...paths['/invocations'], post: { ...invocations, requestBody: body } };
  }
  return { ...document, tags, paths, components: { ...document.components, schemas } };
}
