import { adHocDefinition, builtinDefinition } from '../../../test/support/builtin-models';
import type { ColumnDefinition, InputFieldDefinition } from '../../definitions/model-definition';
import { fitPreprocessing } from './definition-preprocessing';
import { PipelineDefinitionError } from './pipeline.errors';

const fields: InputFieldDefinition[] = [
  { name: 'rooms', type: 'integer', required: true },
  { name: 'size', type: 'number', required: false, impute: { strategy: 'mean', key: 'size_mean' } },
  { name: 'age', type: 'number', required: false, impute: { strategy: 'mode' } },
  { name: 'kind', type: 'category', required: true },
  {
    name: 'color',
    type: 'category',
    required: false,
    values: ['red', 'blue'],
    impute: { strategy: 'constant', value: 'red' },
  },
  { name: 'shape', type: 'category', required: false, impute: { strategy: 'mode' } },
];
const columns: ColumnDefinition[] = [
  { name: 'rooms', op: 'input', field: 'rooms' },
  { name: 'size_per_room', op: 'ratio', numerator: 'size', denominator: 'rooms', impute: { strategy: 'median' } },
  { name: 'kind', op: 'one_hot', field: 'kind' },
];
const train = [
  { rooms: 1, size: 10, age: 3, kind: 'loft', color: 'red', shape: 'square' },
  { rooms: 2, size: null, age: 5, kind: 'house', color: null, shape: 'round' },
  { rooms: 4, size: 40, age: 5, kind: 'flat', color: 'blue', shape: null },
  { rooms: 3, size: 60, age: 3, kind: 'flat', color: 'red', shape: 'round' },
];

describe('fitPreprocessing', () => {
  it('learns category values, imputations and an example row from the training part', () => {
    expect(fitPreprocessing(adHocDefinition({ features: fields, columns }), train)).toEqual({
      'values:kind': ['flat', 'house', 'loft'],
      'values:shape': ['round', 'square'],
      size_mean: 110 / 3,
      'age.mode': 3, // 3 and 5 twice each: the smaller
      'shape.mode': 'round',
      'size_per_room.median': 10, // of 10, 10 and 20 (the row without a size left out)
      'example:rooms': 3, // median 2.5, rounded for an integer field
      'example:size': 40,
      'example:age': 4,
      'example:kind': 'flat',
      'example:color': 'red',
      'example:shape': 'round',
    });
  });

  it('fits no example when the definition has one, and nothing for declared values or constants', () => {
    const definition = adHocDefinition({ features: fields.slice(3, 5), columns: [], example: { kind: 'flat' } });
    expect(fitPreprocessing(definition, train)).toEqual({ 'values:kind': ['flat', 'house', 'loft'] });
  });

  it('averages the middle two for an even count, like the housing median', () => {
    const definition = adHocDefinition({
      features: [{ name: 'x', type: 'number', required: false, impute: { strategy: 'median' } }],
      columns: [{ name: 'x', op: 'input', field: 'x' }],
      example: {},
    });
    expect(fitPreprocessing(definition, [{ x: 4 }, { x: 1 }, { x: null }, { x: 3 }, { x: 10 }])).toEqual({
      'x.median': 3.5,
    });
  });

  it('fits the housing bedrooms per household under its declared key only', () => {
    const rows = [
      { total_bedrooms: 2, households: 1 },
      { total_bedrooms: null, households: 5 },
      { total_bedrooms: 9, households: 3 },
    ];
    const housing = builtinDefinition('california-housing');
    const { 'neighbours:latitude,longitude': table, ...rest } = fitPreprocessing(housing, rows);
    expect(rest).toEqual({ bedrooms_per_household_median: 2.5 });
    // And the rows its neighbours columns search (these rows have no location, target or income: NaN).
    expect(table).toEqual({
      lat: [NaN, NaN, NaN],
      lon: [NaN, NaN, NaN],
      target: [NaN, NaN, NaN],
      fields: { median_income: [NaN, NaN, NaN] },
    });
  });

  it('refuses to impute without a training value or a category with a median', () => {
    const never = adHocDefinition({ features: fields.slice(1, 2), columns: [] });
    expect(() => fitPreprocessing(never, [{ size: null }])).toThrow(PipelineDefinitionError);
    const median: InputFieldDefinition = {
      name: 'c',
      type: 'category',
      required: false,
      impute: { strategy: 'median' },
    };
    expect(() => fitPreprocessing(adHocDefinition({ features: [median], columns: [] }), [{ c: 'x' }])).toThrow(
      'ad-hoc: category c cannot be imputed with median',
    );
  });
});
