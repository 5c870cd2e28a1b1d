/**
 * Gradient histograms. For every feature, `nBins(f) + 1` slots (the last one for missing values); each slot holds
 * `stride = nOutputs + 2` numbers: the gradient sums per output, the hessian sum and the row count.
 */
export class HistogramLayout {
  /** First slot of each feature; slot `offsets[f] + b` holds bin b, slot `offsets[f] + nBins[f]` the missing rows. */
  readonly offsets: Int32Array;
  /** Slots over all features. */
  readonly totalSlots: number;
  /** Numbers per slot: nOutputs gradient sums, the hessian sum, the row count. */
  readonly stride: number;
  /** Numbers in one histogram (totalSlots × stride). */
  readonly size: number;

  constructor(
    /** Value bins per feature (the missing-value code of feature f is nBins[f]). */
    readonly nBins: Int32Array,
    readonly nOutputs: number,
  ) {
    this.offsets = new Int32Array(nBins.length);
    let slots = 0;
    for (let feature = 0; feature < nBins.length; feature++) {
      this.offsets[feature] = slots;
      slots += nBins[feature] + 1;
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

  release(histogram: Float64Array): void {
    this.free.push(histogram);
  }
}

/** Source arrays for histogram building: binned rows (row-major), gradients (nRows × nOutputs) and hessians. */
export interface GradientSource {
  binned: Uint8Array;
  nFeatures: number;
  gradients: Float64Array;
  hessians: Float64Array;
}

/** Zeroes `histogram` and accumulates rows[start, end) over the first `nActive` of `features`. */
export function buildHistogram(
  histogram: Float64Array,
  layout: HistogramLayout,
  source: GradientSource,
  rows: Int32Array,
  start: number,
  end: number,
  features: Int32Array,
  nActive: number,
): void {
  histogram.fill(0);
  const { binned, nFeatures, gradients, hessians } = source;
  const offsets = layout.offsets;
  const nOutputs = layout.nOutputs;
  if (nOutputs === 1) {
    for (let i = start; i < end; i++) {
      const row = rows[i];
      const gradient = gradients[row];
      const hessian = hessians[row];
      const rowBase = row * nFeatures;
      for (let j = 0; j < nActive; j++) {
        const feature = features[j];
        const slot = (offsets[feature] + binned[rowBase + feature]) * 3;
        histogram[slot] += gradient;
        histogram[slot + 1] += hessian;
        histogram[slot + 2] += 1;
      }
    }
    return;
  }
  const stride = nOutputs + 2;
  for (let i = start; i < end; i++) {
    const row = rows[i];
    const hessian = hessians[row];
    const rowBase = row * nFeatures;
    const gradientBase = row * nOutputs;
    for (let j = 0; j < nActive; j++) {
      const feature = features[j];
      const slot = (offsets[feature] + binned[rowBase + feature]) * stride;
      for (let k = 0; k < nOutputs; k++) histogram[slot + k] += gradients[gradientBase + k];
      histogram[slot + nOutputs] += hessian;
      histogram[slot + nOutputs + 1] += 1;
    }
  }
}

/** target -= other (the sibling-by-subtraction trick: parent minus smaller child gives the larger child). */
export function subtractHistogram(target: Float64Array, other: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] -= other[i];
}
