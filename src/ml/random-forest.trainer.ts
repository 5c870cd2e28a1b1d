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
  params: RandomForestParams,
  options: RandomForestFitOptions = {},
): RandomForestFitResult {
  const classification = params.task === 'classification';
  const nClasses = validateTrainingData(data, params.task);
  /** Values per leaf: class frequencies, or the mean for regression. */
  const nOutputs = classification ? nClasses : 1;
  const { X, y, nFeatures } = data;
  const nRows = y.length;
  const binner = QuantileBinner.fit(X, nFeatures, { maxBins: params.maxBins });
  const matrix = { binned: binner.transform(X, nRows), nRows, nFeatures, thresholds: binner.thresholds };
  const builder = new TreeBuilder(matrix, nOutputs, {
    maxDepth: params.maxDepth,
    maxLeaves: params.maxLeaves,
    minSamplesLeaf: params.minSamplesLeaf,
    minHessianLeaf: 0,
    lambda: 0,
    minGainToSplit: 0,
    maxFeaturesPerSplit: featuresPerSplit(params.maxFeatures, nFeatures),
  });
  const rng = new Rng(params.seed);
  /** Times each row was drawn into the current tree's bootstrap sample. */
  const timesDrawn = new Int32Array(nRows);
  const gradients = new Float64Array(nRows * nOutputs);
  const hessians = new Float64Array(nRows);
  const features = range(nFeatures);
  const gains = new Float64Array(nFeatures);
  const trees: FlatTree[] = [];
  const nDraws = Math.max(1, Math.round(params.maxSamples * nRows));
  for (let t = 0; t < params.nEstimators; t++) {
    if (params.bootstrap) {
      timesDrawn.fill(0);
      for (let i = 0; i < nDraws; i++) timesDrawn[rng.int(nRows)]++;
    } else {
      timesDrawn.fill(1);
    }
    let nUsed = 0;
    for (let row = 0; row < nRows; row++) if (timesDrawn[row] > 0) nUsed++;
    const rows = new Int32Array(nUsed);
    gradients.fill(0);
    for (let row = 0, i = 0; row < nRows; row++) {
      const weight = timesDrawn[row];
      if (weight === 0) continue;
      rows[i++] = row;
      hessians[row] = weight;
      if (classification) gradients[row * nOutputs + y[row]] = -weight;
      else gradients[row] = -weight * y[row];
    }
    const { tree } = builder.build({ gradients, hessians, rows, features, leafScale: 1, rng, importance: gains });
    trees.push(tree);
    options.onProgress?.(t + 1, params.nEstimators);
  }
  return { nClasses: nOutputs, trees, gains };
}
