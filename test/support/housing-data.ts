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
