import { InvalidInputError } from './invalid-input.error';

/** Evaluation metrics. Predictions and targets are equally long numeric arrays; class labels are 0..k-1. */

type Numbers = ArrayLike<number>;

function checkLengths(yTrue: Numbers, yPred: Numbers): void {
  if (yTrue.length !== yPred.length || yTrue.length === 0) {
    throw new InvalidInputError(
      `expected two non-empty arrays of equal length, got ${yTrue.length} and ${yPred.length}`,
    );
  }
}

export function rmse(yTrue: Numbers, yPred: Numbers): number {
  checkLengths(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i] - yPred[i]) ** 2;
  return Math.sqrt(s / yTrue.length);
}

export function mae(yTrue: Numbers, yPred: Numbers): number {
  checkLengths(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i] - yPred[i]);
  return s / yTrue.length;
}

/** Coefficient of determination; 0 when the target is constant and predicted exactly, -Infinity if not. */
export function r2(yTrue: Numbers, yPred: Numbers): number {
  checkLengths(yTrue, yPred);
  let mean = 0;
  for (let i = 0; i < yTrue.length; i++) mean += yTrue[i];
  mean /= yTrue.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    ssRes += (yTrue[i] - yPred[i]) ** 2;
    ssTot += (yTrue[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 0 : -Infinity;
  return 1 - ssRes / ssTot;
}

/** Mean absolute percentage error as a fraction (0.1 = 10 %); rows with a zero target are skipped. */
export function mape(yTrue: Numbers, yPred: Numbers): number {
  checkLengths(yTrue, yPred);
  let s = 0;
  let n = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 0) continue;
    s += Math.abs((yTrue[i] - yPred[i]) / yTrue[i]);
    n++;
  }
  return n === 0 ? 0 : s / n;
}

export function accuracy(yTrue: Numbers, yPred: Numbers): number {
  checkLengths(yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/** matrix[t][p] = rows of true class t predicted as p. */
export function confusionMatrix(yTrue: Numbers, yPred: Numbers, nClasses?: number): number[][] {
  checkLengths(yTrue, yPred);
  let k = nClasses ?? 0;
  if (nClasses === undefined) for (let i = 0; i < yTrue.length; i++) k = Math.max(k, yTrue[i] + 1, yPred[i] + 1);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!Number.isInteger(t) || !Number.isInteger(p) || t < 0 || p < 0 || t >= k || p >= k) {
      throw new InvalidInputError(`labels must be integers in [0, ${k}), got ${t} and ${p} at ${i}`);
    }
    m[t][p]++;
  }
  return m;
}

/** Unweighted mean of the per-class F1 scores over classes that occur in yTrue or yPred. */
export function macroF1(yTrue: Numbers, yPred: Numbers, nClasses?: number): number {
  const m = confusionMatrix(yTrue, yPred, nClasses);
  let sum = 0;
  let counted = 0;
  for (let c = 0; c < m.length; c++) {
    const tp = m[c][c];
    let actual = 0;
    let predicted = 0;
    for (let j = 0; j < m.length; j++) {
      actual += m[c][j];
      predicted += m[j][c];
    }
    if (actual === 0 && predicted === 0) continue;
    sum += (2 * tp) / (actual + predicted);
    counted++;
  }
  return counted === 0 ? 0 : sum / counted;
}

/** Mean negative log-likelihood of the true class; proba is nRows × nClasses, clipped to [eps, 1 - eps]. */
export function logLoss(yTrue: Numbers, proba: Numbers, nClasses: number, eps = 1e-15): number {
  if (yTrue.length === 0 || proba.length !== yTrue.length * nClasses) {
    throw new InvalidInputError(`proba must hold ${yTrue.length} rows × ${nClasses} classes`);
  }
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, proba[i * nClasses + yTrue[i]]));
    s -= Math.log(p);
  }
  return s / yTrue.length;
}
