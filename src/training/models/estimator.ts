import { BOOSTED_TREES_KIND, BoostedTreesModel } from '../../ml/boosted-trees.model';
import { GBDT_KIND, GradientBoostedTrees } from '../../ml/gbdt.model';
import { asRecord } from '../../ml/json-reader.util';
import { ModelFormatError } from '../../ml/model-format.error';
import { RANDOM_FOREST_KIND, RandomForest } from '../../ml/random-forest.model';
import { FOREST_CLASSIFIER_KIND, ForestClassifierModel } from './forest-classifier.model';
import { LINEAR_KIND, LinearRegressionModel } from './linear-regression.model';

/** Every fitted model the service can train (or import), store and serve. */
export type Estimator =
  GradientBoostedTrees | RandomForest | LinearRegressionModel | ForestClassifierModel | BoostedTreesModel;

/** Rebuilds a fitted model from its JSON, choosing the class by `kind`; throws ModelFormatError otherwise. */
export function estimatorFromJSON(json: unknown): Estimator {
  const kind = asRecord(json, 'model').kind;
  switch (kind) {
    case GBDT_KIND:
      return GradientBoostedTrees.fromJSON(json);
    case RANDOM_FOREST_KIND:
      return RandomForest.fromJSON(json);
    case LINEAR_KIND:
      return LinearRegressionModel.fromJSON(json);
    case FOREST_CLASSIFIER_KIND:
      return ForestClassifierModel.fromJSON(json);
    case BOOSTED_TREES_KIND:
      return BoostedTreesModel.fromJSON(json);
    default:
      throw new ModelFormatError(`unknown model kind ${JSON.stringify(kind)}`);
  }
}

/** Class probabilities (nRows × nClasses) of a classifier. */
export function predictProba(estimator: Estimator, X: Float64Array, nRows: number): Float64Array {
  if (estimator instanceof LinearRegressionModel) throw new ModelFormatError('a linear regression has no classes');
  return estimator.predictProba(X, nRows);
}

/** Gain-based (trees) or coefficient-based (linear) importance per feature, or undefined. */
export function featureImportances(estimator: Estimator): Float64Array | undefined {
  return estimator instanceof ForestClassifierModel ? undefined : estimator.featureImportances;
}
