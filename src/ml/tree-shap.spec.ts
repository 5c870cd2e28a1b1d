import { FlatTree } from './flat-tree';
import { InvalidInputError } from './invalid-input.error';
import { Rng } from './random';
import { expectedValue, TreeShap } from './tree-shap';

const GRID = [-1, -0.5, 0, 0.5, 1];

/** A random threshold: mostly grid values (so rows hit them exactly), sometimes NaN or an infinity. */
function randomThreshold(rng: Rng): number {
  const u = rng.next();
  if (u < 0.05) return NaN;
  if (u < 0.1) return rng.next() < 0.5 ? Infinity : -Infinity;
  return GRID[rng.int(GRID.length)];
}

/** A random row: grid values, uniform values, NaNs and the odd infinity. */
function randomRow(rng: Rng, nFeatures: number): Float64Array {
  return Float64Array.from({ length: nFeatures }, () => {
    const u = rng.next();
    if (u < 0.2) return NaN;
    if (u < 0.25) return rng.next() < 0.5 ? Infinity : -Infinity;
    return u < 0.6 ? GRID[rng.int(GRID.length)] : 3 * rng.next() - 1.5;
  });
}

/** Finishes a tree from its shape: random leaf values and covers (some zero), each internal cover its children's sum. */
function finish(rng: Rng, feature: number[], left: number[], nOutputs: number, threshold?: number[]): FlatTree {
  const n = feature.length;
  const cover = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    if (feature[i] === -1) cover[i] = rng.next() < 0.1 ? 0 : 0.5 + 10 * rng.next();
    else cover[i] = cover[left[i]] + cover[left[i] + 1];
  }
  return {
    nOutputs,
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold ?? feature.map(() => randomThreshold(rng))),
    left: Int32Array.from(left),
    defaultLeft: Uint8Array.from(feature, () => rng.int(2)),
    value: Float64Array.from({ length: n * nOutputs }, () => 4 * rng.next() - 2),
    cover,
  };
}

/** A random tree grown breadth-first up to maxDepth; every node splits with probability 0.75. */
function randomTree(rng: Rng, maxDepth: number, nFeatures: number, nOutputs = 1): FlatTree {
  const feature: number[] = [];
  const left: number[] = [];
  const depth = [0];
  for (let i = 0; i < depth.length; i++) {
    const split = depth[i] < maxDepth && (i === 0 || rng.next() < 0.75);
    feature.push(split ? rng.int(nFeatures) : -1);
    left.push(split ? depth.length : -1);
    if (split) depth.push(depth[i] + 1, depth[i] + 1);
  }
  return finish(rng, feature, left, nOutputs);
}

/**
 * A chain of `depth` splits, each with a leaf on its left, splitting on feature d % m at level d with a threshold
 * near -2 so that most rows walk far down. The left leaf takes a third to two thirds of each node's cover: with the
 * row's side keeping nearly all of it over 20+ distinct features, Algorithm 2's unwinding itself loses precision
 * (see TreeShap).
 */
function chainTree(rng: Rng, depth: number, m: number): FlatTree {
  const feature: number[] = [];
  const left: number[] = [];
  const threshold: number[] = [];
  for (let d = 0; d < depth; d++) {
    feature.push(d % m, -1);
    left.push(2 * d + 1, -1);
    threshold.push(-2 + rng.next() / 10, 0);
  }
  const tree = finish(rng, [...feature, -1], [...left, -1], 1, [...threshold, 0]);
  const cover = tree.cover as Float64Array;
  cover[2 * depth] = 1 + rng.next();
  for (let d = depth - 1; d >= 0; d--) {
    cover[2 * d + 1] = cover[2 * d + 2] * (0.5 + 1.5 * rng.next());
    cover[2 * d] = cover[2 * d + 1] + cover[2 * d + 2];
  }
  return tree;
}

/** Whether the row goes right at an internal node, with the kernel's rule. */
function goesRight(tree: FlatTree, node: number, x: Float64Array): boolean {
  const threshold = tree.threshold[node];
  const v = x[tree.feature[node]];
  const missingLeft = tree.defaultLeft[node] === 1 || !(threshold < Infinity);
  return missingLeft ? v > threshold : !(v <= threshold);
}

function predict(tree: FlatTree, x: Float64Array, k: number): number {
  let node = 0;
  while (tree.feature[node] !== -1) node = tree.left[node] + (goesRight(tree, node, x) ? 1 : 0);
  return tree.value[node * tree.nOutputs + k];
}

/** Algorithm 1's EXPVALUE: E[f(x) | x_S] for the features in the bit set `known`, output k. */
function expValue(tree: FlatTree, x: Float64Array, known: number, k: number, node = 0): number {
  if (tree.feature[node] === -1) return tree.value[node * tree.nOutputs + k];
  const left = tree.left[node];
  if ((known >> tree.feature[node]) & 1) return expValue(tree, x, known, k, left + (goesRight(tree, node, x) ? 1 : 0));
  const cover = tree.cover as Float64Array;
  if (cover[node] === 0) return 0;
  const l = cover[left] * expValue(tree, x, known, k, left);
  const r = cover[left + 1] * expValue(tree, x, known, k, left + 1);
  return (l + r) / cover[node];
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
const popcount = (s: number): number => (s === 0 ? 0 : (s & 1) + popcount(s >> 1));

/** φ_i = Σ_{S ⊆ N\{i}} |S|!(M−|S|−1)!/M! (v(S∪{i}) − v(S)), as an nFeatures × nOutputs matrix. */
function shapleyByDefinition(tree: FlatTree, x: Float64Array, m: number): Float64Array {
  const k = tree.nOutputs;
  const phi = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let s = 0; s < 1 << m; s++) {
      if ((s >> i) & 1) continue;
      const size = popcount(s);
      const weight = (factorial(size) * factorial(m - size - 1)) / factorial(m);
      for (let o = 0; o < k; o++)
        phi[i * k + o] += weight * (expValue(tree, x, s | (1 << i), o) - expValue(tree, x, s, o));
    }
  }
  return phi;
}

/** TreeShap's φ for one tree, reading the row from the middle of a larger buffer. */
function treeShap(tree: FlatTree, x: Float64Array, m: number): Float64Array {
  const buffer = new Float64Array(3 * m).fill(NaN);
  buffer.set(x, m);
  const phi = new Float64Array(m * tree.nOutputs);
  new TreeShap([tree], m, tree.nOutputs).explainTree(0, buffer, m, phi, 1, 0);
  return phi;
}

function expectClose(actual: Float64Array, expected: Float64Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) throw new Error(`at ${i}: ${actual[i]} != ${expected[i]}`);
  }
}

/** Checks expectedValue + Σ_f φ_f = prediction for every output of one tree and row. */
function expectAdditive(tree: FlatTree, x: Float64Array, m: number): void {
  const k = tree.nOutputs;
  const phi = treeShap(tree, x, m);
  const base = new Float64Array(k);
  expectedValue(tree, base);
  for (let o = 0; o < k; o++) {
    let sum = base[o];
    for (let f = 0; f < m; f++) sum += phi[f * k + o];
    const prediction = predict(tree, x, o);
    expect(Math.abs(sum - prediction)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(prediction)));
  }
}

describe('TreeShap', () => {
  it('equals the Shapley values by definition of the path-dependent value function', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 80; trial++) {
      const m = 1 + rng.int(5);
      const tree = randomTree(rng, 1 + rng.int(4), m, trial % 4 === 0 ? 2 : 1);
      for (let r = 0; r < 5; r++) {
        const x = randomRow(rng, m);
        expectClose(treeShap(tree, x, m), shapleyByDefinition(tree, x, m), 1e-10);
      }
    }
  });

  it('equals them on deeper trees that split on the same features many times', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const m = 2 + rng.int(3);
      const tree = randomTree(rng, 8, m, 1 + rng.int(2));
      for (let r = 0; r < 4; r++) {
        const x = randomRow(rng, m);
        expectClose(treeShap(tree, x, m), shapleyByDefinition(tree, x, m), 1e-10);
      }
    }
  });

  it('adds up to the prediction from the expected value, NaN values included', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const m = 1 + rng.int(6);
      const tree = randomTree(rng, 1 + rng.int(10), m, 1 + rng.int(3));
      for (let r = 0; r < 5; r++) expectAdditive(tree, randomRow(rng, m), m);
    }
  });

  it('adds up on deep chains: 200 levels over 3 features, and 40 levels of distinct features (longest paths)', () => {
    const rng = new Rng(5);
    for (const [depth, m] of [
      [200, 3],
      [40, 40],
    ]) {
      const tree = chainTree(rng, depth, m);
      expect(new TreeShap([tree], m, 1).maxDepth).toBe(depth);
      for (let r = 0; r < 20; r++)
        expectAdditive(
          tree,
          Float64Array.from({ length: m }, () => 4 * rng.next() - 2),
          m,
        );
    }
  });

  it('gives the cover-weighted mean leaf value as the expected value', () => {
    const rng = new Rng(9);
    for (let trial = 0; trial < 50; trial++) {
      const tree = randomTree(rng, 5, 3, 2);
      const cover = tree.cover as Float64Array;
      const expected = [0, 0];
      for (let i = 0; i < cover.length; i++) {
        if (tree.feature[i] !== -1) continue;
        for (let o = 0; o < 2; o++) expected[o] += (tree.value[i * 2 + o] * cover[i]) / cover[0];
      }
      const out = Float64Array.from([7, 7, 7]);
      expectedValue(tree, out, 1);
      expect(out[0]).toBe(7);
      for (let o = 0; o < 2; o++) expect(out[1 + o] - 7).toBeCloseTo(expected[o], 12);
    }
  });

  it('explains an ensemble into output columns, scaled', () => {
    const rng = new Rng(13);
    const m = 4;
    // Columns 0 and 1 as in a two-class gbdt (tree t adds to column t % 2), then a two-output forest tree on both.
    const trees = [0, 1, 2, 3, 4, 5].map(() => randomTree(rng, 4, m));
    trees.push(randomTree(rng, 4, m, 2));
    const offsets = [0, 1, 0, 1, 0, 1, 0];
    const shap = new TreeShap(trees, m, 2);
    for (let r = 0; r < 20; r++) {
      const x = randomRow(rng, m);
      const phi = new Float64Array(m * 2);
      const half = new Float64Array(m * 2);
      const base = new Float64Array(2);
      const prediction = [0, 0];
      trees.forEach((tree, t) => {
        shap.explainTree(t, x, 0, phi, 1, offsets[t]);
        shap.explainTree(t, x, 0, half, 0.5, offsets[t]);
        expectedValue(tree, base, offsets[t]);
        for (let o = 0; o < tree.nOutputs; o++) prediction[offsets[t] + o] += predict(tree, x, o);
      });
      for (let o = 0; o < 2; o++) {
        let sum = base[o];
        for (let f = 0; f < m; f++) sum += phi[f * 2 + o];
        expect(Math.abs(sum - prediction[o])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(prediction[o])));
      }
      expectClose(
        half,
        phi.map((v) => v / 2),
        1e-14,
      );
    }
  });

  it('refuses a tree without cover and a column range beyond the matrix', () => {
    const rng = new Rng(1);
    const { cover: _cover, ...bare } = randomTree(rng, 3, 2);
    expect(() => new TreeShap([randomTree(rng, 2, 2), bare], 2, 1)).toThrow(InvalidInputError);
    expect(() => new TreeShap([bare], 2, 1)).toThrow(/tree 0 has no cover/);
    expect(() => expectedValue(bare, new Float64Array(1))).toThrow(InvalidInputError);
    const shap = new TreeShap([randomTree(rng, 2, 2, 2)], 2, 2);
    expect(() => shap.explainTree(0, new Float64Array(2), 0, new Float64Array(4), 1, 1)).toThrow(InvalidInputError);
    expect(() => shap.explainTree(0, new Float64Array(2), 1, new Float64Array(4), 1, 0)).toThrow(InvalidInputError);
  });

  it('gives zero SHAP values and its value as expected value for a single leaf', () => {
    const leaf: FlatTree = {
      nOutputs: 2,
      feature: Int32Array.of(-1),
      threshold: Float64Array.of(0),
      left: Int32Array.of(-1),
      defaultLeft: Uint8Array.of(0),
      value: Float64Array.of(1.5, -3),
      cover: Float64Array.of(12),
    };
    const shap = new TreeShap([leaf], 3, 2);
    expect(shap.maxDepth).toBe(0);
    const phi = new Float64Array(6);
    shap.explainTree(0, Float64Array.of(1, NaN, 2), 0, phi, 1, 0);
    expect(Array.from(phi)).toEqual([0, 0, 0, 0, 0, 0]);
    const base = new Float64Array(2);
    expectedValue(leaf, base);
    expect(Array.from(base)).toEqual([1.5, -3]);
  });
});
