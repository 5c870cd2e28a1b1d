import { FlatTree } from './flat-tree';
import { buildHistogram, GradientSource, HistogramLayout, HistogramPool, subtractHistogram } from './histogram';
import { roundSignificant } from './precision.util';
import { Rng } from './random';
import { MAX_ROW_SCAN, SplitFinder } from './split-finder';

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
  binned: Uint8Array;
  nRows: number;
  nFeatures: number;
  thresholds: readonly Float64Array[];
}

/** Inputs of one tree: gradients (nRows × nOutputs), hessians, the rows to use and the features allowed. */
export interface TreeTask {
  grad: Float64Array;
  hess: Float64Array;
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
  splitBin: Int32Array;
}

/**
 * Grows one histogram tree. With a leaf limit it grows best-first (always splitting the leaf with the largest gain),
 * otherwise depth-first. Each split builds the histogram of the smaller child only; the larger child's histogram is
 * the parent's minus the smaller one. All buffers are allocated once per builder and reused for every tree.
 */
export class TreeBuilder {
  private readonly layout: HistogramLayout;
  private readonly pool: HistogramPool;
  private readonly finder: SplitFinder;
  private readonly K: number;
  private readonly rows: Int32Array;
  private readonly tmp: Int32Array;
  private readonly candidates: Int32Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly depth: Int32Array;
  private readonly sumG: Float64Array;
  private readonly sumH: Float64Array;
  private readonly splitFeature: Int32Array;
  private readonly splitBins: Int32Array;
  private readonly splitDefaultLeft: Uint8Array;
  private readonly splitGain: Float64Array;
  private readonly childLeft: Int32Array;
  private readonly hists: (Float64Array | null)[];
  private readonly featureScratch: Int32Array;
  private src: GradientSource;
  private nNodes = 0;

  constructor(
    private readonly data: BinnedMatrix,
    nOutputs: number,
    private readonly p: TreeGrowthParams,
  ) {
    this.K = nOutputs;
    this.layout = new HistogramLayout(
      Int32Array.from(data.thresholds, (t) => t.length + 1),
      nOutputs,
    );
    this.pool = new HistogramPool(this.layout.size);
    this.finder = new SplitFinder(nOutputs, p);
    const maxNodes = p.maxLeaves > 0 ? 2 * p.maxLeaves - 1 : 2 * Math.max(1, data.nRows) - 1;
    this.rows = new Int32Array(data.nRows);
    this.tmp = new Int32Array(data.nRows);
    this.candidates = new Int32Array(maxNodes);
    this.start = new Int32Array(maxNodes);
    this.end = new Int32Array(maxNodes);
    this.depth = new Int32Array(maxNodes);
    this.sumG = new Float64Array(maxNodes * nOutputs);
    this.sumH = new Float64Array(maxNodes);
    this.splitFeature = new Int32Array(maxNodes);
    this.splitBins = new Int32Array(maxNodes);
    this.splitDefaultLeft = new Uint8Array(maxNodes);
    this.splitGain = new Float64Array(maxNodes);
    this.childLeft = new Int32Array(maxNodes);
    this.hists = new Array<Float64Array | null>(maxNodes).fill(null);
    this.featureScratch = new Int32Array(data.nFeatures);
    this.src = { binned: data.binned, nFeatures: data.nFeatures, grad: new Float64Array(0), hess: new Float64Array(0) };
  }

  build(task: TreeTask): BuiltTree {
    this.src = { binned: this.data.binned, nFeatures: this.data.nFeatures, grad: task.grad, hess: task.hess };
    this.rows.set(task.rows);
    this.nNodes = 1;
    this.start[0] = 0;
    this.end[0] = task.rows.length;
    this.depth[0] = 0;
    this.addSums(0, 0, task.rows.length);
    this.childLeft[0] = -1;
    let nCandidates = 0;
    if (this.splittable(0) && this.findSplit(0, task, null)) this.candidates[nCandidates++] = 0;
    let nLeaves = 1;
    while (nCandidates > 0 && (this.p.maxLeaves < 0 || nLeaves < this.p.maxLeaves)) {
      let pick = nCandidates - 1;
      if (this.p.maxLeaves > 0) {
        for (let i = 0; i < nCandidates; i++) {
          if (this.splitGain[this.candidates[i]] > this.splitGain[this.candidates[pick]]) pick = i;
        }
      }
      const node = this.candidates[pick];
      this.candidates[pick] = this.candidates[--nCandidates];
      task.importance[this.splitFeature[node]] += this.splitGain[node];
      nLeaves++;
      for (const child of this.split(node, task)) this.candidates[nCandidates++] = child;
    }
    for (let i = 0; i < nCandidates; i++) this.releaseHist(this.candidates[i]);
    return this.finish(task.leafScale);
  }

  /** Partitions the node's rows, creates both children and returns those worth splitting further. */
  private split(node: number, task: TreeTask): number[] {
    const f = this.splitFeature[node];
    const bin = this.splitBins[node];
    const dl = this.splitDefaultLeft[node] === 1;
    const missing = this.layout.nBins[f];
    const { binned, nFeatures: nF } = this.data;
    const { rows, tmp } = this;
    const s = this.start[node];
    const e = this.end[node];
    let li = s;
    let ri = 0;
    for (let i = s; i < e; i++) {
      const r = rows[i];
      const code = binned[r * nF + f];
      if (code === missing ? dl : code <= bin) rows[li++] = r;
      else tmp[ri++] = r;
    }
    rows.set(tmp.subarray(0, ri), li);
    const l = this.nNodes;
    const r = l + 1;
    this.nNodes += 2;
    this.childLeft[node] = l;
    for (const [child, cs, ce] of [
      [l, s, li],
      [r, li, e],
    ]) {
      this.start[child] = cs;
      this.end[child] = ce;
      this.depth[child] = this.depth[node] + 1;
      this.childLeft[child] = -1;
      this.addSums(child, cs, ce);
    }
    this.assignHistograms(node, l, r, task);
    const next: number[] = [];
    for (const child of [l, r]) {
      if (this.splittable(child) && this.findSplit(child, task, this.hists[child])) next.push(child);
      else this.releaseHist(child);
    }
    return next;
  }

  /** Gives each child that will scan a histogram its histogram, building only the smaller one when possible. */
  private assignHistograms(node: number, l: number, r: number, task: TreeTask): void {
    const parent = this.hists[node];
    this.hists[node] = null;
    const needL = this.splittable(l) && this.useHistogram(l, task);
    const needR = this.splittable(r) && this.useHistogram(r, task);
    const [small, large] = this.count(l) <= this.count(r) ? [l, r] : [r, l];
    if (parent !== null && needL && needR) {
      this.hists[small] = this.buildFor(small, task, this.pool.acquire());
      subtractHistogram(parent, this.hists[small]);
      this.hists[large] = parent;
    } else if (parent !== null && (needL || needR)) {
      const child = needL ? l : r;
      if (child === large) {
        const scratch = this.buildFor(small, task, this.pool.acquire());
        subtractHistogram(parent, scratch);
        this.pool.release(scratch);
        this.hists[child] = parent;
      } else {
        this.hists[child] = this.buildFor(child, task, parent);
      }
    } else {
      if (parent !== null) this.pool.release(parent);
      if (needL) this.hists[l] = this.buildFor(l, task, this.pool.acquire());
      if (needR) this.hists[r] = this.buildFor(r, task, this.pool.acquire());
    }
  }

  private buildFor(node: number, task: TreeTask, hist: Float64Array): Float64Array {
    const nActive = task.features.length;
    buildHistogram(hist, this.layout, this.src, this.rows, this.start[node], this.end[node], task.features, nActive);
    return hist;
  }

  /** Searches the node's best split; the root builds its own histogram when it is large enough to need one. */
  private findSplit(node: number, task: TreeTask, hist: Float64Array | null): boolean {
    if (node === 0 && this.useHistogram(0, task)) {
      hist = this.buildFor(0, task, this.pool.acquire());
      this.hists[0] = hist;
    }
    const { finder } = this;
    finder.reset(this.sumG, node * this.K, this.sumH[node], this.count(node));
    const [features, n] = this.candidateFeatures(task);
    if (hist !== null) finder.scanHistogram(hist, this.layout, features, n);
    else finder.scanRows(this.src, this.layout, this.rows, this.start[node], this.end[node], features, n);
    if (finder.feature < 0 || finder.gain <= this.p.minGainToSplit) return false;
    this.splitFeature[node] = finder.feature;
    this.splitBins[node] = finder.bin;
    this.splitDefaultLeft[node] = finder.defaultLeft ? 1 : 0;
    this.splitGain[node] = finder.gain;
    return true;
  }

  /** All active features, or a random subset of `maxFeaturesPerSplit` of them. */
  private candidateFeatures(task: TreeTask): [Int32Array, number] {
    const all = task.features;
    const m = this.p.maxFeaturesPerSplit;
    if (m >= all.length) return [all, all.length];
    const scratch = this.featureScratch;
    scratch.set(all);
    for (let i = 0; i < m; i++) {
      const j = i + task.rng.int(all.length - i);
      const t = scratch[i];
      scratch[i] = scratch[j];
      scratch[j] = t;
    }
    return [scratch, m];
  }

  /** Histogram scan or row scan, whichever touches fewer numbers for a node of this size. */
  private useHistogram(node: number, task: TreeTask): boolean {
    const n = this.count(node);
    if (n > MAX_ROW_SCAN) return true;
    const nCandidates = Math.min(task.features.length, this.p.maxFeaturesPerSplit);
    return nCandidates * n * (Math.log2(n + 1) + 4) > 2 * this.layout.size + n * task.features.length;
  }

  private splittable(node: number): boolean {
    const { maxDepth, minSamplesLeaf, minHessianLeaf } = this.p;
    return (
      (maxDepth < 0 || this.depth[node] < maxDepth) &&
      this.count(node) >= 2 * Math.max(1, minSamplesLeaf) &&
      this.sumH[node] >= 2 * minHessianLeaf
    );
  }

  private count(node: number): number {
    return this.end[node] - this.start[node];
  }

  private addSums(node: number, s: number, e: number): void {
    const { grad, hess } = this.src;
    const K = this.K;
    let h = 0;
    for (let k = 0; k < K; k++) this.sumG[node * K + k] = 0;
    for (let i = s; i < e; i++) {
      const r = this.rows[i];
      h += hess[r];
      for (let k = 0; k < K; k++) this.sumG[node * K + k] += grad[r * K + k];
    }
    this.sumH[node] = h;
  }

  private releaseHist(node: number): void {
    const hist = this.hists[node];
    if (hist !== null) this.pool.release(hist);
    this.hists[node] = null;
  }

  /** Copies the grown nodes into a FlatTree; leaves get -G/(H+λ) × leafScale, rounded to what is stored. */
  private finish(leafScale: number): BuiltTree {
    const n = this.nNodes;
    const K = this.K;
    const tree = {
      nOutputs: K,
      feature: new Int32Array(n),
      threshold: new Float64Array(n),
      left: new Int32Array(n),
      defaultLeft: new Uint8Array(n),
      value: new Float64Array(n * K),
    };
    const splitBin = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const l = this.childLeft[i];
      if (l < 0) {
        tree.feature[i] = -1;
        tree.left[i] = -1;
        const d = this.sumH[i] + this.p.lambda;
        for (let k = 0; k < K; k++) {
          tree.value[i * K + k] = d > 0 ? roundSignificant((-this.sumG[i * K + k] / d) * leafScale) + 0 : 0; // no -0
        }
        continue;
      }
      const f = this.splitFeature[i];
      const thr = this.data.thresholds[f];
      tree.feature[i] = f;
      tree.threshold[i] = this.splitBins[i] < thr.length ? thr[this.splitBins[i]] : Number.MAX_VALUE;
      tree.left[i] = l;
      tree.defaultLeft[i] = this.splitDefaultLeft[i];
      splitBin[i] = this.splitBins[i];
    }
    return { tree, splitBin };
  }
}
