import { FlatTree } from './flat-tree';
import { QuantileBinner } from './quantile-binner';
import { Rng } from './random';
import { featuresPerSplit, RandomForestParams } from './random-forest.params';
import { TreeBuilder } from './tree-builder';
import { ProgressCallback, range, TrainingData, validateTrainingData } from './training-data';

export interface RandomForestFitOptions {
  onProgress?: ProgressCallback;
}

export interface RandomForestFitResult {
  nClasses: number;
  trees: FlatTree[];
  gains: Float64Array;
}

/**
 * Grows each tree on a bootstrap sample with features drawn per split. A bootstrap sample is expressed as row
 * weights (how often each row was drawn), so every distinct row is scanned once. With gradient -w·y and hessian w
 * and no regularisation, the shared histogram builder maximises the weighted squared-error reduction, whose leaf
 * value is the weighted mean; for classes, y is one-hot, which is exactly the Gini decrease, and leaves hold class
 * frequencies.
 */
export function trainRandomForest(
  data: TrainingData,
  p: RandomForestParams,
  options: RandomForestFitOptions = {},
): RandomForestFitResult {
  const classification = p.task === 'classification';
  const nClasses = validateTrainingData(data, p.task);
  const K = classification ? nClasses : 1;
  const { X, y, nFeatures: nF } = data;
  const n = y.length;
  const binner = QuantileBinner.fit(X, nF, { maxBins: p.maxBins });
  const matrix = { binned: binner.transform(X, n), nRows: n, nFeatures: nF, thresholds: binner.thresholds };
  const builder = new TreeBuilder(matrix, K, {
    maxDepth: p.maxDepth,
    maxLeaves: p.maxLeaves,
    minSamplesLeaf: p.minSamplesLeaf,
    minHessianLeaf: 0,
    lambda: 0,
    minGainToSplit: 0,
    maxFeaturesPerSplit: featuresPerSplit(p.maxFeatures, nF),
  });
  const rng = new Rng(p.seed);
  const weight = new Int32Array(n);
  const grad = new Float64Array(n * K);
  const hess = new Float64Array(n);
  const features = range(nF);
  const gains = new Float64Array(nF);
  const trees: FlatTree[] = [];
  const nDraws = Math.max(1, Math.round(p.maxSamples * n));
  for (let t = 0; t < p.nEstimators; t++) {
    if (p.bootstrap) {
      weight.fill(0);
      for (let i = 0; i < nDraws; i++) weight[rng.int(n)]++;
    } else {
      weight.fill(1);
    }
    let nUsed = 0;
    for (let r = 0; r < n; r++) if (weight[r] > 0) nUsed++;
    const rows = new Int32Array(nUsed);
    grad.fill(0);
    for (let r = 0, i = 0; r < n; r++) {
      const w = weight[r];
      if (w === 0) continue;
      rows[i++] = r;
      hess[r] = w;
      if (classification) grad[r * K + y[r]] = -w;
      else grad[r] = -w * y[r];
    }
    const { tree } = builder.build({ grad, hess, rows, features, leafScale: 1, rng, importance: gains });
    trees.push(tree);
    options.onProgress?.(t + 1, p.nEstimators);
  }
  return { nClasses: K, trees, gains };
}
