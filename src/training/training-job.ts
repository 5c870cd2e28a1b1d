import { accuracy, confusionMatrix, logLoss, macroF1, mae, mape, r2, rmse } from '../ml/metrics.util';
import { Rng } from '../ml/random';
import type { MlTask, TrainingData } from '../ml/training-data';
import { CandidateName, CandidateParams, fitCandidate } from './candidates';
import { Estimator, featureImportances, predictProba } from './models/estimator';
import { meanAbsContributions } from './models/explanation';
import { foldData, kFolds, sampleGbdtParams } from './search.util';

/** One candidate to fit in the training child process, with its holdout. */
export interface TrainingJob {
  candidate: CandidateName;
  task: MlTask;
  nClasses: number;
  params: CandidateParams;
  /** k-fold cross-validation on the training part (k ≥ 2), and an optional random search of gbdt parameters. */
  crossValidation?: { folds: number; searchIterations: number; seed: number };
  train: TrainingData;
  test: TrainingData;
}

export interface CvSummary {
  metric: 'rmse' | 'accuracy';
  folds: number;
  /** Score of each fold for the chosen parameters. */
  scores: number[];
  mean: number;
  std: number;
  /** Random-search trials: parameters tried and their mean score. */
  trials?: { params: CandidateParams; mean: number }[];
}

export type HoldoutMetrics = Record<string, number | number[][]>;

export interface TrainingResult {
  /**
   * The fitted estimator's JSON text. Text, not the object: a forest's object tree would be cloned into the
   * serving thread's heap (tens of MB per forest) only to be written out again.
   */
  modelJson: string;
  params: CandidateParams;
  metrics: HoldoutMetrics;
  trainSeconds: number;
  predictMicrosPerRow: number;
  featureImportances?: number[];
  /** Mean |SHAP value| per feature over the holdout (see meanAbsContributions). */
  shapImportances?: number[];
  cv?: CvSummary;
}

export interface JobProgress {
  stage: 'search' | 'fit';
  done: number;
  total: number;
}

/** Holdout metrics: RMSE, MAE, R², MAPE for regression; accuracy, macro-F1, log loss, confusion matrix otherwise. */
export function evaluate(
  estimator: Estimator,
  job: Pick<TrainingJob, 'task' | 'nClasses'>,
  data: TrainingData,
): HoldoutMetrics {
  const nRows = data.y.length;
  const predicted = estimator.predict(data.X, nRows);
  if (job.task === 'regression') {
    const y = data.y as Float64Array;
    return { rmse: rmse(y, predicted), mae: mae(y, predicted), r2: r2(y, predicted), mape: mape(y, predicted) };
  }
  const y = data.y as Int32Array;
  const labels = Int32Array.from(predicted);
  return {
    accuracy: accuracy(y, labels),
    macroF1: macroF1(y, labels, job.nClasses),
    logLoss: logLoss(y, predictProba(estimator, data.X, nRows), job.nClasses),
    confusionMatrix: confusionMatrix(y, labels, job.nClasses),
  };
}

/** Batch prediction time per row, measured over repeated passes of at least 100 ms. */
export function predictMicrosPerRow(estimator: Estimator, data: TrainingData): number {
  const nRows = data.y.length;
  let passes = 0;
  const started = performance.now();
  do {
    estimator.predict(data.X, nRows);
    passes++;
  } while (performance.now() - started < 100);
  return ((performance.now() - started) * 1000) / (passes * nRows);
}

function crossValidate(job: TrainingJob, params: CandidateParams, folds: Int32Array[]): number[] {
  const metric = job.task === 'regression' ? 'rmse' : 'accuracy';
  return folds.map((_, f) => {
    const { train, valid } = foldData(job.train, folds, f);
    const estimator = fitCandidate({ ...job, params }, train);
    return evaluate(estimator, job, valid)[metric] as number;
  });
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

/** Chooses parameters (random search with k-fold CV when asked), fits on the whole training part, evaluates. */
export function runTrainingJob(
  job: TrainingJob,
  onProgress: (progress: JobProgress) => void = () => {},
): TrainingResult {
  let params = job.params;
  let cv: CvSummary | undefined;
  if (job.crossValidation && job.crossValidation.folds >= 2) {
    const { folds: k, searchIterations, seed } = job.crossValidation;
    const folds = kFolds(job.train.y.length, k, seed);
    const better = job.task === 'regression' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
    let best = { params, scores: crossValidate(job, params, folds) };
    const trials = [{ params, mean: mean(best.scores) }];
    if (job.candidate === 'gbdt') {
      const rng = new Rng(seed);
      for (let i = 0; i < searchIterations; i++) {
        onProgress({ stage: 'search', done: i, total: searchIterations });
        const candidate = { ...job.params, ...sampleGbdtParams(rng) };
        const scores = crossValidate(job, candidate, folds);
        trials.push({ params: candidate, mean: mean(scores) });
        if (better(mean(scores), mean(best.scores))) best = { params: candidate, scores };
      }
    }
    params = best.params;
    const metric = job.task === 'regression' ? 'rmse' : 'accuracy';
    cv = { metric, folds: k, scores: best.scores, mean: mean(best.scores), std: std(best.scores) };
    if (trials.length > 1) cv.trials = trials;
  }
  const started = performance.now();
  const estimator = fitCandidate({ ...job, params }, job.train, (done, total) =>
    onProgress({ stage: 'fit', done, total }),
  );
  const trainSeconds = (performance.now() - started) / 1000;
  onProgress({ stage: 'fit', done: 1, total: 1 });
  const importances = featureImportances(estimator);
  const shap = meanAbsContributions(estimator, job.test.X, job.test.y.length);
  return {
    modelJson: JSON.stringify(estimator.toJSON()),
    params,
    metrics: evaluate(estimator, job, job.test),
    trainSeconds,
    predictMicrosPerRow: predictMicrosPerRow(estimator, job.test),
    featureImportances: importances ? Array.from(importances) : undefined,
    shapImportances: shap ? Array.from(shap) : undefined,
    cv,
  };
}
