import { Rng } from '../ml/random';
import { takeRows, takeTargets, TrainingData } from '../ml/training-data';

/** k disjoint folds of 0..n-1 after a seeded shuffle; fold sizes differ by at most one. */
export function kFolds(n: number, k: number, seed: number): Int32Array[] {
  const order = new Rng(seed).shuffle(Int32Array.from({ length: n }, (_, i) => i));
  return Array.from({ length: k }, (_, f) => order.filter((_, i) => i % k === f).sort());
}

/** The training part and the validation fold of fold f. */
export function foldData(
  data: TrainingData,
  folds: Int32Array[],
  f: number,
): { train: TrainingData; valid: TrainingData } {
  const valid = folds[f];
  const train = Int32Array.from(folds.filter((_, i) => i !== f).flatMap((fold) => Array.from(fold)));
  const part = (rows: Int32Array): TrainingData => ({
    X: takeRows(data.X, data.nFeatures, rows),
    y: takeTargets(data.y, rows),
    nFeatures: data.nFeatures,
  });
  return { train: part(train), valid: part(valid) };
}

/** A random gbdt configuration around the defaults (log-uniform learning rate, a few tree shapes). */
export function sampleGbdtParams(rng: Rng): Record<string, number> {
  const pick = <T>(values: readonly T[]): T => values[rng.int(values.length)];
  return {
    learningRate: Number(Math.exp(Math.log(0.03) + rng.next() * Math.log(0.2 / 0.03)).toPrecision(3)),
    nEstimators: pick([200, 300, 500]),
    maxLeaves: pick([15, 31, 63]),
    maxDepth: pick([6, 8, 10]),
    minSamplesLeaf: pick([10, 20, 40]),
    colsampleByTree: pick([0.5, 0.7, 0.9, 1]),
    subsample: pick([0.8, 1]),
    lambda: pick([0, 1, 5]),
  };
}
