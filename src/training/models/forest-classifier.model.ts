import { RandomForestClassifier } from 'ml-random-forest';
import { asRecord, readInt, readLiteral } from '../../ml/json-reader.util';
import { ModelFormatError } from '../../ml/model-format.error';
import type { TrainingData } from '../../ml/training-data';

export const FOREST_CLASSIFIER_KIND = 'ml_random_forest_classifier';

export interface ForestClassifierParams {
  nEstimators: number;
  /** Share of the features each tree sees (ml-random-forest samples features per tree). */
  maxFeatures: number;
  seed: number;
}

export const DEFAULT_FOREST_CLASSIFIER_PARAMS: ForestClassifierParams = { nEstimators: 50, maxFeatures: 0.8, seed: 42 };

export interface ForestClassifierJson {
  kind: typeof FOREST_CLASSIFIER_KIND;
  formatVersion: 1;
  nFeatures: number;
  nClasses: number;
  forest: unknown;
}

/**
 * ml-random-forest's classifier (ml-cart trees): fine for small tables such as Iris, where its quadratic tree
 * learner costs nothing. Class probabilities are the share of trees voting for each class.
 */
export class ForestClassifierModel {
  private constructor(
    readonly nFeatures: number,
    readonly nClasses: number,
    private readonly forest: RandomForestClassifier,
  ) {}

  static fit(
    { X, y, nFeatures }: TrainingData,
    nClasses: number,
    params: ForestClassifierParams,
  ): ForestClassifierModel {
    const forest = new RandomForestClassifier({ ...params, noOOB: true });
    forest.train(toRows(X, nFeatures), Array.from(y));
    return new ForestClassifierModel(nFeatures, nClasses, forest);
  }

  /**
   * Row-major nRows × nClasses probabilities: the share of trees voting for each class. Counted from the trees'
   * votes, because ml-random-forest 2.1's predictProbability drops the first tree's vote and adds its label.
   */
  predictProba(X: Float64Array, nRows = X.length / this.nFeatures): Float64Array {
    const votes = this.forest.predictionValues(toRows(X, this.nFeatures, nRows));
    const out = new Float64Array(nRows * this.nClasses);
    for (let i = 0; i < nRows; i++) {
      const row = votes.getRow(i);
      for (const label of row) out[i * this.nClasses + label] += 1 / row.length;
    }
    return out;
  }

  /** Most voted class index per row. */
  predict(X: Float64Array, nRows = X.length / this.nFeatures): Float64Array {
    return Float64Array.from(this.forest.predict(toRows(X, this.nFeatures, nRows)));
  }

  toJSON(): ForestClassifierJson {
    return {
      kind: FOREST_CLASSIFIER_KIND,
      formatVersion: 1,
      nFeatures: this.nFeatures,
      nClasses: this.nClasses,
      forest: this.forest.toJSON(),
    };
  }

  static fromJSON(json: unknown): ForestClassifierModel {
    const obj = asRecord(json, 'forest classifier');
    readLiteral(obj, 'kind', 'forest classifier', [FOREST_CLASSIFIER_KIND]);
    readLiteral(obj, 'formatVersion', 'forest classifier', [1]);
    const nFeatures = readInt(obj, 'nFeatures', 'forest classifier', 1);
    const nClasses = readInt(obj, 'nClasses', 'forest classifier', 2);
    try {
      const forest = RandomForestClassifier.load(obj.forest as Parameters<typeof RandomForestClassifier.load>[0]);
      return new ForestClassifierModel(nFeatures, nClasses, forest);
    } catch (error) {
      throw new ModelFormatError(`forest classifier.forest is not a valid ml-random-forest model: ${String(error)}`);
    }
  }
}

function toRows(X: Float64Array, nFeatures: number, nRows = X.length / nFeatures): number[][] {
  return Array.from({ length: nRows }, (_, i) => Array.from(X.subarray(i * nFeatures, (i + 1) * nFeatures)));
}
