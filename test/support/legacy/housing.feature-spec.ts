/**
 * Frozen copy of the hand-written code this model had before models were definitions. Specs compare the
 * definition-driven loader and pipeline with it, row for row and bit for bit; nothing in src/ uses it.
 */
import type { FeatureSpec, NumericInputField } from '../../../src/data/feature-spec';

export const HOUSING_MODEL = 'california-housing';

export const OCEAN_PROXIMITY = ['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN'] as const;
export type OceanProximity = (typeof OCEAN_PROXIMITY)[number];

/** One block group as a client sends it and as a row of the raw CSV holds it (target aside). */
export interface HousingInput {
  longitude: number;
  latitude: number;
  housing_median_age: number;
  total_rooms: number;
  /** Missing in 207 rows of the real file; imputed with the training median. */
  total_bedrooms: number | null;
  population: number;
  households: number;
  median_income: number;
  ocean_proximity: OceanProximity;
}

/** A validated row of the raw file: its 0-based data-row index (header excluded), inputs and target. */
export interface HousingRecord extends HousingInput {
  row: number;
  median_house_value: number;
}

/** Columns of the raw CSV, in order. */
export const HOUSING_COLUMNS = [
  'longitude',
  'latitude',
  'housing_median_age',
  'total_rooms',
  'total_bedrooms',
  'population',
  'households',
  'median_income',
  'median_house_value',
  'ocean_proximity',
] as const;

/** Large cities whose distance lifts the tree models (each one is a feature). */
export const CITIES = [
  { name: 'los_angeles', label: 'Los Angeles', latitude: 34.0522, longitude: -118.2437 },
  { name: 'san_francisco', label: 'San Francisco', latitude: 37.7749, longitude: -122.4194 },
  { name: 'san_diego', label: 'San Diego', latitude: 32.7157, longitude: -117.1611 },
  { name: 'san_jose', label: 'San Jose', latitude: 37.3382, longitude: -121.8863 },
  { name: 'sacramento', label: 'Sacramento', latitude: 38.5816, longitude: -121.4944 },
] as const;

/** Angles of the rotated-coordinate features: trees split on diagonals of the map through them. */
export const ROTATIONS_DEG = [15, 30, 45, 60] as const;

const numeric = (field: Omit<NumericInputField, 'type' | 'required'> & { required?: boolean }): NumericInputField => ({
  type: 'number',
  required: true,
  ...field,
});

/** The target column as it appears in the file (dollars); the model learns it in $100k. */
export const MEDIAN_HOUSE_VALUE_FIELD = numeric({
  name: 'median_house_value',
  min: 0,
  minExclusive: true,
  max: 10_000_000,
  unit: 'USD',
  description: 'Median house value of the block group (census top-codes it at 500,001)',
});

export const HOUSING_SPEC: FeatureSpec = {
  model: HOUSING_MODEL,
  task: 'regression',
  inputs: [
    // California's bounding box is about -124.48..-114.13 longitude and 32.53..42.01 latitude.
    numeric({ name: 'longitude', min: -124.5, max: -114.0, unit: 'degrees', description: 'Block group longitude' }),
    numeric({ name: 'latitude', min: 32.5, max: 42.1, unit: 'degrees', description: 'Block group latitude' }),
    numeric({ name: 'housing_median_age', min: 0, max: 150, unit: 'years', description: 'Median age of houses' }),
    numeric({ name: 'total_rooms', min: 0, max: 1_000_000, unit: 'rooms', description: 'Rooms in the block group' }),
    numeric({
      name: 'total_bedrooms',
      required: false,
      min: 0,
      max: 1_000_000,
      notGreaterThan: 'total_rooms',
      unit: 'rooms',
      description: 'Bedrooms in the block group (optional: imputed when missing; at most total_rooms)',
    }),
    numeric({ name: 'population', min: 0, max: 1_000_000, unit: 'people', description: 'People living there' }),
    numeric({
      name: 'households',
      min: 0,
      minExclusive: true,
      max: 1_000_000,
      unit: 'households',
      description: 'Households in the block group',
    }),
    numeric({
      name: 'median_income',
      min: 0,
      minExclusive: true,
      max: 100,
      unit: 'tens of thousands of USD',
      description: 'Median household income (census top-codes it at 15.0001)',
    }),
    {
      name: 'ocean_proximity',
      type: 'category',
      required: true,
      categories: OCEAN_PROXIMITY,
      description: 'Distance class to the ocean',
    },
  ],
  features: [
    { name: 'MedInc', kind: 'numeric', description: 'median_income' },
    { name: 'HouseAge', kind: 'numeric', description: 'housing_median_age' },
    { name: 'AveRooms', kind: 'numeric', description: 'total_rooms / households' },
    { name: 'AveBedrms', kind: 'numeric', description: 'total_bedrooms / households (bedrooms imputed)' },
    { name: 'Population', kind: 'numeric', description: 'population' },
    { name: 'AveOccup', kind: 'numeric', description: 'population / households' },
    { name: 'Latitude', kind: 'numeric', description: 'latitude' },
    { name: 'Longitude', kind: 'numeric', description: 'longitude' },
    ...CITIES.map((city) => ({
      name: `km_to_${city.name}`,
      kind: 'numeric' as const,
      description: `Great-circle distance to ${city.label} in km`,
    })),
    ...ROTATIONS_DEG.map((deg) => ({
      name: `rot${deg}`,
      kind: 'numeric' as const,
      description: `longitude·cos ${deg}° + latitude·sin ${deg}° (coordinates rotated by ${deg}°)`,
    })),
    ...OCEAN_PROXIMITY.map((value) => ({
      name: `ocean_proximity=${value}`,
      kind: 'indicator' as const,
      description: `1 when ocean_proximity is ${value}`,
    })),
  ],
  target: { name: 'MedHouseVal', unit: '100k USD', description: 'median_house_value / 100000' },
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
