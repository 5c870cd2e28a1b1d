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

/**
 * Seeded split that keeps every class's share in both parts (scikit-learn's `stratify=y`): each class holds out
 * its share of ceil(n × testFraction) rows, the remainders going to the classes with the largest fractional parts;
 * within a class the held-out rows are the first of one seeded shuffle of all rows.
 */
export function stratifiedSplit(labels: readonly string[], testFraction: number, seed: number): Split {
  const n = labels.length;
  const nTest = Math.ceil(n * testFraction);
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const classes = [...counts.keys()].sort();
  const exact = classes.map((c) => ((counts.get(c) ?? 0) * nTest) / n);
  const quota = new Map(classes.map((c, i) => [c, Math.floor(exact[i])]));
  let left = nTest - [...quota.values()].reduce((a, b) => a + b, 0);
  const byRemainder = classes
    .map((c, i) => ({ c, remainder: exact[i] - Math.floor(exact[i]) }))
    .sort((a, b) => b.remainder - a.remainder || (a.c < b.c ? -1 : 1));
  for (const { c } of byRemainder) {
    if (left-- <= 0) break;
    quota.set(c, (quota.get(c) ?? 0) + 1);
  }
  const order = new Rng(seed).shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const test: number[] = [];
  const train: number[] = [];
  for (const position of order) {
    const label = labels[position];
    const remaining = quota.get(label) ?? 0;
    if (remaining > 0) {
      test.push(position);
      quota.set(label, remaining - 1);
    } else {
      train.push(position);
    }
  }
  const byPosition = (a: number, b: number): number => a - b;
  return { test: test.sort(byPosition), train: train.sort(byPosition) };
}
