import type { PreparedDataset } from '../data/data.service';
import { FeaturePipeline, Preprocessing, transformAll } from '../data/feature-spec';
import type { InputRow, ModelDataset } from '../data/model-dataset';
import type { TableRecord } from '../data/table/table';
import type { TrainingData } from '../ml/training-data';
import { trainingMatrix } from '../data/pipeline/neighbour-columns';

/**
 * The feature matrix and targets of data rows, as a version with this pipeline and these fitted values sees them.
 * `fittedOn`: the rows are the training part the preprocessing was fitted on, whose neighbours columns then take
 * out-of-fold values (see trainingMatrix).
 */
export function trainingData(
  model: ModelDataset,
  pipeline: FeaturePipeline<InputRow>,
  preprocessing: Preprocessing,
  records: readonly TableRecord[],
  classes?: readonly string[],
  fittedOn = false,
): TrainingData {
  const y = Float64Array.from(records, (r) => model.target(r, classes));
  const labels = model.definition.task === 'classification' ? Int32Array.from(y) : y;
  const rows = records.map((r) => r.values);
  const X = fittedOn
    ? trainingMatrix(model.definition, pipeline, preprocessing, rows)
    : transformAll(pipeline, rows, preprocessing);
  return { X, y: labels, nFeatures: pipeline.spec.features.length };
}

/** The holdout part of a prepared dataset (its stored split), with the split's fitted values. */
export function holdoutData(prepared: PreparedDataset): TrainingData {
  const { model, pipeline, split, test, table } = prepared;
  return trainingData(model, pipeline, split.preprocessing, test, table.classes);
}
