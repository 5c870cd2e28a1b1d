import type { PreparedDataset } from '../data/data.service';
import { FeaturePipeline, Preprocessing, transformAll } from '../data/feature-spec';
import type { InputRow, ModelDataset } from '../data/model-dataset';
import type { TableRecord } from '../data/table/table';
import type { TrainingData } from '../ml/training-data';

/** The feature matrix and targets of data rows, as a version with this pipeline and these fitted values sees them. */
export function trainingData(
  model: ModelDataset,
  pipeline: FeaturePipeline<InputRow>,
  preprocessing: Preprocessing,
  records: readonly TableRecord[],
  classes?: readonly string[],
): TrainingData {
  const y = Float64Array.from(records, (r) => model.target(r, classes));
  const labels = model.definition.task === 'classification' ? Int32Array.from(y) : y;
  const X = transformAll(
    pipeline,
    records.map((r) => r.values),
    preprocessing,
  );
  return { X, y: labels, nFeatures: pipeline.spec.features.length };
}

/** The holdout part of a prepared dataset (its stored split), with the split's fitted values. */
export function holdoutData(prepared: PreparedDataset): TrainingData {
  const { model, pipeline, split, test, table } = prepared;
  return trainingData(model, pipeline, split.preprocessing, test, table.classes);
}
