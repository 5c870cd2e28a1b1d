import { GradientBoostedTrees } from '../ml/gbdt.model';
import type { GbdtParams } from '../ml/gbdt.params';
import { RandomForest } from '../ml/random-forest.model';
import type { RandomForestParams } from '../ml/random-forest.params';
import type { MlTask, ProgressCallback, TrainingData } from '../ml/training-data';
import type { GateMetric } from '../definitions/model-definition';
import type { Estimator } from './models/estimator';
import {
  DEFAULT_FOREST_CLASSIFIER_PARAMS,
  ForestClassifierModel,
  ForestClassifierParams,
} from './models/forest-classifier.model';
import { LinearRegressionModel } from './models/linear-regression.model';

export const CANDIDATE_NAMES = ['linear', 'random_forest', 'gbdt'] as const;
export type CandidateName = (typeof CANDIDATE_NAMES)[number];

/** The candidates trained by default for a task (the linear baseline only makes sense for regression). */
export const CANDIDATES_BY_TASK: Record<MlTask, readonly CandidateName[]> = {
  regression: ['linear', 'random_forest', 'gbdt'],
  classification: ['gbdt', 'random_forest'],
};

export type CandidateParams = Record<string, unknown>;

/**
 * Default hyper-parameters, measured on this project's data (see the training benchmark in the README):
 * gbdt 300 rounds of 31-leaf trees at depth ≤ 8 with 70% of the features per tree; the regression forest uses
 * min 3 rows per leaf (about the RMSE of fully grown trees at a third of the artifact size).
 */
export const DEFAULT_PARAMS: Record<MlTask, Record<CandidateName, CandidateParams>> = {
  regression: {
    linear: {},
    random_forest: { nEstimators: 100, maxFeatures: 'sqrt', minSamplesLeaf: 3 } satisfies Partial<RandomForestParams>,
    gbdt: {
      nEstimators: 300,
      learningRate: 0.1,
      maxLeaves: 31,
      maxDepth: 8,
      minSamplesLeaf: 20,
      colsampleByTree: 0.7,
    } satisfies Partial<GbdtParams>,
  },
  classification: {
    linear: {},
    random_forest: { ...DEFAULT_FOREST_CLASSIFIER_PARAMS },
    // Iris-sized data: fewer rounds and L2 on the leaves keep the class probabilities honest (log loss 0.27 vs 0.82).
    gbdt: { nEstimators: 50, minSamplesLeaf: 5, lambda: 1 } satisfies Partial<GbdtParams>,
  },
};

export interface CandidateFit {
  candidate: CandidateName;
  task: MlTask;
  nClasses: number;
  params: CandidateParams;
}

/** Fits one candidate on the given data. Classification uses ml-random-forest for `random_forest`. */
export function fitCandidate(fit: CandidateFit, data: TrainingData, onProgress?: ProgressCallback): Estimator {
  const { candidate, task, params } = fit;
  switch (candidate) {
    case 'linear':
      if (task !== 'regression') throw new Error('the linear candidate is for regression only');
      return LinearRegressionModel.fit(data);
    case 'random_forest':
      if (task === 'classification') {
        const forestParams = { ...DEFAULT_FOREST_CLASSIFIER_PARAMS, ...(params as Partial<ForestClassifierParams>) };
        return ForestClassifierModel.fit(data, fit.nClasses, forestParams);
      }
      return RandomForest.fit(data, { ...(params as Partial<RandomForestParams>), task }, { onProgress });
    case 'gbdt':
      return GradientBoostedTrees.fit(
        data,
        { ...(params as Partial<GbdtParams>), task },
        { onProgress, nClasses: task === 'classification' ? fit.nClasses : undefined },
      );
  }
}

/**
 * The holdout metrics a definition may rank candidates and gate promotions with (`gate.metric`): the key of the
 * run's metrics that holds it, and its direction.
 */
export const GATE_METRICS: Record<GateMetric, { runMetric: string; higherIsBetter: boolean }> = {
  rmse: { runMetric: 'rmse', higherIsBetter: false },
  mae: { runMetric: 'mae', higherIsBetter: false },
  r2: { runMetric: 'r2', higherIsBetter: true },
  accuracy: { runMetric: 'accuracy', higherIsBetter: true },
  macro_f1: { runMetric: 'macroF1', higherIsBetter: true },
  log_loss: { runMetric: 'logLoss', higherIsBetter: false },
};
