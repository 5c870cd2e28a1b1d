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
  /** K trees per round (K = 1 for regression, nClasses otherwise), rounds after the best one removed. */
  trees: FlatTree[];
  /** Summed split gain per feature over the kept trees (not normalised). */
  gains: Float64Array;
  trainLoss: number[];
  validationLoss: number[];
}

/** Fits boosted trees; see GradientBoostedTrees.fit for the public entry point. */
export function trainGbdt(data: TrainingData, p: GbdtParams, options: GbdtFitOptions = {}): GbdtFitResult {
  const classification = p.task === 'classification';
  const nClassesSeen = validateTrainingData(data, p.task);
  const { nFeatures: nF } = data;
  const rng = new Rng(p.seed);
  const { train, valid } = splitForEarlyStopping(data, p, rng, options);
  const K = classification ? Math.max(nClassesSeen, maxLabel(valid?.y) + 1, options.nClasses ?? 0) : 1;
  const n = train.y.length;

  const binner = QuantileBinner.fit(train.X, nF, { maxBins: p.maxBins });
  const matrix = { binned: binner.transform(train.X, n), nRows: n, nFeatures: nF, thresholds: binner.thresholds };
  const builder = new TreeBuilder(matrix, 1, { ...p, maxFeaturesPerSplit: nF });
  const nBins = Int32Array.from(binner.thresholds, (t) => t.length + 1);

  const baseScore = initialScores(train.y, K, classification);
  const raw = filledScores(n, baseScore);
  const validRaw = valid ? filledScores(valid.y.length, baseScore) : null;
  const grad = new Float64Array(n * K);
  const hess = new Float64Array(n * K);
  const prob = new Float64Array(K);
  const scratch = new Int32Array(Math.max(n, nF));
  const allFeatures = range(nF);
  const nSample = Math.max(1, Math.round(p.subsample * n));
  const nCols = Math.max(1, Math.round(p.colsampleByTree * nF));
  const offsets = range(K);

  const trees: FlatTree[] = [];
  const gains = new Float64Array(nF);
  let bestGains = new Float64Array(nF);
  const trainLoss: number[] = [];
  const validationLoss: number[] = [];
  let bestRound = -1;
  let bestLoss = Infinity;
  for (let round = 0; round < p.nEstimators; round++) {
    if (classification) softmaxGradients(raw, train.y as Int32Array, K, grad, hess, prob);
    else squaredErrorGradients(raw, train.y as Float64Array, grad, hess);
    const rows = nSample < n ? sampleWithoutReplacement(n, nSample, rng, scratch) : range(n);
    const features = nCols < nF ? sampleWithoutReplacement(nF, nCols, rng, scratch) : allFeatures;
    const roundTrees: FlatTree[] = [];
    for (let k = 0; k < K; k++) {
      const { tree, splitBin } = builder.build({
        grad: grad.subarray(k * n, (k + 1) * n),
        hess: hess.subarray(k * n, (k + 1) * n),
        rows,
        features,
        leafScale: p.learningRate,
        rng,
        importance: gains,
      });
      addBinnedPredictions(tree, splitBin, matrix.binned, nF, nBins, raw, K, k);
      roundTrees.push(tree);
    }
    trees.push(...roundTrees);
    trainLoss.push(loss(raw, train.y, K, classification));
    if (valid && validRaw) {
      new TreeEnsemble(roundTrees, offsets, 1, nF, K).accumulate(valid.X, valid.y.length, validRaw);
      validationLoss.push(loss(validRaw, valid.y, K, classification));
    }
    const current = validationLoss[round] ?? trainLoss[round];
    if (current < bestLoss - p.tol || bestRound < 0) {
      bestLoss = current;
      bestRound = round;
      bestGains = gains.slice();
    }
    options.onProgress?.(round + 1, p.nEstimators, {
      trainLoss: trainLoss[round],
      validationLoss: validationLoss[round],
    });
    if (valid && p.nIterNoChange > 0 && round - bestRound >= p.nIterNoChange) break;
  }
  const keep = valid && p.nIterNoChange > 0 ? bestRound + 1 : trees.length / K;
  return {
    nClasses: K,
    baseScore,
    trees: trees.slice(0, keep * K),
    gains: keep * K === trees.length ? gains : bestGains,
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
  p: GbdtParams,
  rng: Rng,
  options: GbdtFitOptions,
): { train: Part; valid: Part | null } {
  if (options.validation) {
    const v = options.validation;
    if (v.X.length !== v.y.length * data.nFeatures || v.y.length === 0) {
      throw new InvalidInputError('validation X and y do not match nFeatures');
    }
    if (p.task === 'classification' && !(v.y instanceof Int32Array)) {
      throw new InvalidInputError('validation labels must be an Int32Array');
    }
    return { train: data, valid: v };
  }
  const n = data.y.length;
  const nValid = Math.round(p.validationFraction * n);
  if (p.nIterNoChange === 0 || nValid < 1 || n - nValid < 2) return { train: data, valid: null };
  const perm = rng.shuffle(range(n));
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

function loss(raw: Float64Array, y: Float64Array | Int32Array, K: number, classification: boolean): number {
  return classification ? softmaxLogLoss(raw, y as Int32Array, K) : meanSquaredError(raw, y as Float64Array);
}

/** Adds the tree's output to raw[r * K + k] for every training row, walking the binned matrix. */
function addBinnedPredictions(
  tree: FlatTree,
  splitBin: Int32Array,
  binned: Uint8Array,
  nF: number,
  nBins: Int32Array,
  raw: Float64Array,
  K: number,
  k: number,
): void {
  const { feature, left, defaultLeft, value } = tree;
  const nRows = binned.length / nF;
  for (let r = 0; r < nRows; r++) {
    let node = 0;
    let f = feature[0];
    while (f >= 0) {
      const code = binned[r * nF + f];
      const goLeft = code === nBins[f] ? defaultLeft[node] === 1 : code <= splitBin[node];
      node = goLeft ? left[node] : left[node] + 1;
      f = feature[node];
    }
    raw[r * K + k] += value[node];
  }
}
