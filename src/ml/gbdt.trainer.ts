import { FlatTree } from './flat-tree';
import { GbdtParams } from './gbdt.params';
import { InvalidInputError } from './invalid-input.error';
import { initialScores, meanSquaredError, softmaxGradients, softmaxLogLoss, squaredErrorGradients } from './objectives';
import { QuantileBinner } from './quantile-binner';
import { Rng } from './random';
import { TreeBuilder } from './tree-builder';
import { TreeEnsemble } from './tree-ensemble';
import {
  ProgressCallback,
  range,
  sampleWithoutReplacement,
  takeRows,
  takeTargets,
  TrainingData,
  validateTrainingData,
} from './training-data';

export interface GbdtFitOptions {
  /** Explicit early-stopping set (used instead of holding out validationFraction of the training rows). */
  validation?: { X: Float64Array; y: Float64Array | Int32Array };
  onProgress?: ProgressCallback;
  /** Classes the model must output (labels 0..nClasses-1), also those absent from the training rows. */
  nClasses?: number;
}

export interface GbdtFitResult {
  nClasses: number;
  baseScore: Float64Array;
  /** nClasses trees per round (nClasses = 1 for regression), class-major within a round; rounds after the best one removed. */
  trees: FlatTree[];
  /** Summed split gain per feature over the kept trees (not normalised). */
  gains: Float64Array;
  trainLoss: number[];
  validationLoss: number[];
}

/** Fits boosted trees; see GradientBoostedTrees.fit for the public entry point. */
export function trainGbdt(data: TrainingData, params: GbdtParams, options: GbdtFitOptions = {}): GbdtFitResult {
  const classification = params.task === 'classification';
  const nClassesSeen = validateTrainingData(data, params.task);
  const { nFeatures } = data;
  const rng = new Rng(params.seed);
  const { train, valid } = splitForEarlyStopping(data, params, rng, options);
  /** Trees per round: 1 for regression, one per class otherwise. */
  const nOutputs = classification ? Math.max(nClassesSeen, maxLabel(valid?.y) + 1, options.nClasses ?? 0) : 1;
  const nRows = train.y.length;

  const binner = QuantileBinner.fit(train.X, nFeatures, { maxBins: params.maxBins });
  const binned = binner.transform(train.X, nRows);
  const matrix = { binned, nRows, nFeatures, thresholds: binner.thresholds };
  const builder = new TreeBuilder(matrix, 1, { ...params, maxFeaturesPerSplit: nFeatures });
  const nBins = Int32Array.from(binner.thresholds, (t) => t.length + 1);

  const baseScore = initialScores(train.y, nOutputs, classification);
  const rawScores = filledScores(nRows, baseScore);
  const validRawScores = valid ? filledScores(valid.y.length, baseScore) : null;
  // Class-major: the gradients and hessians of output k are [k * nRows, (k + 1) * nRows).
  const gradients = new Float64Array(nRows * nOutputs);
  const hessians = new Float64Array(nRows * nOutputs);
  const probabilities = new Float64Array(nOutputs);
  const scratch = new Int32Array(Math.max(nRows, nFeatures));
  const allFeatures = range(nFeatures);
  const nSampledRows = Math.max(1, Math.round(params.subsample * nRows));
  const nSampledFeatures = Math.max(1, Math.round(params.colsampleByTree * nFeatures));
  const outputOfTree = range(nOutputs);

  const trees: FlatTree[] = [];
  const gains = new Float64Array(nFeatures);
  let bestGains = new Float64Array(nFeatures);
  const trainLoss: number[] = [];
  const validationLoss: number[] = [];
  let bestRound = -1;
  let bestLoss = Infinity;
  for (let round = 0; round < params.nEstimators; round++) {
    if (classification) {
      softmaxGradients(rawScores, train.y as Int32Array, nOutputs, gradients, hessians, probabilities);
    } else {
      squaredErrorGradients(rawScores, train.y as Float64Array, gradients, hessians);
    }
    const rows = nSampledRows < nRows ? sampleWithoutReplacement(nRows, nSampledRows, rng, scratch) : range(nRows);
    const features =
      nSampledFeatures < nFeatures ? sampleWithoutReplacement(nFeatures, nSampledFeatures, rng, scratch) : allFeatures;
    const roundTrees: FlatTree[] = [];
    for (let k = 0; k < nOutputs; k++) {
      const { tree, splitBin } = builder.build({
        gradients: gradients.subarray(k * nRows, (k + 1) * nRows),
        hessians: hessians.subarray(k * nRows, (k + 1) * nRows),
        rows,
        features,
        leafScale: params.learningRate,
        rng,
        importance: gains,
      });
      addBinnedPredictions(tree, splitBin, binned, nFeatures, nBins, rawScores, nOutputs, k);
      roundTrees.push(tree);
    }
    trees.push(...roundTrees);
    trainLoss.push(loss(rawScores, train.y, nOutputs, classification));
    if (valid && validRawScores) {
      const roundEnsemble = new TreeEnsemble(roundTrees, outputOfTree, 1, nFeatures, nOutputs);
      roundEnsemble.accumulate(valid.X, valid.y.length, validRawScores);
      validationLoss.push(loss(validRawScores, valid.y, nOutputs, classification));
    }
    const current = validationLoss[round] ?? trainLoss[round];
    if (current < bestLoss - params.tol || bestRound < 0) {
      bestLoss = current;
      bestRound = round;
      bestGains = gains.slice();
    }
    options.onProgress?.(round + 1, params.nEstimators, {
      trainLoss: trainLoss[round],
      validationLoss: validationLoss[round],
    });
    if (valid && params.nIterNoChange > 0 && round - bestRound >= params.nIterNoChange) break;
  }
  const keptRounds = valid && params.nIterNoChange > 0 ? bestRound + 1 : trees.length / nOutputs;
  return {
    nClasses: nOutputs,
    baseScore,
    trees: trees.slice(0, keptRounds * nOutputs),
    gains: keptRounds * nOutputs === trees.length ? gains : bestGains,
    trainLoss,
    validationLoss,
  };
}

interface Part {
  X: Float64Array;
  y: Float64Array | Int32Array;
}

function splitForEarlyStopping(
  data: TrainingData,
  params: GbdtParams,
  rng: Rng,
  options: GbdtFitOptions,
): { train: Part; valid: Part | null } {
  if (options.validation) {
    const validation = options.validation;
    if (validation.X.length !== validation.y.length * data.nFeatures || validation.y.length === 0) {
      throw new InvalidInputError('validation X and y do not match nFeatures');
    }
    if (params.task === 'classification' && !(validation.y instanceof Int32Array)) {
      throw new InvalidInputError('validation labels must be an Int32Array');
    }
    return { train: data, valid: validation };
  }
  const nRows = data.y.length;
  const nValid = Math.round(params.validationFraction * nRows);
  if (params.nIterNoChange === 0 || nValid < 1 || nRows - nValid < 2) return { train: data, valid: null };
  const perm = rng.shuffle(range(nRows));
  const validRows = perm.slice(0, nValid).sort();
  const trainRows = perm.slice(nValid).sort();
  return {
    train: { X: takeRows(data.X, data.nFeatures, trainRows), y: takeTargets(data.y, trainRows) },
    valid: { X: takeRows(data.X, data.nFeatures, validRows), y: takeTargets(data.y, validRows) },
  };
}

function filledScores(nRows: number, base: Float64Array): Float64Array {
  const out = new Float64Array(nRows * base.length);
  for (let r = 0; r < nRows; r++) out.set(base, r * base.length);
  return out;
}

function maxLabel(y: Float64Array | Int32Array | undefined): number {
  let max = -1;
  if (y) for (let i = 0; i < y.length; i++) max = Math.max(max, y[i]);
  return max;
}

function loss(
  rawScores: Float64Array,
  y: Float64Array | Int32Array,
  nOutputs: number,
  classification: boolean,
): number {
  return classification
    ? softmaxLogLoss(rawScores, y as Int32Array, nOutputs)
    : meanSquaredError(rawScores, y as Float64Array);
}

/** Adds the tree's output to rawScores[row * nOutputs + output] for every training row, walking the binned matrix. */
function addBinnedPredictions(
  tree: FlatTree,
  splitBin: Int32Array,
  binned: Uint8Array,
  nFeatures: number,
  nBins: Int32Array,
  rawScores: Float64Array,
  nOutputs: number,
  output: number,
): void {
  const { feature, left, defaultLeft, value } = tree;
  const nRows = binned.length / nFeatures;
  for (let row = 0; row < nRows; row++) {
    let node = 0;
    let splitFeature = feature[0];
    while (splitFeature >= 0) {
      const bin = binned[row * nFeatures + splitFeature];
      const goLeft = bin === nBins[splitFeature] ? defaultLeft[node] === 1 : bin <= splitBin[node];
      node = goLeft ? left[node] : left[node] + 1;
      splitFeature = feature[node];
    }
    rawScores[row * nOutputs + output] += value[node];
  }
}
