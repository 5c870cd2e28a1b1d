import { MultivariateLinearRegression } from 'ml-regression';
import { asRecord, readFloat64Array, readInt, readLiteral, readNumber } from '../../ml/json-reader.util';
import { ModelFormatError } from '../../ml/model-format.error';
import type { TrainingData } from '../../ml/training-data';

export const LINEAR_KIND = 'linear';

export interface LinearRegressionJson {
  kind: typeof LINEAR_KIND;
  formatVersion: 1;
  nFeatures: number;
  /** Coefficients of the raw (unstandardised) features, and the intercept. */
  coefficients: number[];
  intercept: number;
  /** Training means of the features (absent in models stored before explanations): the explanation's reference. */
  means?: number[];
}

/**
 * Ordinary least squares with ml-regression's MultivariateLinearRegression, fitted on standardised features (so
 * that features on very different scales do not hurt the solver) and stored as coefficients of the raw features.
 */
export class LinearRegressionModel {
  private constructor(
    readonly nFeatures: number,
    readonly coefficients: Float64Array,
    readonly intercept: number,
    readonly means?: Float64Array,
  ) {}

  static fit({ X, y, nFeatures }: TrainingData): LinearRegressionModel {
    const n = y.length;
    const means = new Float64Array(nFeatures);
    const scales = new Float64Array(nFeatures).fill(1);
    for (let i = 0; i < n; i++) for (let j = 0; j < nFeatures; j++) means[j] += X[i * nFeatures + j] / n;
    for (let j = 0; j < nFeatures; j++) {
      let squares = 0;
      for (let i = 0; i < n; i++) squares += (X[i * nFeatures + j] - means[j]) ** 2;
      const std = Math.sqrt(squares / n);
      if (std > 0) scales[j] = std;
    }
    const rows = Array.from({ length: n }, (_, i) =>
      Array.from({ length: nFeatures }, (_, j) => (X[i * nFeatures + j] - means[j]) / scales[j]),
    );
    const targets = Array.from(y, (v) => [v]);
    const regression = new MultivariateLinearRegression(rows, targets, { intercept: true, statistics: false });
    // weights: one row per standardised feature, then the intercept row.
    const weights = regression.weights;
    const coefficients = new Float64Array(nFeatures);
    let intercept = weights[nFeatures][0];
    for (let j = 0; j < nFeatures; j++) {
      coefficients[j] = weights[j][0] / scales[j];
      intercept -= coefficients[j] * means[j];
    }
    return new LinearRegressionModel(nFeatures, coefficients, intercept, means);
  }

  predict(X: Float64Array, nRows = X.length / this.nFeatures): Float64Array {
    const out = new Float64Array(nRows);
    const p = this.nFeatures;
    for (let i = 0; i < nRows; i++) {
      let sum = this.intercept;
      for (let j = 0; j < p; j++) sum += this.coefficients[j] * X[i * p + j];
      out[i] = sum;
    }
    return out;
  }

  /** |coefficient × feature std| is not available after fitting; importance is the share of |coefficient|. */
  get featureImportances(): Float64Array {
    const abs = this.coefficients.map(Math.abs);
    const total = abs.reduce((a, b) => a + b, 0) || 1;
    return abs.map((v) => v / total);
  }

  toJSON(): LinearRegressionJson {
    return {
      kind: LINEAR_KIND,
      formatVersion: 1,
      nFeatures: this.nFeatures,
      coefficients: Array.from(this.coefficients),
      intercept: this.intercept,
      ...(this.means ? { means: Array.from(this.means) } : {}),
    };
  }

  static fromJSON(json: unknown): LinearRegressionModel {
    const obj = asRecord(json, 'linear model');
    readLiteral(obj, 'kind', 'linear model', [LINEAR_KIND]);
    readLiteral(obj, 'formatVersion', 'linear model', [1]);
    const nFeatures = readInt(obj, 'nFeatures', 'linear model', 1);
    const coefficients = obj.coefficients;
    if (!Array.isArray(coefficients) || coefficients.length !== nFeatures || !coefficients.every(Number.isFinite)) {
      throw new ModelFormatError(`linear model.coefficients must be ${nFeatures} finite numbers`);
    }
    return new LinearRegressionModel(
      nFeatures,
      Float64Array.from(coefficients as number[]),
      readNumber(obj, 'intercept', 'linear model'),
      obj.means === undefined ? undefined : readFloat64Array(obj, 'means', 'linear model', nFeatures),
    );
  }
}
