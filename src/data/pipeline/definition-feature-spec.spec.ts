import { adHocDefinition, builtinDefinition, withoutNeighbours } from '../../../test/support/builtin-models';
import type { ColumnDefinition, InputFieldDefinition } from '../../definitions/model-definition';
import { NumericInputField, numericRuleBroken, numericRuleMessage } from '../feature-spec';
import { HOUSING_SPEC } from '../../../test/support/legacy/housing.feature-spec';
import { IRIS_SPEC } from '../../../test/support/legacy/iris.data';
import { resolveSpec } from './definition-feature-spec';
import { PipelineDefinitionError } from './pipeline.errors';

const HOUSING = builtinDefinition('california-housing');
const IRIS = builtinDefinition('iris');

describe('resolveSpec of the built-in definitions', () => {
  it('equals the hand-written California Housing spec, plus the neighbours features before the one-hot columns', () => {
    const full = resolveSpec(HOUSING, { bedrooms_per_household_median: 1.05 });
    const neighbours = full.features.filter((f) => f.name.startsWith('nb'));
    expect(neighbours.map((f) => f.name).slice(0, 5)).toEqual([
      'nb5_log_value',
      'nb5_log_value_std',
      'nb5_log_value_weighted',
      'nb5_km',
      'nb5_log_income',
    ]);
    expect(neighbours).toHaveLength(15);
    expect(neighbours[0].description).toBe('mean of log(median_house_value) of the 5 nearest training rows');
    expect(full.features.filter((f) => !f.name.startsWith('nb'))).toStrictEqual(HOUSING_SPEC.features);
    expect(full.features.findIndex((f) => f.name.startsWith('ocean_proximity='))).toBe(17 + 15);
    const spec = resolveSpec(withoutNeighbours(HOUSING), { bedrooms_per_household_median: 1.05 });
    // No difference at all: bounds, exclusive lower bounds (positive → gt 0), units and descriptions all carry over.
    expect(spec.inputs).toStrictEqual(HOUSING_SPEC.inputs);
    expect(spec.features).toStrictEqual(HOUSING_SPEC.features);
    expect(spec.target).toStrictEqual(HOUSING_SPEC.target);
    expect(spec.example).toStrictEqual(HOUSING_SPEC.example);
    expect(spec).toStrictEqual(HOUSING_SPEC);
  });

  it('equals the hand-written Iris spec', () => {
    const spec = resolveSpec(IRIS, {});
    expect(spec).toStrictEqual(IRIS_SPEC);
    expect(resolveSpec(IRIS, {}, ['virginica', 'setosa']).classes).toEqual(['virginica', 'setosa']);
  });
});

describe('resolveSpec of a definition', () => {
  const fields: InputFieldDefinition[] = [
    { name: 'n', type: 'integer', required: true, min: 1, gt: 0, lt: 10, max: 20, unit: 'rooms' },
    { name: 'x', type: 'number', required: false, min: 0, gt: 0 },
    { name: 'y', type: 'number', required: true, max: 5, lt: 6, notGreaterThan: 'x' },
    { name: 'kind', type: 'category', required: false, impute: { strategy: 'mode' }, description: 'Kind' },
  ];
  const columns: ColumnDefinition[] = [
    { name: 'n', op: 'input', field: 'n' },
    { name: 'r', op: 'ratio', numerator: 'x', denominator: 'y', impute: { strategy: 'median' } },
    { name: 'p', op: 'product', fields: ['n', 'x', 'y'] },
    { name: 's', op: 'sum', fields: ['n', 'x'] },
    { name: 'd', op: 'difference', minuend: 'x', subtrahend: 'y' },
    { name: 'l', op: 'log1p', field: 'x' },
    { name: 'q', op: 'sqrt', field: 'y', description: 'Root of y' },
    { name: 'h', op: 'haversine_km', lat: 'x', lon: 'y', toLat: 1.5, toLon: -2 },
    { name: 't', op: 'rotate', x: 'x', y: 'y', degrees: 30 },
    { name: 'k', op: 'one_hot', field: 'kind' },
  ];
  const prep = { 'values:kind': ['a', 'b'], 'kind.mode': 'b', 'r.median': 1, 'example:n': 3, 'example:kind': 'b' };
  const spec = resolveSpec(adHocDefinition({ features: fields, columns }), prep);

  it('keeps the stricter bound of min/gt and of max/lt, integer types and cross-field bounds', () => {
    expect(spec.inputs).toStrictEqual([
      {
        name: 'n',
        type: 'number',
        required: true,
        min: 1,
        max: 10,
        maxExclusive: true,
        integer: true,
        unit: 'rooms',
        description: '',
      },
      { name: 'x', type: 'number', required: false, min: 0, minExclusive: true, unit: '', description: '' },
      { name: 'y', type: 'number', required: true, max: 5, notGreaterThan: 'x', unit: '', description: '' },
      { name: 'kind', type: 'category', required: false, categories: ['a', 'b'], description: 'Kind' },
    ]);
  });

  it('describes every column, expanding one_hot into indicators', () => {
    expect(spec.features.map((f) => [f.name, f.kind, f.description])).toEqual([
      ['n', 'numeric', 'n'],
      ['r', 'numeric', 'x / y (imputed when an input is missing)'],
      ['p', 'numeric', 'n × x × y'],
      ['s', 'numeric', 'n + x'],
      ['d', 'numeric', 'x - y'],
      ['l', 'numeric', 'log(1 + x)'],
      ['q', 'numeric', 'Root of y'],
      ['h', 'numeric', 'Great-circle distance in km from (x, y) to (1.5, -2)'],
      ['t', 'numeric', 'x·cos 30° + y·sin 30° (coordinates rotated by 30°)'],
      ['k=a', 'indicator', '1 when kind is a'],
      ['k=b', 'indicator', '1 when kind is b'],
    ]);
  });

  it('uses the fitted example and the target output name', () => {
    expect(spec.example).toEqual({ n: 3, kind: 'b' });
    expect(spec.target).toEqual({ name: 'y', unit: '', description: '' });
  });

  it('refuses a category without declared or learned values, and a classification without labels', () => {
    expect(() => resolveSpec(adHocDefinition({ features: fields, columns }), {})).toThrow(PipelineDefinitionError);
    const { classes: _classes, ...target } = IRIS.target;
    expect(() => resolveSpec({ ...IRIS, target }, {})).toThrow('iris: the class labels are unknown');
  });
});

describe('numeric rules of a resolved field', () => {
  const field = (extra: Partial<NumericInputField>): NumericInputField => ({
    name: 'v',
    type: 'number',
    required: true,
    unit: '',
    description: '',
    ...extra,
  });

  it('checks only the bounds a field has, with lt exclusive', () => {
    expect(numericRuleBroken(field({}), -1e300)).toBeUndefined();
    expect(numericRuleBroken(field({}), Infinity)).toBe('finite');
    const below = field({ max: 10, maxExclusive: true });
    expect(numericRuleBroken(below, 9.99)).toBeUndefined();
    expect(numericRuleBroken(below, 10)).toBe('lt');
    expect(numericRuleMessage(below, 'lt')).toBe('v must be less than 10');
    expect(numericRuleBroken(field({ max: 10 }), 10)).toBeUndefined();
    expect(numericRuleBroken(field({ max: 10 }), 10.5)).toBe('max');
    expect(numericRuleBroken(field({ min: 0, minExclusive: true }), 0)).toBe('gt');
    expect(numericRuleBroken(field({ min: 0 }), 0)).toBeUndefined();
  });
});
