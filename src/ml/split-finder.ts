import { GradientSource, HistogramLayout } from './histogram';

/** Constraints a split must meet. */
export interface SplitConstraints {
  lambda: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
}

/** Largest node scanned row by row (sort keys pack a 16-bit row position). */
export const MAX_ROW_SCAN = 0xffff;

/**
 * Finds the best split of one node, either from its histogram or, for small nodes, by sorting its rows by bin
 * (cheaper than touching every bin). Both scans consider the same candidates: "bin <= b goes left" for every
 * non-empty bin b, with missing values sent left and right, plus "missing versus everything else". Without missing
 * values at the node, missing values later follow the child with more rows.
 * Gain = sum over outputs of GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ).
 */
export class SplitFinder {
  gain = 0;
  feature = -1;
  bin = -1;
  defaultLeft = false;

  private readonly gL: Float64Array;
  private readonly mG: Float64Array;
  private readonly nodeG: Float64Array;
  private readonly keys = new Int32Array(MAX_ROW_SCAN + 1);
  private nodeH = 0;
  private nodeC = 0;
  private mH = 0;
  private mC = 0;
  private parentScore = 0;

  constructor(
    private readonly K: number,
    private readonly c: SplitConstraints,
  ) {
    this.gL = new Float64Array(K);
    this.mG = new Float64Array(K);
    this.nodeG = new Float64Array(K);
  }

  /** Starts a new search for a node with the given sums; `feature` stays -1 unless a split improves on the parent. */
  reset(nodeG: Float64Array, nodeGOffset: number, nodeH: number, nodeC: number): void {
    const lambda = this.c.lambda;
    let score = 0;
    for (let k = 0; k < this.K; k++) {
      const g = nodeG[nodeGOffset + k];
      this.nodeG[k] = g;
      score += (g * g) / (nodeH + lambda);
    }
    this.parentScore = score;
    this.nodeH = nodeH;
    this.nodeC = nodeC;
    this.gain = 1e-12 * score; // ignore "improvements" that are floating-point noise
    this.feature = -1;
    this.bin = -1;
    this.defaultLeft = false;
  }

  scanHistogram(hist: Float64Array, layout: HistogramLayout, features: Int32Array, nCandidates: number): void {
    const K = this.K;
    const S = K + 2;
    const { gL, mG } = this;
    for (let j = 0; j < nCandidates; j++) {
      const f = features[j];
      const off = layout.offsets[f];
      const nb = layout.nBins[f];
      const ms = (off + nb) * S;
      for (let k = 0; k < K; k++) mG[k] = hist[ms + k];
      this.mH = hist[ms + K];
      this.mC = hist[ms + K + 1];
      const nonMissing = this.nodeC - this.mC;
      gL.fill(0);
      let hL = 0;
      let cL = 0;
      for (let b = 0; b < nb && cL < nonMissing; b++) {
        const s = (off + b) * S;
        const c = hist[s + K + 1];
        if (c === 0) continue;
        for (let k = 0; k < K; k++) gL[k] += hist[s + k];
        hL += hist[s + K];
        cL += c;
        if (cL < nonMissing) this.evaluate(f, b, hL, cL);
      }
      if (this.mC > 0 && nonMissing > 0) this.consider(f, nb - 1, hL, cL, false, false);
    }
  }

  scanRows(
    src: GradientSource,
    layout: HistogramLayout,
    rows: Int32Array,
    start: number,
    end: number,
    features: Int32Array,
    nCandidates: number,
  ): void {
    const K = this.K;
    const { gL, mG, keys } = this;
    const { binned, nFeatures: nF, grad, hess } = src;
    const n = end - start;
    for (let j = 0; j < nCandidates; j++) {
      const f = features[j];
      const nb = layout.nBins[f];
      for (let i = 0; i < n; i++) keys[i] = (binned[rows[start + i] * nF + f] << 16) | i;
      const sorted = keys.subarray(0, n).sort();
      let nm = n;
      while (nm > 0 && sorted[nm - 1] >>> 16 === nb) nm--;
      mG.fill(0);
      this.mH = 0;
      this.mC = n - nm;
      for (let i = nm; i < n; i++) {
        const r = rows[start + (sorted[i] & 0xffff)];
        for (let k = 0; k < K; k++) mG[k] += grad[r * K + k];
        this.mH += hess[r];
      }
      gL.fill(0);
      let hL = 0;
      let i = 0;
      while (i < nm) {
        const b = sorted[i] >>> 16;
        do {
          const r = rows[start + (sorted[i] & 0xffff)];
          for (let k = 0; k < K; k++) gL[k] += grad[r * K + k];
          hL += hess[r];
          i++;
        } while (i < nm && sorted[i] >>> 16 === b);
        if (i < nm) this.evaluate(f, b, hL, i);
      }
      if (this.mC > 0 && nm > 0) this.consider(f, nb - 1, hL, nm, false, false);
    }
  }

  private evaluate(f: number, b: number, hL: number, cL: number): void {
    if (this.mC === 0) {
      this.consider(f, b, hL, cL, false, cL >= this.nodeC - cL);
    } else {
      this.consider(f, b, hL, cL, false, false);
      this.consider(f, b, hL, cL, true, true);
    }
  }

  private consider(f: number, b: number, hL: number, cL: number, missingLeft: boolean, defaultLeft: boolean): void {
    const { lambda, minSamplesLeaf, minHessianLeaf } = this.c;
    const HL = missingLeft ? hL + this.mH : hL;
    const CL = missingLeft ? cL + this.mC : cL;
    const HR = this.nodeH - HL;
    const CR = this.nodeC - CL;
    if (CL < minSamplesLeaf || CR < minSamplesLeaf || HL < minHessianLeaf || HR < minHessianLeaf) return;
    const dL = HL + lambda;
    const dR = HR + lambda;
    if (!(dL > 0 && dR > 0)) return;
    let score = 0;
    for (let k = 0; k < this.K; k++) {
      const gl = missingLeft ? this.gL[k] + this.mG[k] : this.gL[k];
      const gr = this.nodeG[k] - gl;
      score += (gl * gl) / dL + (gr * gr) / dR;
    }
    const gain = score - this.parentScore;
    if (gain > this.gain) {
      this.gain = gain;
      this.feature = f;
      this.bin = b;
      this.defaultLeft = defaultLeft;
    }
  }
}
