import { FlatTree, flatTreeFromJSON, FlatTreeJson, flatTreeToJSON } from './flat-tree';
import { GbdtParams, resolveGbdtParams } from './gbdt.params';
import { GbdtFitOptions, trainGbdt } from './gbdt.trainer';
import { InvalidInputError } from './invalid-input.error';
import { asRecord, readArray, readFloat64Array, readInt, readLiteral } from './json-reader.util';
import { ModelFormatError } from './model-format.error';
import { argmaxRows, normalise } from './model-output.util';
import { softmaxRow } from './objectives';
import { rowsOf, TreeEnsemble } from './tree-ensemble';
import { TrainingData } from './training-data';

export const GBDT_KIND = 'gbdt';
export const GBDT_FORMAT_VERSION = 1;

export interface GbdtJson {
  kind: typeof GBDT_KIND;
  formatVersion: typeof GBDT_FORMAT_VERSION;
  nFeatures: number;
  /** 1 for regression. */
  nClasses: number;
  params: GbdtParams;
  baseScore: number[];
  featureImportances: number[];
  trees: FlatTreeJson[];
}

/**
 * Histogram gradient-boosted trees: squared-error regression or softmax classification (one tree per class per
 * round). Predicts from concatenated flat arrays; `toJSON`/`fromJSON` round-trip to identical predictions.
 */
export class GradientBoostedTrees {
  readonly kind = GBDT_KIND;
  private readonly ensemble: TreeEnsemble;

  private constructor(
    readonly params: GbdtParams,
    readonly nFeatures: number,
    readonly nClasses: number,
    readonly baseScore: Float64Array,
    readonly trees: readonly FlatTree[],
    /** Share of the total split gain per feature (sums to 1 unless the model has no split). */
    readonly featureImportances: Float64Array,
  ) {
    const offsets = Int32Array.from(trees, (_, t) => t % nClasses);
    this.ensemble = new TreeEnsemble(trees, offsets, 1, nFeatures, nClasses).compile();
  }

  /**
   * Trains a model. Regression needs a Float64Array y, classification Int32Array labels 0..k-1.
   * Deterministic for a given `params.seed`.
   */
  static fit(data: TrainingData, params: Partial<GbdtParams> = {}, options: GbdtFitOptions = {}): GradientBoostedTrees {
    const p = resolveGbdtParams(params);
    const result = trainGbdt(data, p, options);
    return new GradientBoostedTrees(
      p,
      data.nFeatures,
      result.nClasses,
      result.baseScore,
      result.trees,
      normalise(result.gains),
    );
  }

  get task(): GbdtParams['task'] {
    return this.params.task;
  }

  /** Boosting rounds kept (after early stopping). */
  get nRounds(): number {
    return this.trees.length / this.nClasses;
  }

  /** Raw scores, nRows × nClasses (nClasses = 1 for regression). */
  predictRaw(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    const K = this.nClasses;
    const out = new Float64Array(nRows * K);
    for (let r = 0; r < nRows; r++) out.set(this.baseScore, r * K);
    this.ensemble.accumulate(X, nRows, out);
    return out;
  }

  /** Regression: predicted values. Classification: predicted class index per row. */
  predict(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    const raw = this.predictRaw(X, nRows);
    return this.task === 'regression' ? raw : argmaxRows(raw, this.nClasses);
  }

  /** Class probabilities, nRows × nClasses (classification only). */
  predictProba(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    if (this.task !== 'classification') throw new InvalidInputError('predictProba needs a classification model');
    const K = this.nClasses;
    const raw = this.predictRaw(X, nRows);
    for (let r = 0; r < nRows; r++) softmaxRow(raw, r * K, K, raw, r * K);
    return raw;
  }

  toJSON(): GbdtJson {
    return {
      kind: GBDT_KIND,
      formatVersion: GBDT_FORMAT_VERSION,
      nFeatures: this.nFeatures,
      nClasses: this.nClasses,
      params: this.params,
      baseScore: Array.from(this.baseScore),
      featureImportances: Array.from(this.featureImportances),
      trees: this.trees.map(flatTreeToJSON),
    };
  }

  /** Rebuilds a model from `toJSON()` output; throws ModelFormatError on anything malformed. */
  static fromJSON(json: unknown): GradientBoostedTrees {
    const obj = asRecord(json, 'gbdt');
    readLiteral(obj, 'kind', 'gbdt', [GBDT_KIND]);
    readLiteral(obj, 'formatVersion', 'gbdt', [GBDT_FORMAT_VERSION]);
    const nFeatures = readInt(obj, 'nFeatures', 'gbdt', 1);
    const nClasses = readInt(obj, 'nClasses', 'gbdt', 1);
    let params: GbdtParams;
    try {
      params = resolveGbdtParams(asRecord(obj.params, 'gbdt.params'));
    } catch (err) {
      if (err instanceof InvalidInputError) throw new ModelFormatError(`gbdt.params: ${err.message}`);
      throw err;
    }
    if ((params.task === 'regression') !== (nClasses === 1)) {
      throw new ModelFormatError('gbdt.nClasses does not match gbdt.params.task');
    }
    const baseScore = readFloat64Array(obj, 'baseScore', 'gbdt', nClasses);
    const importances = readFloat64Array(obj, 'featureImportances', 'gbdt', nFeatures);
    const treesJson = readArray(obj, 'trees', 'gbdt');
    if (treesJson.length % nClasses !== 0) throw new ModelFormatError('gbdt.trees is not a whole number of rounds');
    const trees = treesJson.map((t, i) => flatTreeFromJSON(t, nFeatures, 1, `gbdt.trees[${i}]`));
    return new GradientBoostedTrees(params, nFeatures, nClasses, baseScore, trees, importances);
  }
}
