import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Path of the real California Housing CSV used by the tests (`.ci/run` copies it from ../shared/data). */
export function realHousingCsvPath(): string {
  const path = resolve(REPO_ROOT, process.env.HOUSING_CSV_PATH ?? 'data/raw/california_housing.csv');
  if (!existsSync(path)) {
    throw new Error(
      `The tests need the real data set at ${path}: copy ../shared/data/california_housing.csv there ` +
        '(.ci/run does) or set HOUSING_CSV_PATH.',
    );
  }
  return path;
}

export function fixture(name: string): Buffer {
  return readFileSync(resolve(REPO_ROOT, 'test', 'fixtures', 'csv', name));
}

export function fixturePath(name: string): string {
  return resolve(REPO_ROOT, 'test', 'fixtures', 'csv', name);
}

/** scikit-learn's `train_test_split(arange(20640), test_size=0.2, random_state=42)` (`.ci/run` copies it). */
export function sklearnSplitPath(): string {
  const path = resolve(REPO_ROOT, 'data/raw/sklearn_split_seed42.json');
  if (!existsSync(path)) {
    throw new Error(`The tests need ${path}: copy ../shared/data/sklearn_split_seed42.json there (.ci/run does).`);
  }
  return path;
}
