import { FlatTree, flatTreeFromJSON, FlatTreeJson, flatTreeToJSON } from './flat-tree';
import { InvalidInputError } from './invalid-input.error';
import { asRecord, readArray, readFloat64Array, readInt, readLiteral } from './json-reader.util';
import { ModelFormatError } from './model-format.error';
import { argmaxRows, normalise } from './model-output.util';
import { RandomForestParams, resolveRandomForestParams } from './random-forest.params';
import { RandomForestFitOptions, trainRandomForest } from './random-forest.trainer';
import { TrainingData } from './training-data';
import { rowsOf, TreeEnsemble } from './tree-ensemble';

export const RANDOM_FOREST_KIND = 'random_forest';
export const RANDOM_FOREST_FORMAT_VERSION = 1;

export interface RandomForestJson {
  kind: typeof RANDOM_FOREST_KIND;
  formatVersion: typeof RANDOM_FOREST_FORMAT_VERSION;
  nFeatures: number;
  /** 1 for regression. */
  nClasses: number;
  params: RandomForestParams;
  featureImportances: number[];
  trees: FlatTreeJson[];
}

/**
 * Random forest on the histogram tree builder: regression averages leaf means, classification averages leaf class
 * frequencies. Deterministic for a given `params.seed`.
 */
export class RandomForest {
  readonly kind = RANDOM_FOREST_KIND;
  private readonly ensemble: TreeEnsemble;

  private constructor(
    readonly params: RandomForestParams,
    readonly nFeatures: number,
    readonly nClasses: number,
    readonly trees: readonly FlatTree[],
    /** Share of the total split gain per feature (sums to 1 unless no tree has a split). */
    readonly featureImportances: Float64Array,
  ) {
    this.ensemble = new TreeEnsemble(trees, new Int32Array(trees.length), nClasses, nFeatures, nClasses).compile();
  }

  static fit(data: TrainingData, params: Partial<RandomForestParams> = {}, options: RandomForestFitOptions = {}) {
    const p = resolveRandomForestParams(params);
    const result = trainRandomForest(data, p, options);
    return new RandomForest(p, data.nFeatures, result.nClasses, result.trees, normalise(result.gains));
  }

  get task(): RandomForestParams['task'] {
    return this.params.task;
  }

  /** Regression: mean of the trees. Classification: most probable class index per row. */
  predict(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    const averaged = this.average(X, nRows);
    return this.task === 'regression' ? averaged : argmaxRows(averaged, this.nClasses);
  }

  /** Class probabilities (mean of the trees' leaf frequencies), nRows × nClasses. */
  predictProba(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    if (this.task !== 'classification') throw new InvalidInputError('predictProba needs a classification model');
    return this.average(X, nRows);
  }

  private average(X: Float64Array, nRows: number): Float64Array {
    const out = new Float64Array(nRows * this.nClasses);
    this.ensemble.accumulate(X, nRows, out);
    const nTrees = this.trees.length;
    for (let i = 0; i < out.length; i++) out[i] /= nTrees;
    return out;
  }

  toJSON(): RandomForestJson {
    return {
      kind: RANDOM_FOREST_KIND,
      formatVersion: RANDOM_FOREST_FORMAT_VERSION,
      nFeatures: this.nFeatures,
      nClasses: this.nClasses,
      params: this.params,
      featureImportances: Array.from(this.featureImportances),
      trees: this.trees.map(flatTreeToJSON),
    };
  }

  /** Rebuilds a forest from `toJSON()` output; throws ModelFormatError on anything malformed. */
  static fromJSON(json: unknown): RandomForest {
    const what = 'random_forest';
    const obj = asRecord(json, what);
    readLiteral(obj, 'kind', what, [RANDOM_FOREST_KIND]);
    readLiteral(obj, 'formatVersion', what, [RANDOM_FOREST_FORMAT_VERSION]);
    const nFeatures = readInt(obj, 'nFeatures', what, 1);
    const nClasses = readInt(obj, 'nClasses', what, 1);
    let params: RandomForestParams;
    try {
      params = resolveRandomForestParams(asRecord(obj.params, `${what}.params`));
    } catch (err) {
      if (err instanceof InvalidInputError) throw new ModelFormatError(`${what}.params: ${err.message}`);
      throw err;
    }
    if ((params.task === 'regression') !== (nClasses === 1)) {
      throw new ModelFormatError(`${what}.nClasses does not match ${what}.params.task`);
    }
    const importances = readFloat64Array(obj, 'featureImportances', what, nFeatures);
    const treesJson = readArray(obj, 'trees', what);
    if (treesJson.length === 0) throw new ModelFormatError(`${what}.trees is empty`);
    const trees = treesJson.map((t, i) => flatTreeFromJSON(t, nFeatures, nClasses, `${what}.trees[${i}]`));
    return new RandomForest(params, nFeatures, nClasses, trees, importances);
  }
}
