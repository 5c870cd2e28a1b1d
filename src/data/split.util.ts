import { Rng } from '../ml/random';

export interface Split {
  /** Positions (0..n-1) of the training rows, ascending. */
  train: number[];
  /** Positions of the held-out rows, ascending. */
  test: number[];
}

/**
 * Deterministic seeded train/test split of n rows: a seeded Fisher–Yates shuffle, the first ceil(n × testFraction)
 * rows held out (scikit-learn's rounding). The same seed always gives the same split; another seed another split.
 */
export function seededSplit(n: number, testFraction: number, seed: number): Split {
  const order = new Rng(seed).shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const nTest = Math.ceil(n * testFraction);
  const byPosition = (a: number, b: number): number => a - b;
  return {
    test: Array.from(order.subarray(0, nTest)).sort(byPosition),
    train: Array.from(order.subarray(nTest)).sort(byPosition),
  };
}
