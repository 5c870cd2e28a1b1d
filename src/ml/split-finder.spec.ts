import fc from 'fast-check';
import { buildHistogram, GradientSource, HistogramLayout } from './histogram';
import { Rng } from './random';
import { NodeTotals, SplitConstraints, SplitFinder } from './split-finder';
import { SplitInfo } from './split-info';

/** One node's data: every row of `source` belongs to the node. */
interface Node {
  source: GradientSource;
  layout: HistogramLayout;
  nRows: number;
  nOutputs: number;
  constraints: SplitConstraints;
}

const NO_CONSTRAINTS: SplitConstraints = { lambda: 0, minSamplesLeaf: 1, minHessianLeaf: 0 };

/** A node from per-feature bin columns (`bins[f][row]`, code nBins[f] = missing) and per-row gradients. */
function node(
  nBins: number[],
  bins: number[][],
  gradients: number[],
  hessians?: number[],
  constraints: Partial<SplitConstraints> = {},
): Node {
  const nRows = bins[0].length;
  const nFeatures = nBins.length;
  const binned = new Uint8Array(nRows * nFeatures);
  for (let f = 0; f < nFeatures; f++) for (let r = 0; r < nRows; r++) binned[r * nFeatures + f] = bins[f][r];
  return {
    source: {
      binned,
      nFeatures,
      gradients: Float64Array.from(gradients),
      hessians: Float64Array.from(hessians ?? gradients.map(() => 1)),
    },
    layout: new HistogramLayout(Int32Array.from(nBins), gradients.length / nRows),
    nRows,
    nOutputs: gradients.length / nRows,
    constraints: { ...NO_CONSTRAINTS, ...constraints },
  };
}

function totalsOf(n: Node): NodeTotals {
  const sumGradients = new Float64Array(n.nOutputs);
  let sumHessians = 0;
  for (let r = 0; r < n.nRows; r++) {
    for (let k = 0; k < n.nOutputs; k++) sumGradients[k] += n.source.gradients[r * n.nOutputs + k];
    sumHessians += n.source.hessians[r];
  }
  return { sumGradients, sumHessians, count: n.nRows };
}

const allRows = (n: Node) => Int32Array.from({ length: n.nRows }, (_, i) => i);
const allFeatures = (n: Node) => Int32Array.from({ length: n.source.nFeatures }, (_, i) => i);

function viaHistogram(n: Node, features = allFeatures(n), nCandidates = features.length): SplitInfo {
  const histogram = new Float64Array(n.layout.size);
  const rows = allRows(n);
  buildHistogram(histogram, n.layout, n.source, rows, 0, n.nRows, allFeatures(n), n.source.nFeatures);
  const finder = new SplitFinder(n.nOutputs, n.constraints);
  return finder.findInHistogram(totalsOf(n), histogram, n.layout, features, nCandidates, new SplitInfo(n.nOutputs));
}

function viaRows(n: Node, features = allFeatures(n), nCandidates = features.length): SplitInfo {
  const finder = new SplitFinder(n.nOutputs, n.constraints);
  const best = new SplitInfo(n.nOutputs);
  return finder.findInRows(totalsOf(n), n.source, n.layout, allRows(n), 0, n.nRows, features, nCandidates, best);
}

/** Statistics and documented gain of one candidate partition; gain is -Infinity when a constraint fails. */
function evaluatePartition(n: Node, feature: number, bin: number, missingLeft: boolean) {
  const { binned, nFeatures, gradients, hessians } = n.source;
  const missing = n.layout.nBins[feature];
  const left = { count: 0, sumHessians: 0, sumGradients: new Array<number>(n.nOutputs).fill(0) };
  const total = totalsOf(n);
  for (let r = 0; r < n.nRows; r++) {
    const code = binned[r * nFeatures + feature];
    if (!(code === missing ? missingLeft : code <= bin)) continue;
    left.count++;
    left.sumHessians += hessians[r];
    for (let k = 0; k < n.nOutputs; k++) left.sumGradients[k] += gradients[r * n.nOutputs + k];
  }
  const right = {
    count: n.nRows - left.count,
    sumHessians: total.sumHessians - left.sumHessians,
    sumGradients: left.sumGradients.map((g, k) => total.sumGradients[k] - g),
  };
  const { lambda, minSamplesLeaf, minHessianLeaf } = n.constraints;
  let gain = -Infinity;
  const allowed =
    Math.min(left.count, right.count) >= minSamplesLeaf &&
    Math.min(left.sumHessians, right.sumHessians) >= minHessianLeaf &&
    left.sumHessians + lambda > 0 &&
    right.sumHessians + lambda > 0;
  if (allowed) {
    gain = 0;
    for (let k = 0; k < n.nOutputs; k++) {
      gain += left.sumGradients[k] ** 2 / (left.sumHessians + lambda);
      gain += right.sumGradients[k] ** 2 / (right.sumHessians + lambda);
      gain -= total.sumGradients[k] ** 2 / (total.sumHessians + lambda);
    }
  }
  return { left, right, gain };
}

/** Best documented gain over every feature, every bin b ("bin <= b goes left") and both sides for missing values. */
function bruteForceBestGain(n: Node, features: number[]): number {
  let best = -Infinity;
  for (const f of features) {
    for (let bin = 0; bin < n.layout.nBins[f]; bin++) {
      for (const missingLeft of [false, true]) best = Math.max(best, evaluatePartition(n, f, bin, missingLeft).gain);
    }
  }
  return best;
}

function parentScore(n: Node): number {
  const t = totalsOf(n);
  return Array.from(t.sumGradients).reduce((s, g) => s + (g * g) / (t.sumHessians + n.constraints.lambda), 0);
}

/** Random node with small-dyadic gradients and hessians, so every sum is exact whatever the summation order. */
function randomNode(p: {
  seed: number;
  nRows: number;
  nBins: number[];
  nOutputs: number;
  missingRate: number;
  constraints: SplitConstraints;
}): Node {
  const rng = new Rng(p.seed);
  const bins = p.nBins.map((nb) =>
    Array.from({ length: p.nRows }, () => (rng.next() < p.missingRate ? nb : rng.int(nb))),
  );
  const gradients = Array.from({ length: p.nRows * p.nOutputs }, () => (rng.int(17) - 8) / 8);
  const hessians = Array.from({ length: p.nRows }, () => (1 + rng.int(8)) / 4);
  return node(p.nBins, bins, gradients, hessians, p.constraints);
}

const randomNodeArb = fc
  .record({
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    nRows: fc.integer({ min: 2, max: 40 }),
    nBins: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
    nOutputs: fc.integer({ min: 1, max: 3 }),
    missingRate: fc.constantFrom(0, 0.2, 0.6),
    constraints: fc.record({
      lambda: fc.constantFrom(0, 0.5, 2),
      minSamplesLeaf: fc.integer({ min: 1, max: 4 }),
      minHessianLeaf: fc.constantFrom(0, 0.5, 2),
    }),
  })
  .map(randomNode);

describe('SplitFinder', () => {
  it('finds the split a brute-force search over every feature, bin and missing side finds', () => {
    let found = 0;
    let runs = 0;
    fc.assert(
      fc.property(randomNodeArb, (n) => {
        runs++;
        const split = viaHistogram(n);
        const features = Array.from(allFeatures(n));
        const best = bruteForceBestGain(n, features);
        const threshold = 1e-12 * parentScore(n);
        const tolerance = 1e-9 * (1 + parentScore(n));
        if (!split.found) {
          expect(best).toBeLessThanOrEqual(threshold + tolerance);
          return;
        }
        found++;
        expect(Math.abs(split.gain - best)).toBeLessThanOrEqual(tolerance);
        expect(split.gain).toBeGreaterThan(threshold);
        // The reported split is the partition it describes: recompute it from feature, bin and defaultLeft.
        const at = evaluatePartition(n, split.feature, split.bin, split.defaultLeft);
        expect(Math.abs(at.gain - split.gain)).toBeLessThanOrEqual(tolerance);
        expect([split.leftCount, split.rightCount]).toEqual([at.left.count, at.right.count]);
        expect([split.leftSumHessians, split.rightSumHessians]).toEqual([at.left.sumHessians, at.right.sumHessians]);
        expect(Array.from(split.leftSumGradients)).toEqual(at.left.sumGradients);
        expect(Array.from(split.rightSumGradients)).toEqual(at.right.sumGradients);
        const { minSamplesLeaf, minHessianLeaf } = n.constraints;
        expect(Math.min(split.leftCount, split.rightCount)).toBeGreaterThanOrEqual(minSamplesLeaf);
        expect(Math.min(split.leftSumHessians, split.rightSumHessians)).toBeGreaterThanOrEqual(minHessianLeaf);
        const column = Array.from(
          { length: n.nRows },
          (_, r) => n.source.binned[r * n.source.nFeatures + split.feature],
        );
        const nBins = n.layout.nBins[split.feature];
        if (!column.includes(nBins)) expect(split.defaultLeft).toBe(split.leftCount >= split.rightCount);
        // The bin is the last non-empty bin on the left, or the last value bin for "missing versus the rest".
        const missingVersusRest = split.bin === nBins - 1 && !split.defaultLeft;
        expect(column.includes(split.bin) || missingVersusRest).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(found).toBeGreaterThan(runs / 4); // the property above must not pass by never finding a split
  });

  it('finds exactly the same split from the rows as from the histogram', () => {
    fc.assert(
      fc.property(randomNodeArb, (n) => {
        expect(viaRows(n)).toEqual(viaHistogram(n));
      }),
      { numRuns: 300 },
    );
  });

  describe('constraints', () => {
    // One row per bin; the first row alone carries most of the gradient, so isolating it is the best split.
    const bins = [[0, 1, 2, 3, 4, 5]];
    const gradients = [-10, 1, 1, 1, 1, 1];

    it('isolates the outlier row without constraints', () => {
      const split = viaHistogram(node([6], bins, gradients));
      expect([split.feature, split.bin, split.leftCount, split.rightCount]).toEqual([0, 0, 1, 5]);
      // G = -5, H = 6: 100/1 + 25/5 - 25/6
      expect(split.gain).toBeCloseTo(100 + 5 - 25 / 6, 12);
    });

    it('keeps minSamplesLeaf rows on each side', () => {
      const split = viaHistogram(node([6], bins, gradients, undefined, { minSamplesLeaf: 3 }));
      expect([split.bin, split.leftCount, split.rightCount]).toEqual([2, 3, 3]);
      expect(viaRows(node([6], bins, gradients, undefined, { minSamplesLeaf: 3 }))).toEqual(split);
    });

    it('keeps minHessianLeaf of hessian on each side', () => {
      const hessians = [0.5, 1, 1, 1, 1, 1];
      const split = viaHistogram(node([6], bins, gradients, hessians, { minHessianLeaf: 1 }));
      expect([split.bin, split.leftSumHessians, split.rightSumHessians]).toEqual([1, 1.5, 4]);
    });

    it('reports no split when no candidate meets the constraints', () => {
      const split = viaHistogram(node([6], bins, gradients, undefined, { minSamplesLeaf: 4 }));
      expect(split.found).toBe(false);
      expect(split.feature).toBe(-1);
    });

    it('applies lambda in the gain', () => {
      const split = viaHistogram(node([6], bins, gradients, undefined, { lambda: 1 }));
      expect(split.gain).toBeCloseTo(100 / 2 + 25 / 6 - 25 / 7, 12);
    });
  });

  it('reports no split when no split beats the parent', () => {
    // Every row has the same gradient and hessian: each split's gain is zero (up to rounding).
    const uniform = node(
      [4, 3],
      [
        [0, 1, 2, 3, 0, 1, 2, 3],
        [0, 0, 1, 1, 2, 2, 3, 3],
      ],
      new Array<number>(8).fill(0.3),
    );
    expect(viaHistogram(uniform).found).toBe(false);
    expect(viaRows(uniform).found).toBe(false);
    // All rows in one bin: there is no candidate at all.
    expect(viaHistogram(node([3], [[1, 1, 1, 1]], [1, -1, 2, -2])).found).toBe(false);
  });

  describe('missing values', () => {
    const present = [0, 0, 1, 1, 2, 2];
    const presentGradients = [-1, -1, -1, -1, 1, 1];

    it('sends missing rows to the side they resemble', () => {
      const right = viaHistogram(node([3], [[...present, 3, 3]], [...presentGradients, 1, 1]));
      expect([right.bin, right.defaultLeft, right.leftCount, right.rightCount]).toEqual([1, false, 4, 4]);
      const left = viaHistogram(node([3], [[...present, 3, 3]], [...presentGradients, -1, -1]));
      expect([left.bin, left.defaultLeft, left.leftCount, left.rightCount]).toEqual([1, true, 6, 2]);
    });

    it('can split the missing rows from everything else', () => {
      const split = viaHistogram(node([3], [[0, 1, 2, 3, 3]], [-1, -1, -1, 2, 2]));
      expect([split.bin, split.defaultLeft, split.leftCount, split.rightCount]).toEqual([2, false, 3, 2]);
      expect(Array.from(split.rightSumGradients)).toEqual([4]);
    });

    it('sends missing values to the larger child (left on a tie) when the node has none', () => {
      const larger = viaHistogram(node([2], [[0, 0, 0, 1]], [-1, -1, -1, 1]));
      expect([larger.bin, larger.defaultLeft]).toEqual([0, true]);
      const smaller = viaHistogram(node([2], [[0, 1, 1, 1]], [-1, 1, 1, 1]));
      expect([smaller.bin, smaller.defaultLeft]).toEqual([0, false]);
      const tie = viaHistogram(node([2], [[0, 0, 1, 1]], [-1, -1, 1, 1]));
      expect([tie.bin, tie.defaultLeft]).toEqual([0, true]);
    });
  });

  it('searches only the first nCandidates of the feature list', () => {
    // Feature 1 separates the gradients perfectly, feature 0 only partly.
    const n = node(
      [2, 2],
      [
        [0, 0, 1, 1],
        [0, 1, 0, 1],
      ],
      [-1, 1, -0.5, 1],
    );
    expect(viaHistogram(n).feature).toBe(1);
    expect(viaHistogram(n, Int32Array.from([0, 1]), 1).feature).toBe(0);
    expect(viaRows(n, Int32Array.from([0, 1]), 1).feature).toBe(0);
  });

  it('keeps one search from leaking into the next', () => {
    const finder = new SplitFinder(1, NO_CONSTRAINTS);
    const first = node([2], [[0, 0, 1, 1]], [-1, -1, 1, 1]);
    const flat = node([2], [[0, 0, 1, 1]], [1, 1, 1, 1]);
    const best = new SplitInfo(1);
    finder.findInRows(totalsOf(first), first.source, first.layout, allRows(first), 0, 4, Int32Array.of(0), 1, best);
    expect(best.found).toBe(true);
    finder.findInRows(totalsOf(flat), flat.source, flat.layout, allRows(flat), 0, 4, Int32Array.of(0), 1, best);
    expect([best.found, best.leftCount, best.leftSumHessians, Array.from(best.leftSumGradients)]).toEqual([
      false,
      0,
      0,
      [0],
    ]);
  });

  it('rejects a SplitInfo sized for another number of outputs', () => {
    const n = node([2], [[0, 1]], [1, -1]);
    const finder = new SplitFinder(1, NO_CONSTRAINTS);
    const histogram = new Float64Array(n.layout.size);
    expect(() =>
      finder.findInHistogram(totalsOf(n), histogram, n.layout, Int32Array.of(0), 1, new SplitInfo(2)),
    ).toThrow(RangeError);
  });
});
