import { FlatTree } from './flat-tree';
import { buildHistogram, GradientSource, HistogramLayout, HistogramPool, subtractHistogram } from './histogram';
import { roundSignificant } from './precision.util';
import { Rng } from './random';
import { MAX_ROW_SCAN, NodeTotals, SplitFinder } from './split-finder';
import { SplitInfo } from './split-info';

/** How a tree grows. -1 means "no limit" for maxDepth and maxLeaves. */
export interface TreeGrowthParams {
  maxDepth: number;
  maxLeaves: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  lambda: number;
  minGainToSplit: number;
  /** Features drawn at random for each split (>= the number of active features means all of them). */
  maxFeaturesPerSplit: number;
}

/** Binned training matrix plus the bin thresholds (in raw feature units) that splits turn into. */
export interface BinnedMatrix {
  /** Bin codes, row-major (nRows × nFeatures); feature f's missing-value code is thresholds[f].length + 1. */
  binned: Uint8Array;
  nRows: number;
  nFeatures: number;
  /** Per feature, the upper edge of each value bin but the last (see QuantileBinner). */
  thresholds: readonly Float64Array[];
}

/** Inputs of one tree: gradients (nRows × nOutputs), hessians, the rows to use and the features allowed. */
export interface TreeTask {
  gradients: Float64Array;
  hessians: Float64Array;
  rows: Int32Array;
  features: Int32Array;
  /** Multiplies leaf values (the learning rate for boosting). */
  leafScale: number;
  rng: Rng;
  /** Split gains are added here per feature. */
  importance: Float64Array;
}

/** A built tree plus the split bins, for cheap traversal of the binned training rows. */
export interface BuiltTree {
  tree: FlatTree;
  /** Per node, the largest bin that goes left (-1 on leaves). */
  splitBin: Int32Array;
}

/**
 * Grows one histogram tree. With a leaf limit it grows best-first (always splitting the leaf with the largest gain),
 * otherwise depth-first. Each split builds the histogram of the smaller child only; the larger child's histogram is
 * the parent's minus the smaller one. All buffers are allocated once per builder and reused for every tree.
 *
 * A leaf's value is −G/(H+λ) × leafScale per output (G, H: the gradient and hessian sums of its rows), rounded to
 * 7 significant digits as stored; 0 when H+λ is not positive.
 */
export class TreeBuilder {
  private readonly layout: HistogramLayout;
  private readonly pool: HistogramPool;
  private readonly finder: SplitFinder;
  private readonly nOutputs: number;
  /** Rows of the tree, grouped by node: node i owns rows[nodeStart[i], nodeEnd[i]). */
  private readonly rows: Int32Array;
  /** Holds the right child's rows while a node's rows are partitioned. */
  private readonly rightRowsScratch: Int32Array;
  /** Leaves with a split found but not yet made. */
  private readonly openLeaves: Int32Array;
  private nOpenLeaves = 0;
  private readonly nodeStart: Int32Array;
  private readonly nodeEnd: Int32Array;
  private readonly depth: Int32Array;
  /** Gradient sums per node (nOutputs per node) and hessian sums per node, in row order. */
  private readonly sumGradients: Float64Array;
  private readonly sumHessians: Float64Array;
  private readonly splitFeature: Int32Array;
  private readonly splitBin: Int32Array;
  private readonly splitDefaultLeft: Uint8Array;
  private readonly splitGain: Float64Array;
  /** Left child of each node (the right one is leftChild + 1); -1 on leaves. */
  private readonly leftChild: Int32Array;
  private readonly histograms: (Float64Array | null)[];
  private readonly featureScratch: Int32Array;
  /** Reused arguments and result of the split finder. */
  private readonly nodeTotals: NodeTotals;
  private readonly bestSplit: SplitInfo;
  private source: GradientSource;
  private nNodes = 0;

  constructor(
    private readonly data: BinnedMatrix,
    nOutputs: number,
    private readonly params: TreeGrowthParams,
  ) {
    this.nOutputs = nOutputs;
    this.layout = new HistogramLayout(
      Int32Array.from(data.thresholds, (t) => t.length + 1),
      nOutputs,
    );
    this.pool = new HistogramPool(this.layout.size);
    this.finder = new SplitFinder(nOutputs, params);
    const maxNodes = params.maxLeaves > 0 ? 2 * params.maxLeaves - 1 : 2 * Math.max(1, data.nRows) - 1;
    this.rows = new Int32Array(data.nRows);
    this.rightRowsScratch = new Int32Array(data.nRows);
    this.openLeaves = new Int32Array(maxNodes);
    this.nodeStart = new Int32Array(maxNodes);
    this.nodeEnd = new Int32Array(maxNodes);
    this.depth = new Int32Array(maxNodes);
    this.sumGradients = new Float64Array(maxNodes * nOutputs);
    this.sumHessians = new Float64Array(maxNodes);
    this.splitFeature = new Int32Array(maxNodes);
    this.splitBin = new Int32Array(maxNodes);
    this.splitDefaultLeft = new Uint8Array(maxNodes);
    this.splitGain = new Float64Array(maxNodes);
    this.leftChild = new Int32Array(maxNodes);
    this.histograms = new Array<Float64Array | null>(maxNodes).fill(null);
    this.featureScratch = new Int32Array(data.nFeatures);
    this.nodeTotals = { sumGradients: new Float64Array(nOutputs), sumHessians: 0, count: 0 };
    this.bestSplit = new SplitInfo(nOutputs);
    this.source = this.sourceOf(new Float64Array(0), new Float64Array(0));
  }

  build(task: TreeTask): BuiltTree {
    this.source = this.sourceOf(task.gradients, task.hessians);
    this.rows.set(task.rows);
    this.nNodes = 1;
    this.nodeStart[0] = 0;
    this.nodeEnd[0] = task.rows.length;
    this.depth[0] = 0;
    this.addSums(0, 0, task.rows.length);
    this.leftChild[0] = -1;
    this.nOpenLeaves = 0;
    if (this.splittable(0) && this.findSplit(0, task, null)) this.openLeaves[this.nOpenLeaves++] = 0;
    let nLeaves = 1;
    const { maxLeaves } = this.params;
    while (this.nOpenLeaves > 0 && (maxLeaves < 0 || nLeaves < maxLeaves)) {
      let pick = this.nOpenLeaves - 1;
      if (maxLeaves > 0) {
        for (let i = 0; i < this.nOpenLeaves; i++) {
          if (this.splitGain[this.openLeaves[i]] > this.splitGain[this.openLeaves[pick]]) pick = i;
        }
      }
      const node = this.openLeaves[pick];
      this.openLeaves[pick] = this.openLeaves[--this.nOpenLeaves];
      task.importance[this.splitFeature[node]] += this.splitGain[node];
      nLeaves++;
      this.split(node, task);
    }
    for (let i = 0; i < this.nOpenLeaves; i++) this.releaseHistogram(this.openLeaves[i]);
    return this.finish(task.leafScale);
  }

  private sourceOf(gradients: Float64Array, hessians: Float64Array): GradientSource {
    return { binned: this.data.binned, nFeatures: this.data.nFeatures, gradients, hessians };
  }

  /** Partitions the node's rows, creates both children and opens those worth splitting further. */
  private split(node: number, task: TreeTask): void {
    const feature = this.splitFeature[node];
    const lastLeftBin = this.splitBin[node];
    const missingGoesLeft = this.splitDefaultLeft[node] === 1;
    const missingBin = this.layout.nBins[feature];
    const { binned, nFeatures } = this.data;
    const { rows, rightRowsScratch } = this;
    const start = this.nodeStart[node];
    const end = this.nodeEnd[node];
    let leftEnd = start;
    let nRight = 0;
    for (let i = start; i < end; i++) {
      const row = rows[i];
      const bin = binned[row * nFeatures + feature];
      if (bin === missingBin ? missingGoesLeft : bin <= lastLeftBin) rows[leftEnd++] = row;
      else rightRowsScratch[nRight++] = row;
    }
    rows.set(rightRowsScratch.subarray(0, nRight), leftEnd);
    const left = this.nNodes;
    const right = left + 1;
    this.nNodes += 2;
    this.leftChild[node] = left;
    this.addChild(left, node, start, leftEnd);
    this.addChild(right, node, leftEnd, end);
    this.assignHistograms(node, left, right, task);
    for (const child of [left, right]) {
      if (this.splittable(child) && this.findSplit(child, task, this.histograms[child])) {
        this.openLeaves[this.nOpenLeaves++] = child;
      } else {
        this.releaseHistogram(child);
      }
    }
  }

  private addChild(child: number, parent: number, start: number, end: number): void {
    this.nodeStart[child] = start;
    this.nodeEnd[child] = end;
    this.depth[child] = this.depth[parent] + 1;
    this.leftChild[child] = -1;
    this.addSums(child, start, end);
  }

  /** Gives each child that will scan a histogram its histogram, building only the smaller one when possible. */
  private assignHistograms(node: number, left: number, right: number, task: TreeTask): void {
    const parent = this.histograms[node];
    this.histograms[node] = null;
    const leftNeedsOne = this.splittable(left) && this.useHistogram(left, task);
    const rightNeedsOne = this.splittable(right) && this.useHistogram(right, task);
    const [smaller, larger] = this.count(left) <= this.count(right) ? [left, right] : [right, left];
    if (parent !== null && leftNeedsOne && rightNeedsOne) {
      const smallerHistogram = this.buildFor(smaller, task, this.pool.acquire());
      this.histograms[smaller] = smallerHistogram;
      subtractHistogram(parent, smallerHistogram);
      this.histograms[larger] = parent;
    } else if (parent !== null && (leftNeedsOne || rightNeedsOne)) {
      const child = leftNeedsOne ? left : right;
      if (child === larger) {
        const scratch = this.buildFor(smaller, task, this.pool.acquire());
        subtractHistogram(parent, scratch);
        this.pool.release(scratch);
        this.histograms[child] = parent;
      } else {
        this.histograms[child] = this.buildFor(child, task, parent);
      }
    } else {
      if (parent !== null) this.pool.release(parent);
      if (leftNeedsOne) this.histograms[left] = this.buildFor(left, task, this.pool.acquire());
      if (rightNeedsOne) this.histograms[right] = this.buildFor(right, task, this.pool.acquire());
    }
  }

  private buildFor(node: number, task: TreeTask, histogram: Float64Array): Float64Array {
    const { features } = task;
    const { layout, source, rows } = this;
    buildHistogram(
      histogram,
      layout,
      source,
      rows,
      this.nodeStart[node],
      this.nodeEnd[node],
      features,
      features.length,
    );
    return histogram;
  }

  /**
   * Searches the node's best split and records it if it clears minGainToSplit; the root builds its own histogram
   * when it is large enough to need one.
   */
  private findSplit(node: number, task: TreeTask, histogram: Float64Array | null): boolean {
    if (node === 0 && this.useHistogram(0, task)) {
      histogram = this.buildFor(0, task, this.pool.acquire());
      this.histograms[0] = histogram;
    }
    const { finder, nodeTotals, bestSplit: best, nOutputs } = this;
    for (let k = 0; k < nOutputs; k++) nodeTotals.sumGradients[k] = this.sumGradients[node * nOutputs + k];
    nodeTotals.sumHessians = this.sumHessians[node];
    nodeTotals.count = this.count(node);
    const [features, nCandidates] = this.candidateFeatures(task);
    if (histogram !== null) {
      finder.findInHistogram(nodeTotals, histogram, this.layout, features, nCandidates, best);
    } else {
      const { source, layout, rows } = this;
      const start = this.nodeStart[node];
      const end = this.nodeEnd[node];
      finder.findInRows(nodeTotals, source, layout, rows, start, end, features, nCandidates, best);
    }
    if (!best.found || best.gain <= this.params.minGainToSplit) return false;
    this.splitFeature[node] = best.feature;
    this.splitBin[node] = best.bin;
    this.splitDefaultLeft[node] = best.defaultLeft ? 1 : 0;
    this.splitGain[node] = best.gain;
    return true;
  }

  /** All active features, or a random subset of `maxFeaturesPerSplit` of them. */
  private candidateFeatures(task: TreeTask): [Int32Array, number] {
    const all = task.features;
    const m = this.params.maxFeaturesPerSplit;
    if (m >= all.length) return [all, all.length];
    const scratch = this.featureScratch;
    scratch.set(all);
    for (let i = 0; i < m; i++) {
      const j = i + task.rng.int(all.length - i);
      const swap = scratch[i];
      scratch[i] = scratch[j];
      scratch[j] = swap;
    }
    return [scratch, m];
  }

  /** Histogram scan or row scan, whichever touches fewer numbers for a node of this size. */
  private useHistogram(node: number, task: TreeTask): boolean {
    const nRows = this.count(node);
    if (nRows > MAX_ROW_SCAN) return true;
    const nCandidates = Math.min(task.features.length, this.params.maxFeaturesPerSplit);
    return nCandidates * nRows * (Math.log2(nRows + 1) + 4) > 2 * this.layout.size + nRows * task.features.length;
  }

  private splittable(node: number): boolean {
    const { maxDepth, minSamplesLeaf, minHessianLeaf } = this.params;
    return (
      (maxDepth < 0 || this.depth[node] < maxDepth) &&
      this.count(node) >= 2 * Math.max(1, minSamplesLeaf) &&
      this.sumHessians[node] >= 2 * minHessianLeaf
    );
  }

  private count(node: number): number {
    return this.nodeEnd[node] - this.nodeStart[node];
  }

  /** Sums the gradients and hessians of rows[start, end) into the node's totals. */
  private addSums(node: number, start: number, end: number): void {
    const { gradients, hessians } = this.source;
    const { nOutputs, sumGradients, rows } = this;
    const base = node * nOutputs;
    let sumHessians = 0;
    for (let k = 0; k < nOutputs; k++) sumGradients[base + k] = 0;
    for (let i = start; i < end; i++) {
      const row = rows[i];
      sumHessians += hessians[row];
      for (let k = 0; k < nOutputs; k++) sumGradients[base + k] += gradients[row * nOutputs + k];
    }
    this.sumHessians[node] = sumHessians;
  }

  private releaseHistogram(node: number): void {
    const histogram = this.histograms[node];
    if (histogram !== null) this.pool.release(histogram);
    this.histograms[node] = null;
  }

  /**
   * Copies the grown nodes into a FlatTree; leaves get -G/(H+λ) × leafScale, rounded to what is stored, and every
   * node its row count as cover.
   */
  private finish(leafScale: number): BuiltTree {
    const nNodes = this.nNodes;
    const nOutputs = this.nOutputs;
    const tree = {
      nOutputs,
      feature: new Int32Array(nNodes),
      threshold: new Float64Array(nNodes),
      left: new Int32Array(nNodes),
      defaultLeft: new Uint8Array(nNodes),
      value: new Float64Array(nNodes * nOutputs),
      cover: new Float64Array(nNodes),
    };
    const splitBin = new Int32Array(nNodes).fill(-1);
    for (let i = 0; i < nNodes; i++) {
      // Training rows that reached the node (a bootstrap sample's repeats counted): what explanations weigh by.
      tree.cover[i] = this.nodeEnd[i] - this.nodeStart[i];
      const left = this.leftChild[i];
      if (left < 0) {
        tree.feature[i] = -1;
        tree.left[i] = -1;
        const denominator = this.sumHessians[i] + this.params.lambda;
        for (let k = 0; k < nOutputs; k++) {
          const value = (-this.sumGradients[i * nOutputs + k] / denominator) * leafScale;
          tree.value[i * nOutputs + k] = denominator > 0 ? roundSignificant(value) + 0 : 0; // + 0: no -0
        }
        continue;
      }
      const feature = this.splitFeature[i];
      const thresholds = this.data.thresholds[feature];
      const bin = this.splitBin[i];
      tree.feature[i] = feature;
      tree.threshold[i] = bin < thresholds.length ? thresholds[bin] : Number.MAX_VALUE;
      tree.left[i] = left;
      tree.defaultLeft[i] = this.splitDefaultLeft[i];
      splitBin[i] = bin;
    }
    return { tree, splitBin };
  }
}
