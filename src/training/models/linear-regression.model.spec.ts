import { readFileSync } from 'node:fs';
import { realHousingCsvPath, sklearnSplitPath } from '../../../test/support/housing-data';
import { builtinDefinition } from '../../../test/support/builtin-models';
import { transformAll } from '../../data/feature-spec';
import { compilePipeline, fitPreprocessing, targetValue } from '../../data/pipeline/definition-pipeline';
import { parseTable } from '../../data/table/csv-table.parser';
import { rmse } from '../../ml/metrics.util';
import { Rng } from '../../ml/random';
import { ModelFormatError } from '../../ml/model-format.error';
import { LinearRegressionModel } from './linear-regression.model';

/** Least squares by the normal equations and Gaussian elimination — an independent reference. */
function leastSquares(X: Float64Array, y: Float64Array, p: number): Float64Array {
  const n = y.length;
  const k = p + 1;
  const a = Array.from({ length: k }, () => new Float64Array(k + 1));
  for (let i = 0; i < n; i++) {
    const row = [...X.subarray(i * p, (i + 1) * p), 1];
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) a[r][c] += row[r] * row[c];
      a[r][k] += row[r] * y[i];
    }
  }
  for (let col = 0; col < k; col++) {
    const pivot = a
      .slice(col)
      .reduce((best, row, i) => (Math.abs(row[col]) > Math.abs(a[best][col]) ? col + i : best), col);
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c <= k; c++) a[r][c] -= f * a[col][c];
    }
  }
  return Float64Array.from(a, (row, i) => row[k] / a[i][i]);
}

describe('LinearRegressionModel', () => {
  const rng = new Rng(3);
  const n = 500;
  const p = 3;
  const X = Float64Array.from({ length: n * p }, (_, i) => (i % p === 2 ? 1000 : 1) * (rng.next() - 0.5));
  const y = Float64Array.from(
    { length: n },
    (_, i) => 3 + 2 * X[i * p] - X[i * p + 1] + 0.004 * X[i * p + 2] + 0.1 * (rng.next() - 0.5),
  );

  it('matches least squares (normal equations) on features of very different scales', () => {
    const model = LinearRegressionModel.fit({ X, y, nFeatures: p });
    const reference = leastSquares(X, y, p);
    for (let j = 0; j < p; j++) expect(model.coefficients[j]).toBeCloseTo(reference[j], 9);
    expect(model.intercept).toBeCloseTo(reference[p], 9);
    expect(model.coefficients[0]).toBeCloseTo(2, 1);
    expect(model.intercept).toBeCloseTo(3, 1);
  });

  it('predicts identically after a JSON round trip and refuses malformed JSON', () => {
    const model = LinearRegressionModel.fit({ X, y, nFeatures: p });
    const copy = LinearRegressionModel.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(copy.predict(X)).toEqual(model.predict(X));
    expect(() => LinearRegressionModel.fromJSON({ ...model.toJSON(), coefficients: [1] })).toThrow(ModelFormatError);
    expect(() => LinearRegressionModel.fromJSON({ kind: 'gbdt' })).toThrow(ModelFormatError);
  });

  it("reproduces scikit-learn's LinearRegression RMSE (0.7455) on its split and its 8 features", () => {
    // scikit-learn's derivation is the first eight columns of the built-in housing definition (AveBedrms imputed
    // with its training median): a definition with just those columns is scikit-learn's feature matrix.
    const housing = builtinDefinition('california-housing');
    const definition = { ...housing, columns: housing.columns.slice(0, 8) };
    expect(definition.columns.map((c) => c.name)).toEqual([
      'MedInc',
      'HouseAge',
      'AveRooms',
      'AveBedrms',
      'Population',
      'AveOccup',
      'Latitude',
      'Longitude',
    ]);
    const { records } = parseTable(readFileSync(realHousingCsvPath()), 'housing', definition, 0);
    const split = JSON.parse(readFileSync(sklearnSplitPath(), 'utf8')) as { train: number[]; test: number[] };
    const preprocessing = fitPreprocessing(
      definition,
      split.train.map((i) => records[i].values),
    );
    const pipeline = compilePipeline(definition, preprocessing);
    const part = (rows: number[]) => ({
      X: transformAll(
        pipeline,
        rows.map((i) => records[i].values),
        preprocessing,
      ),
      y: Float64Array.from(rows, (i) => targetValue(definition, records[i].values.median_house_value as number)),
      nFeatures: 8,
    });
    const train = part(split.train);
    const test = part(split.test);
    const model = LinearRegressionModel.fit(train);
    expect(rmse(test.y, model.predict(test.X))).toBeCloseTo(0.7455, 4);
  });
});
