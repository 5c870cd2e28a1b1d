import { GradientSource, HistogramLayout } from './histogram';
import { SplitInfo } from './split-info';

/** Constraints a split must meet. */
export interface SplitConstraints {
  /** L2 regularisation λ, added to every hessian sum in the gain. */
  lambda: number;
  /** Fewest rows each child must get. */
  minSamplesLeaf: number;
  /** Smallest hessian sum each child must get. */
  minHessianLeaf: number;
}

/** Gradient statistics of the node being split. */
export interface NodeTotals {
  /** Gradient sums per output (the first nOutputs entries are read). */
  sumGradients: Float64Array;
  sumHessians: number;
  /** Rows in the node. */
  count: number;
}

/** Largest node scanned row by row (sort keys pack a 16-bit row position). */
export const MAX_ROW_SCAN = 0xffff;

/**
 * Finds the best split of one node, either from its histogram or, for small nodes, by sorting its rows by bin
 * (cheaper than touching every bin). Both scans consider the same candidates: "bin <= b goes left" for every
 * non-empty bin b, with missing values sent left and right, plus "missing versus everything else". Without missing
 * values at the node, missing values later follow the child with more rows. The result is written into a
 * caller-owned SplitInfo (see there for the gain formula); the finder itself keeps only scratch buffers.
 */
export class SplitFinder {
  private readonly nodeSumGradients: Float64Array;
  private nodeSumHessians = 0;
  private nodeCount = 0;
  /** Σ over outputs of G²/(H+λ) for the node. */
  private parentScore = 0;
  /** Sums of the current feature's missing-value rows. */
  private readonly missingSumGradients: Float64Array;
  private missingSumHessians = 0;
  private missingCount = 0;
  /** Gradient sums of the present-value bins scanned so far for the current feature. */
  private readonly scannedSumGradients: Float64Array;
  /** Row-scan sort keys: bin << 16 | position of the row in the node. */
  private readonly sortKeys = new Int32Array(MAX_ROW_SCAN + 1);
  /** Where the current search records its best split. */
  private best: SplitInfo;

  constructor(
    private readonly nOutputs: number,
    private readonly constraints: SplitConstraints,
  ) {
    this.nodeSumGradients = new Float64Array(nOutputs);
    this.missingSumGradients = new Float64Array(nOutputs);
    this.scannedSumGradients = new Float64Array(nOutputs);
    this.best = new SplitInfo(nOutputs);
  }

  /** Best split of a node from its histogram, over the first `nCandidates` of `features`; written into `best`. */
  findInHistogram(
    node: NodeTotals,
    histogram: Float64Array,
    layout: HistogramLayout,
    features: Int32Array,
    nCandidates: number,
    best: SplitInfo,
  ): SplitInfo {
    this.begin(node, best);
    const nOutputs = this.nOutputs;
    const stride = nOutputs + 2;
    const { scannedSumGradients, missingSumGradients } = this;
    for (let j = 0; j < nCandidates; j++) {
      const feature = features[j];
      const offset = layout.offsets[feature];
      const nBins = layout.nBins[feature];
      const missingSlot = (offset + nBins) * stride;
      for (let k = 0; k < nOutputs; k++) missingSumGradients[k] = histogram[missingSlot + k];
      this.missingSumHessians = histogram[missingSlot + nOutputs];
      this.missingCount = histogram[missingSlot + nOutputs + 1];
      const presentCount = this.nodeCount - this.missingCount;
      scannedSumGradients.fill(0);
      let scannedSumHessians = 0;
      let scannedCount = 0;
      for (let bin = 0; bin < nBins && scannedCount < presentCount; bin++) {
        const slot = (offset + bin) * stride;
        const count = histogram[slot + nOutputs + 1];
        if (count === 0) continue;
        for (let k = 0; k < nOutputs; k++) scannedSumGradients[k] += histogram[slot + k];
        scannedSumHessians += histogram[slot + nOutputs];
        scannedCount += count;
        if (scannedCount < presentCount) this.evaluate(feature, bin, scannedSumHessians, scannedCount);
      }
      if (this.missingCount > 0 && presentCount > 0) {
        this.consider(feature, nBins - 1, scannedSumHessians, scannedCount, false, false);
      }
    }
    return best;
  }

  /** Same search as findInHistogram, from the node's rows[start, end) sorted by bin (at most MAX_ROW_SCAN rows). */
  findInRows(
    node: NodeTotals,
    source: GradientSource,
    layout: HistogramLayout,
    rows: Int32Array,
    start: number,
    end: number,
    features: Int32Array,
    nCandidates: number,
    best: SplitInfo,
  ): SplitInfo {
    this.begin(node, best);
    const nOutputs = this.nOutputs;
    const { scannedSumGradients, missingSumGradients, sortKeys } = this;
    const { binned, nFeatures, gradients, hessians } = source;
    const nRows = end - start;
    for (let j = 0; j < nCandidates; j++) {
      const feature = features[j];
      const nBins = layout.nBins[feature];
      for (let i = 0; i < nRows; i++) sortKeys[i] = (binned[rows[start + i] * nFeatures + feature] << 16) | i;
      const sorted = sortKeys.subarray(0, nRows).sort();
      let presentCount = nRows;
      while (presentCount > 0 && sorted[presentCount - 1] >>> 16 === nBins) presentCount--;
      missingSumGradients.fill(0);
      this.missingSumHessians = 0;
      this.missingCount = nRows - presentCount;
      for (let i = presentCount; i < nRows; i++) {
        const row = rows[start + (sorted[i] & 0xffff)];
        for (let k = 0; k < nOutputs; k++) missingSumGradients[k] += gradients[row * nOutputs + k];
        this.missingSumHessians += hessians[row];
      }
      scannedSumGradients.fill(0);
      let scannedSumHessians = 0;
      let i = 0;
      while (i < presentCount) {
        const bin = sorted[i] >>> 16;
        do {
          const row = rows[start + (sorted[i] & 0xffff)];
          for (let k = 0; k < nOutputs; k++) scannedSumGradients[k] += gradients[row * nOutputs + k];
          scannedSumHessians += hessians[row];
          i++;
        } while (i < presentCount && sorted[i] >>> 16 === bin);
        if (i < presentCount) this.evaluate(feature, bin, scannedSumHessians, i);
      }
      if (this.missingCount > 0 && presentCount > 0) {
        this.consider(feature, nBins - 1, scannedSumHessians, presentCount, false, false);
      }
    }
    return best;
  }

  /** Takes the node's totals and resets `best` to "no split". */
  private begin(node: NodeTotals, best: SplitInfo): void {
    if (best.nOutputs !== this.nOutputs) throw new RangeError('SplitInfo has a different number of outputs');
    const lambda = this.constraints.lambda;
    const sumHessians = node.sumHessians;
    let score = 0;
    for (let k = 0; k < this.nOutputs; k++) {
      const g = node.sumGradients[k];
      this.nodeSumGradients[k] = g;
      score += (g * g) / (sumHessians + lambda);
    }
    this.parentScore = score;
    this.nodeSumHessians = sumHessians;
    this.nodeCount = node.count;
    this.best = best;
    best.gain = 1e-12 * score; // ignore "improvements" that are floating-point noise
    best.feature = -1;
    best.bin = -1;
    best.defaultLeft = false;
    best.leftCount = 0;
    best.rightCount = 0;
    best.leftSumHessians = 0;
    best.rightSumHessians = 0;
    best.leftSumGradients.fill(0);
    best.rightSumGradients.fill(0);
  }

  /** Candidates after a present-value bin: with missing rows at the node, they go right or left. */
  private evaluate(feature: number, bin: number, scannedSumHessians: number, scannedCount: number): void {
    if (this.missingCount === 0) {
      const defaultLeft = scannedCount >= this.nodeCount - scannedCount;
      this.consider(feature, bin, scannedSumHessians, scannedCount, false, defaultLeft);
    } else {
      this.consider(feature, bin, scannedSumHessians, scannedCount, false, false);
      this.consider(feature, bin, scannedSumHessians, scannedCount, true, true);
    }
  }

  /** Scores one candidate (the scanned bins left, plus the missing rows when `missingLeft`) and keeps it if best. */
  private consider(
    feature: number,
    bin: number,
    scannedSumHessians: number,
    scannedCount: number,
    missingLeft: boolean,
    defaultLeft: boolean,
  ): void {
    const { lambda, minSamplesLeaf, minHessianLeaf } = this.constraints;
    const leftSumHessians = missingLeft ? scannedSumHessians + this.missingSumHessians : scannedSumHessians;
    const leftCount = missingLeft ? scannedCount + this.missingCount : scannedCount;
    const rightSumHessians = this.nodeSumHessians - leftSumHessians;
    const rightCount = this.nodeCount - leftCount;
    if (
      leftCount < minSamplesLeaf ||
      rightCount < minSamplesLeaf ||
      leftSumHessians < minHessianLeaf ||
      rightSumHessians < minHessianLeaf
    ) {
      return;
    }
    const leftDenominator = leftSumHessians + lambda;
    const rightDenominator = rightSumHessians + lambda;
    if (!(leftDenominator > 0 && rightDenominator > 0)) return;
    const { scannedSumGradients, missingSumGradients, nodeSumGradients } = this;
    let score = 0;
    for (let k = 0; k < this.nOutputs; k++) {
      const left = missingLeft ? scannedSumGradients[k] + missingSumGradients[k] : scannedSumGradients[k];
      const right = nodeSumGradients[k] - left;
      score += (left * left) / leftDenominator + (right * right) / rightDenominator;
    }
    const gain = score - this.parentScore;
    const best = this.best;
    if (gain > best.gain) {
      best.gain = gain;
      best.feature = feature;
      best.bin = bin;
      best.defaultLeft = defaultLeft;
      best.leftCount = leftCount;
      best.rightCount = rightCount;
      best.leftSumHessians = leftSumHessians;
      best.rightSumHessians = rightSumHessians;
      for (let k = 0; k < this.nOutputs; k++) {
        const left = missingLeft ? scannedSumGradients[k] + missingSumGradients[k] : scannedSumGradients[k];
        best.leftSumGradients[k] = left;
        best.rightSumGradients[k] = nodeSumGradients[k] - left;
      }
    }
  }
}
