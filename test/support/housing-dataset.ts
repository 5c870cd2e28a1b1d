/**
 * Facts of the real California Housing file the tests read (data/raw/california_housing.csv, see housing-data.ts),
 * stated once. The service derives each of them from the file: a test asserts the service reports these values.
 */
export const HOUSING_DATASET = {
  /** sha256 of the file's bytes (`sha256sum data/raw/california_housing.csv`): the dataset version. */
  sha256: '8a3727f4cf54ac1a327f69b1d5b4db54c5834ea81c6e4efc0d163300022a685e',
  /** Data rows (the header aside); none is rejected. */
  rows: 20640,
  /** Rows without total_bedrooms: the values imputed when the file is prepared. */
  valuesImputed: 207,
  /** The default split: seed 42 holds out ceil(20640 × 0.2) rows. */
  split: {
    seed: 42,
    testFraction: 0.2,
    /** How runs and drift reports name the split. */
    label: 'seed:42/test:0.2',
    trainRows: 16512,
    testRows: 4128,
  },
} as const;
