import { buildHistogram, GradientSource, HistogramLayout, HistogramPool, subtractHistogram } from './histogram';
import { Rng } from './random';

/** Random binned rows (codes 0..nBins[f], the last one meaning missing) with nOutputs gradients and a hessian each. */
function randomSource(nRows: number, nBins: number[], nOutputs: number, seed: number): GradientSource {
  const rng = new Rng(seed);
  const nFeatures = nBins.length;
  const binned = new Uint8Array(nRows * nFeatures);
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < nFeatures; f++) binned[r * nFeatures + f] = rng.int(nBins[f] + 1);
  }
  const gradients = Float64Array.from({ length: nRows * nOutputs }, () => rng.next() * 2 - 1);
  const hessians = Float64Array.from({ length: nRows }, () => 0.1 + rng.next());
  return { binned, nFeatures, gradients, hessians };
}

/** [Σ gradients per output..., Σ hessians, count] of the given rows that fall in bin `bin` of feature `f`. */
function bruteForceSlot(src: GradientSource, nOutputs: number, rows: number[], f: number, bin: number): number[] {
  const sums = new Array<number>(nOutputs + 2).fill(0);
  for (const r of rows) {
    if (src.binned[r * src.nFeatures + f] !== bin) continue;
    for (let k = 0; k < nOutputs; k++) sums[k] += src.gradients[r * nOutputs + k];
    sums[nOutputs] += src.hessians[r];
    sums[nOutputs + 1] += 1;
  }
  return sums;
}

function slotOf(hist: Float64Array, layout: HistogramLayout, f: number, bin: number): number[] {
  const at = (layout.offsets[f] + bin) * layout.stride;
  return Array.from(hist.subarray(at, at + layout.stride));
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 10));
}

describe('HistogramLayout', () => {
  it('gives each feature nBins + 1 consecutive slots of nOutputs + 2 numbers', () => {
    const layout = new HistogramLayout(Int32Array.from([3, 1, 5]), 2);
    expect(Array.from(layout.offsets)).toEqual([0, 4, 6]);
    expect(layout.totalSlots).toBe(12);
    expect(layout.stride).toBe(4);
    expect(layout.size).toBe(48);
  });
});

describe('buildHistogram', () => {
  const nBins = [4, 1, 7, 3];
  const rows = Int32Array.from([9, 2, 17, 5, 30, 11, 0, 23, 14, 8, 27, 3]);

  it.each([1, 3])('equals a brute-force sum per bin (nOutputs = %i), missing values in the last slot', (nOutputs) => {
    const src = randomSource(32, nBins, nOutputs, 7 + nOutputs);
    const layout = new HistogramLayout(Int32Array.from(nBins), nOutputs);
    const hist = new Float64Array(layout.size).fill(123); // stale contents must be cleared
    const features = Int32Array.from([0, 1, 2, 3]);
    buildHistogram(hist, layout, src, rows, 2, 10, features, features.length);
    const nodeRows = Array.from(rows.subarray(2, 10));
    for (let f = 0; f < nBins.length; f++) {
      for (let bin = 0; bin <= nBins[f]; bin++) {
        expectClose(slotOf(hist, layout, f, bin), bruteForceSlot(src, nOutputs, nodeRows, f, bin));
      }
      let count = 0;
      for (let bin = 0; bin <= nBins[f]; bin++) count += slotOf(hist, layout, f, bin)[nOutputs + 1];
      expect(count).toBe(nodeRows.length);
    }
  });

  it('fills only the first nActive features of the list and leaves the others zero', () => {
    const src = randomSource(32, nBins, 1, 3);
    const layout = new HistogramLayout(Int32Array.from(nBins), 1);
    const hist = new Float64Array(layout.size).fill(1);
    buildHistogram(hist, layout, src, rows, 0, rows.length, Int32Array.from([2, 0, 1]), 2);
    for (const f of [1, 3]) {
      for (let bin = 0; bin <= nBins[f]; bin++) expect(slotOf(hist, layout, f, bin)).toEqual([0, 0, 0]);
    }
    for (const f of [0, 2]) {
      for (let bin = 0; bin <= nBins[f]; bin++) {
        expectClose(slotOf(hist, layout, f, bin), bruteForceSlot(src, 1, Array.from(rows), f, bin));
      }
    }
  });

  it.each([1, 2])('builds a sibling by subtraction equal to building it directly (nOutputs = %i)', (nOutputs) => {
    const src = randomSource(40, nBins, nOutputs, 11);
    const layout = new HistogramLayout(Int32Array.from(nBins), nOutputs);
    const features = Int32Array.from([0, 1, 2, 3]);
    const all = Int32Array.from({ length: 40 }, (_, i) => i);
    const parent = new Float64Array(layout.size);
    const left = new Float64Array(layout.size);
    const right = new Float64Array(layout.size);
    buildHistogram(parent, layout, src, all, 0, 40, features, 4);
    buildHistogram(left, layout, src, all, 0, 15, features, 4);
    buildHistogram(right, layout, src, all, 15, 40, features, 4);
    subtractHistogram(parent, left);
    for (let i = 0; i < layout.size; i++) expect(parent[i]).toBeCloseTo(right[i], 10);
    // Counts are small integers, so the subtraction gives them exactly.
    for (let slot = 0; slot < layout.totalSlots; slot++) {
      expect(parent[slot * layout.stride + nOutputs + 1]).toBe(right[slot * layout.stride + nOutputs + 1]);
    }
  });
});

describe('HistogramPool', () => {
  it('hands out released buffers again before allocating new ones', () => {
    const pool = new HistogramPool(6);
    const a = pool.acquire();
    const b = pool.acquire();
    expect(a).not.toBe(b);
    expect(a).toHaveLength(6);
    pool.release(a);
    expect(pool.acquire()).toBe(a);
  });
});
