/**
 * Gradient histograms. For every feature, `nBins(f) + 1` slots (the last one for missing values); each slot holds
 * `stride = nOutputs + 2` numbers: the gradient sums per output, the hessian sum and the row count.
 */
export class HistogramLayout {
  readonly offsets: Int32Array;
  readonly totalSlots: number;
  readonly stride: number;
  readonly size: number;

  constructor(
    readonly nBins: Int32Array,
    readonly nOutputs: number,
  ) {
    this.offsets = new Int32Array(nBins.length);
    let slots = 0;
    for (let f = 0; f < nBins.length; f++) {
      this.offsets[f] = slots;
      slots += nBins[f] + 1;
    }
    this.totalSlots = slots;
    this.stride = nOutputs + 2;
    this.size = slots * this.stride;
  }
}

/** Reuses histogram buffers so growing a tree allocates only as many as are alive at once. */
export class HistogramPool {
  private readonly free: Float64Array[] = [];

  constructor(private readonly size: number) {}

  acquire(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.size);
  }

  release(hist: Float64Array): void {
    this.free.push(hist);
  }
}

/** Source arrays for histogram building: binned rows (row-major), gradients (nRows × nOutputs) and hessians. */
export interface GradientSource {
  binned: Uint8Array;
  nFeatures: number;
  grad: Float64Array;
  hess: Float64Array;
}

/** Zeroes `hist` and accumulates rows[start, end) over the active features. */
export function buildHistogram(
  hist: Float64Array,
  layout: HistogramLayout,
  src: GradientSource,
  rows: Int32Array,
  start: number,
  end: number,
  features: Int32Array,
  nActive: number,
): void {
  hist.fill(0);
  const { binned, nFeatures: nF, grad, hess } = src;
  const offsets = layout.offsets;
  const K = layout.nOutputs;
  if (K === 1) {
    for (let i = start; i < end; i++) {
      const r = rows[i];
      const g = grad[r];
      const h = hess[r];
      const base = r * nF;
      for (let j = 0; j < nActive; j++) {
        const f = features[j];
        const s = (offsets[f] + binned[base + f]) * 3;
        hist[s] += g;
        hist[s + 1] += h;
        hist[s + 2] += 1;
      }
    }
    return;
  }
  const S = K + 2;
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const h = hess[r];
    const base = r * nF;
    const gBase = r * K;
    for (let j = 0; j < nActive; j++) {
      const f = features[j];
      const s = (offsets[f] + binned[base + f]) * S;
      for (let k = 0; k < K; k++) hist[s + k] += grad[gBase + k];
      hist[s + K] += h;
      hist[s + K + 1] += 1;
    }
  }
}

/** target -= other (the sibling-by-subtraction trick: parent minus smaller child gives the larger child). */
export function subtractHistogram(target: Float64Array, other: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] -= other[i];
}
