import { readFileSync } from 'node:fs';
import { adHocDefinition, builtinDefinition, withoutNeighbours } from '../../../test/support/builtin-models';
import { realHousingCsvPath } from '../../../test/support/housing-data';
import { HOUSING_DATASET } from '../../../test/support/housing-dataset';
import type { ColumnDefinition, InputFieldDefinition } from '../../definitions/model-definition';
import { Preprocessing, transformAll } from '../feature-spec';
import { parseHousingCsv } from '../../../test/support/legacy/housing-csv.parser';
import type { HousingInput, HousingRecord } from '../../../test/support/legacy/housing.feature-spec';
import { housingPipeline } from '../../../test/support/legacy/housing.features';
import { irisPipeline, loadIris } from '../../../test/support/legacy/iris.data';
import { compilePipeline, fitPreprocessing, targetValue } from './definition-pipeline';
import { PipelineDefinitionError } from './pipeline.errors';

const HOUSING = builtinDefinition('california-housing');
/** What the hand-written pipeline computed: the built-in definition less its neighbours columns. */
const HOUSING_CORE = withoutNeighbours(HOUSING);
const IRIS = builtinDefinition('iris');

/** Index of the first element that differs (Object.is: NaN equals NaN, 0 differs from -0), -1 when none. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function expectBitIdentical(actual: Float64Array, expected: Float64Array): void {
  expect(firstDifference(actual, expected)).toBe(-1);
  expect(Buffer.from(actual.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
}

/** A HousingRecord as a request row / data-row `values` object. */
function housingValues({ row: _row, median_house_value: _target, ...values }: HousingRecord): Record<string, unknown> {
  return values;
}

const csvPath = ((): string | Error => {
  try {
    return realHousingCsvPath();
  } catch (error) {
    return error as Error;
  }
})();
const withCsv = typeof csvPath === 'string' ? describe : describe.skip;
const skipped = typeof csvPath === 'string' ? '' : ` (SKIPPED: ${csvPath.message})`;

withCsv(`housing definition against the hand-written pipeline on the real CSV${skipped}`, () => {
  let records: HousingRecord[];
  beforeAll(() => {
    records = parseHousingCsv(readFileSync(csvPath as string), 'california_housing.csv', 0).records;
  });

  it('fits exactly today’s preprocessing, on the whole file and on a part of it', () => {
    for (const train of [records, records.slice(0, 1000), records.slice(5000, HOUSING_DATASET.split.trainRows)]) {
      const today = housingPipeline.fit(train);
      const fitted = fitPreprocessing(HOUSING_CORE, train.map(housingValues));
      expect(Object.keys(fitted)).toEqual(['bedrooms_per_household_median']);
      expect(Object.is(fitted.bedrooms_per_household_median, today.bedrooms_per_household_median)).toBe(true);
    }
    expect(records.some((r) => r.total_bedrooms === null)).toBe(true);
  });

  it('writes bit-identical features for every row, missing bedrooms included', () => {
    const train = records.slice(0, HOUSING_DATASET.split.trainRows);
    const prep = fitPreprocessing(HOUSING_CORE, train.map(housingValues));
    const pipeline = compilePipeline(HOUSING_CORE, prep);
    expect(pipeline.spec.features).toHaveLength(housingPipeline.spec.features.length);
    const today = transformAll(housingPipeline, records, housingPipeline.fit(train));
    expectBitIdentical(transformAll(pipeline, records.map(housingValues), prep), today);
  });

  it('imputes a request that omits total_bedrooms or sends null exactly as today', () => {
    const prep = fitPreprocessing(HOUSING_CORE, records.map(housingValues));
    const pipeline = compilePipeline(HOUSING_CORE, prep);
    const todayPrep = housingPipeline.fit(records);
    const omitted = records.map((r) => ({ ...r, total_bedrooms: undefined }) as unknown as HousingInput);
    const nulled = records.map((r) => ({ ...r, total_bedrooms: null }));
    const today = transformAll(housingPipeline, omitted, todayPrep);
    expectBitIdentical(transformAll(housingPipeline, nulled, todayPrep), today);
    const omittedValues = records.map((r) => {
      const values = housingValues(r);
      delete values.total_bedrooms;
      return values;
    });
    expectBitIdentical(transformAll(pipeline, omittedValues, prep), today);
    expectBitIdentical(transformAll(pipeline, nulled.map(housingValues), prep), today);
    const aveBedrms = pipeline.spec.features.findIndex((f) => f.name === 'AveBedrms');
    expect(today[aveBedrms]).toBe(prep.bedrooms_per_household_median);
  });
});

describe('iris definition against the hand-written pipeline', () => {
  it('fits nothing and writes bit-identical features for all 150 rows', () => {
    const { records } = loadIris();
    const values = records.map(({ row: _row, species: _species, ...input }) => input);
    const prep = fitPreprocessing(IRIS, values);
    expect(prep).toEqual({});
    const pipeline = compilePipeline(IRIS, prep);
    expectBitIdentical(transformAll(pipeline, values, prep), transformAll(irisPipeline, records, irisPipeline.fit([])));
  });
});

const num = (name: string, extra: Partial<InputFieldDefinition> = {}): InputFieldDefinition => ({
  name,
  type: 'number',
  required: true,
  ...extra,
});

/** The features of rows under a definition with the given fields and columns. */
function features(
  fields: InputFieldDefinition[],
  columns: ColumnDefinition[],
  rows: Record<string, unknown>[],
  prep: Preprocessing = {},
): number[][] {
  const pipeline = compilePipeline(adHocDefinition({ features: fields, columns, example: {} }), prep);
  const width = pipeline.spec.features.length;
  const out = transformAll(pipeline, rows, prep);
  return rows.map((_, i) => Array.from(out.subarray(i * width, (i + 1) * width)));
}

describe('compilePipeline column operations', () => {
  const fields = ['a', 'b', 'c'].map((name) => num(name));

  it('computes ratio, product, sum, difference, log1p and sqrt', () => {
    const columns: ColumnDefinition[] = [
      { name: 'a', op: 'input', field: 'a' },
      { name: 'a_per_b', op: 'ratio', numerator: 'a', denominator: 'b' },
      { name: 'abc', op: 'product', fields: ['a', 'b', 'c'] },
      { name: 'a+b+c', op: 'sum', fields: ['a', 'b', 'c'] },
      { name: 'a-c', op: 'difference', minuend: 'a', subtrahend: 'c' },
      { name: 'log_c', op: 'log1p', field: 'c' },
      { name: 'root_b', op: 'sqrt', field: 'b' },
    ];
    const rows = [
      { a: 6, b: 4, c: 0 },
      { a: 1.5, b: 0.25, c: 3 },
    ];
    expect(features(fields, columns, rows)).toEqual([
      [6, 1.5, 0, 10, 6, 0, 2],
      [1.5, 6, 1.125, 4.75, -1.5, Math.log1p(3), 0.5],
    ]);
    expect(Math.log1p(3)).toBeCloseTo(Math.log(4), 15);
  });

  it('computes haversine distances and rotations', () => {
    const columns: ColumnDefinition[] = [
      { name: 'km', op: 'haversine_km', lat: 'a', lon: 'b', toLat: 0, toLon: 1 },
      { name: 'km_pole', op: 'haversine_km', lat: 'a', lon: 'b', toLat: 90, toLon: 0 },
      { name: 'rot90', op: 'rotate', x: 'a', y: 'b', degrees: 90 },
      { name: 'rot60', op: 'rotate', x: 'a', y: 'b', degrees: 60 },
    ];
    const [[km, kmPole, rot90, rot60]] = features(fields, columns, [{ a: 0, b: 0, c: 0 }]);
    // One degree of longitude on the equator, and a quarter of a great circle, on a 6371 km sphere.
    expect(km).toBeCloseTo((6371 * Math.PI) / 180, 9);
    expect(kmPole).toBeCloseTo((6371 * Math.PI) / 2, 9);
    expect(rot90).toBe(0);
    expect(rot60).toBe(0);
    const [[, , turned90, turned60]] = features(fields, columns, [{ a: 2, b: 4, c: 0 }]);
    expect(turned90).toBeCloseTo(4, 12);
    expect(turned60).toBeCloseTo(1 + 2 * Math.sqrt(3), 12);
  });

  it('writes one indicator per value, all zeros for an unknown or missing value without imputation', () => {
    const color: InputFieldDefinition = { name: 'color', type: 'category', required: false, values: ['red', 'blue'] };
    const columns: ColumnDefinition[] = [{ name: 'c', op: 'one_hot', field: 'color' }];
    const rows = [{ color: 'blue' }, { color: 'red' }, { color: 'green' }, {}, { color: null }];
    expect(features([color], columns, rows)).toEqual([
      [0, 1],
      [1, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('compilePipeline imputation', () => {
  const fields = [
    num('a'),
    num('b', { required: false }),
    num('m', { required: false, impute: { strategy: 'median' } }),
  ];

  it('gives NaN when a missing input has no imputation anywhere', () => {
    const columns: ColumnDefinition[] = [
      { name: 'b', op: 'input', field: 'b' },
      { name: 'a_per_b', op: 'ratio', numerator: 'a', denominator: 'b' },
    ];
    const [[b, ratio]] = features(fields, columns, [{ a: 1 }]);
    expect(b).toBeNaN();
    expect(ratio).toBeNaN();
  });

  it('replaces a missing input by its fitted value, and a column with its own imputation by the column value', () => {
    const columns: ColumnDefinition[] = [
      { name: 'm', op: 'input', field: 'm' },
      { name: 'a_plus_m', op: 'sum', fields: ['a', 'm'] },
      { name: 'b_filled', op: 'input', field: 'b', impute: { strategy: 'constant', value: -1 } },
      { name: 'a_per_b', op: 'ratio', numerator: 'a', denominator: 'b', impute: { strategy: 'mean' } },
      // The column's own imputation wins over the imputation of its input.
      { name: 'm2', op: 'product', fields: ['m', 'm'], impute: { strategy: 'constant', value: 7 } },
    ];
    const definition = adHocDefinition({ features: fields, columns, example: {} });
    const train = [
      { a: 2, b: 1, m: 1 },
      { a: 6, b: 2, m: 5 },
      { a: 1, b: null, m: 4 },
      { a: 3, m: null },
    ];
    const prep = fitPreprocessing(definition, train);
    expect(prep).toEqual({ 'm.median': 4, 'a_per_b.mean': 2.5 });
    const out = transformAll(compilePipeline(definition, prep), [{ a: 10 }, { a: 8, b: 4, m: 3 }], prep);
    expect(Array.from(out)).toEqual([4, 14, -1, 2.5, 7, 3, 11, 4, 2, 9]);
  });

  it('imputes an optional category with its training mode before one-hot', () => {
    const color: InputFieldDefinition = {
      name: 'color',
      type: 'category',
      required: false,
      impute: { strategy: 'mode' },
    };
    const definition = adHocDefinition({
      features: [color],
      columns: [{ name: 'color', op: 'one_hot', field: 'color' }],
    });
    const prep = fitPreprocessing(definition, [
      { color: 'red' },
      { color: 'blue' },
      { color: 'red' },
      { color: 'blue' },
      {},
    ]);
    expect(prep['color.mode']).toBe('blue');
    const pipeline = compilePipeline(definition, prep);
    expect(pipeline.spec.features.map((f) => f.name)).toEqual(['color=blue', 'color=red']);
    const out = transformAll(pipeline, [{}, { color: null }, { color: 'red' }, { color: 'mauve' }], prep);
    expect(Array.from(out)).toEqual([1, 0, 1, 0, 0, 1, 0, 0]);
  });

  it('uses the preprocessing it is given, and refuses one that does not fit the definition', () => {
    const definition = adHocDefinition({ features: fields, columns: [{ name: 'm', op: 'input', field: 'm' }] });
    const pipeline = compilePipeline(definition, { 'm.median': 1 });
    const out = new Float64Array(1);
    pipeline.transformInto({}, { 'm.median': 2 }, out, 0);
    expect(out[0]).toBe(2);
    expect(() => pipeline.transformInto({}, {}, out, 0)).toThrow(PipelineDefinitionError);
    expect(() => compilePipeline(definition, {})).toThrow('ad-hoc: preprocessing lacks m.median');
  });

  it('refuses columns that read an unknown field or a field of the wrong type', () => {
    const bad: ColumnDefinition[][] = [
      [{ name: 'x', op: 'input', field: 'nope' }],
      [{ name: 'x', op: 'one_hot', field: 'a' }],
      [{ name: 'x', op: 'sum', fields: [] }],
    ];
    for (const columns of bad) {
      expect(() => compilePipeline(adHocDefinition({ features: fields, columns }), {})).toThrow(
        PipelineDefinitionError,
      );
    }
  });
});

describe('targetValue', () => {
  it('divides a regression target by divideBy (a division, not a multiplication by the inverse)', () => {
    expect(targetValue(HOUSING, 452_600)).toBe(4.526); // 452_600 * 1e-5 is 4.526000000000001
    expect(targetValue(HOUSING, 14_999)).toBe(0.14999);
    expect(targetValue(HOUSING, 'high')).toBeNaN();
  });

  it('gives a label’s class index, -1 when unknown', () => {
    expect(targetValue(IRIS, 'virginica')).toBe(2);
    expect(targetValue(IRIS, 'setosa', ['versicolor', 'setosa'])).toBe(1);
    expect(targetValue(IRIS, 'rose')).toBe(-1);
  });
});
