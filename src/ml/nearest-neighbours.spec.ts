import { NearestNeighbours } from './nearest-neighbours';
import { Rng } from './random';

/** The k nearest by a full scan: squared distances, nearest first. */
function bruteForce(x: Float64Array, y: Float64Array, qx: number, qy: number, k: number): number[] {
  const d = Array.from(x, (xi, i) => (xi - qx) ** 2 + (y[i] - qy) ** 2).filter((v) => !Number.isNaN(v));
  return d.sort((a, b) => a - b).slice(0, k);
}

describe('NearestNeighbours', () => {
  const rng = new Rng(3);
  const n = 5_000;
  // Clustered points with many exact duplicates (census block groups share coordinates).
  const x = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 : Math.round(rng.next() * 300) / 10));
  const y = Float64Array.from({ length: n }, (_, i) =>
    i % 7 === 0 ? 2 : Math.round(rng.next() * rng.next() * 200) / 10,
  );
  const index = new NearestNeighbours(x, y, 100);

  it.each([1, 5, 60, 100])('finds exactly the %i nearest points, nearest first, with their ids', (k) => {
    for (let q = 0; q < 300; q++) {
      const qx = rng.next() * 34 - 2;
      const qy = rng.next() * 24 - 2;
      const found = index.query(qx, qy, k);
      expect(found.count).toBe(k);
      expect(Array.from(found.dist2.subarray(0, k))).toEqual(bruteForce(x, y, qx, qy, k));
      const ids = Array.from(found.ids.subarray(0, k));
      expect(new Set(ids).size).toBe(k);
      ids.forEach((id, j) => expect((x[id] - qx) ** 2 + (y[id] - qy) ** 2).toBe(found.dist2[j]));
    }
  });

  it('at a point of the set: itself (distance 0) among the first; duplicates all found', () => {
    const found = index.query(1, 2, 50);
    expect(Array.from(found.dist2.subarray(0, 50))).toEqual(new Array(50).fill(0));
    for (let j = 0; j < 50; j++) expect(found.ids[j] % 7).toBe(0);
  });

  it('leaves out points with a NaN coordinate, answers nothing for a NaN query, caps k at its size', () => {
    const small = new NearestNeighbours([0, 1, NaN, 3], [0, 1, 5, NaN], 10);
    expect(small.size).toBe(2);
    const found = small.query(0.9, 0.9, 10);
    expect(found.count).toBe(2);
    expect(Array.from(found.ids.subarray(0, 2))).toEqual([1, 0]);
    expect(small.query(NaN, 0, 3).count).toBe(0);
    expect(new NearestNeighbours([], [], 5).query(0, 0, 5).count).toBe(0);
  });
});
