import { adHocDefinition } from '../../../test/support/builtin-models';
import type { ColumnDefinition } from '../../definitions/model-definition';
import { Rng } from '../../ml/random';
import { transformAll } from '../feature-spec';
import { compilePipeline, fitPreprocessing } from './definition-pipeline';
import { columnFields } from './definition-columns';
import { NEIGHBOUR_FOLDS, NeighbourColumn, NeighbourIndex, neighbourFolds, trainingMatrix } from './neighbour-columns';

/** Rows on a grid of distinct locations, a value `w` and a target `y` that is pure noise, unrelated to location. */
type Row = Record<'lat' | 'lon' | 'w' | 'y', number>;

function rows(n: number, seed: number): Row[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    lat: 33 + Math.floor(i / 40) * 0.01,
    lon: -120 + (i % 40) * 0.01,
    w: 1 + rng.next(),
    y: rng.next() * 10,
  }));
}

const near = { lat: 'lat', lon: 'lon' } as const;
const columns: ColumnDefinition[] = [
  { name: 'lat', op: 'input', field: 'lat' },
  { name: 'nb1', op: 'neighbours', ...near, k: 1, stat: 'mean' },
  { name: 'nb8', op: 'neighbours', ...near, k: 8, stat: 'mean' },
  { name: 'nb8_log', op: 'neighbours', ...near, k: 8, stat: 'mean', log: true },
  { name: 'nb8_std', op: 'neighbours', ...near, k: 8, stat: 'std' },
  { name: 'nb8_w', op: 'neighbours', ...near, k: 8, stat: 'weighted_mean' },
  { name: 'nb8_km', op: 'neighbours', ...near, k: 8, stat: 'max_km' },
  { name: 'nb8_of_w', op: 'neighbours', ...near, k: 8, stat: 'mean', of: 'w' },
];
const definition = adHocDefinition({
  features: [
    { name: 'lat', type: 'number', required: true },
    { name: 'lon', type: 'number', required: true },
    { name: 'w', type: 'number', required: true },
  ],
  columns,
});

function correlation(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  a.forEach((x, i) => {
    ab += (x - ma) * (b[i] - mb);
    aa += (x - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

describe('neighbours columns', () => {
  const train = rows(2_000, 1);
  const prep = fitPreprocessing(definition, train);
  const pipeline = compilePipeline(definition, prep);
  const width = pipeline.spec.features.length;
  const column = (X: Float64Array, name: string) => {
    const j = pipeline.spec.features.findIndex((f) => f.name === name);
    return Array.from({ length: X.length / width }, (_, i) => X[i * width + j]);
  };

  it("never lets a training row's own target into its features (out of fold), while serving searches every row", () => {
    const served = transformAll(pipeline, train, prep);
    const oof = trainingMatrix(definition, pipeline, prep, train);
    const own = train.map((r) => r.y);
    // Served, a training row's nearest training row is itself: its feature is its own target.
    expect(column(served, 'nb1')).toEqual(own);
    // Out of fold, with a target that is noise, no feature may know it: no row equals its own target, and the
    // correlation with it is that of noise (a leak of 1 row in 8 would already give about 0.35).
    const nb1 = column(oof, 'nb1');
    expect(nb1.filter((v, i) => v === own[i])).toHaveLength(0);
    for (const name of ['nb1', 'nb8', 'nb8_log', 'nb8_w']) {
      expect(Math.abs(correlation(column(oof, name), own))).toBeLessThan(0.1);
    }
    // Columns that do not read the target are the same out of fold, and the others differ from served values.
    expect(column(oof, 'lat')).toEqual(column(served, 'lat'));
    expect(column(oof, 'nb8')).not.toEqual(column(served, 'nb8'));
  });

  it('searches the other folds only: each out-of-fold value is the target of the nearest row of another fold', () => {
    const oof = trainingMatrix(definition, pipeline, prep, train);
    const nb1 = column(oof, 'nb1');
    const fold = neighbourFolds(train.length);
    expect(new Set(fold).size).toBe(NEIGHBOUR_FOLDS);
    const lonScale = (111.32 * Math.cos((33.245 * Math.PI) / 180)) / 110.574;
    const km = (a: Row, b: Row) => Math.hypot((a.lon - b.lon) * lonScale, a.lat - b.lat);
    train.forEach((row, i) => {
      const others = train.filter((_, j) => fold[j] !== fold[i]);
      const nearest = Math.min(...others.map((r) => km(r, row)));
      const candidates = others.filter((r) => km(r, row) <= nearest * (1 + 1e-9)).map((r) => r.y);
      expect(candidates).toContain(nb1[i]);
    });
  });

  it('computes each statistic by definition at serving time', () => {
    const query = { lat: 33.105, lon: -119.803, w: 1 };
    const X = transformAll(pipeline, [query], prep);
    const byDistance = train
      .map((r) => ({
        r,
        d: Math.hypot((r.lon - query.lon) * 111.32 * Math.cos((33.245 * Math.PI) / 180), (r.lat - query.lat) * 110.574),
      }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 8);
    const at = (name: string) => X[pipeline.spec.features.findIndex((f) => f.name === name)];
    const ys = byDistance.map((e) => e.r.y);
    const mean = ys.reduce((s, v) => s + v, 0) / 8;
    expect(at('nb8')).toBeCloseTo(mean, 12);
    expect(at('nb8_log')).toBeCloseTo(ys.reduce((s, v) => s + Math.log(v), 0) / 8, 12);
    expect(at('nb8_std')).toBeCloseTo(Math.sqrt(ys.reduce((s, v) => s + (v - mean) ** 2, 0) / 8), 12);
    const w = byDistance.map((e) => 1 / (e.d + 0.5));
    expect(at('nb8_w')).toBeCloseTo(ys.reduce((s, v, j) => s + w[j] * v, 0) / w.reduce((s, v) => s + v, 0), 12);
    expect(at('nb8_km')).toBeCloseTo(byDistance[7].d, 6);
    expect(at('nb8_of_w')).toBeCloseTo(byDistance.reduce((s, e) => s + e.r.w, 0) / 8, 12);
    // A missing coordinate: NaN (no imputation given).
    expect(transformAll(pipeline, [{ lat: null, lon: -119.8, w: 1 }], prep)[1]).toBeNaN();
  });

  it("gives, from sums shared by the columns of a series, the very bits a loop over each column's k neighbours gives", () => {
    // Values with gaps (NaN, non-positive under log) and columns of several k over the same series, read in any order.
    const rng = new Rng(7);
    const n = 3_000;
    const table = {
      lat: Array.from({ length: n }, () => 33 + rng.next()),
      lon: Array.from({ length: n }, () => -120 + rng.next()),
      target: Array.from({ length: n }, () => (rng.next() < 0.2 ? NaN : rng.next() * 4 - 0.5)),
      fields: { w: Array.from({ length: n }, () => (rng.next() < 0.1 ? NaN : rng.next())) },
    };
    const stats = ['mean', 'std', 'weighted_mean', 'max_km'] as const;
    const cols: NeighbourColumn[] = [1, 3, 20, 60].flatMap((k) =>
      stats.flatMap((stat) => [
        { name: `v${k}${stat}`, op: 'neighbours' as const, ...near, k, stat },
        { name: `l${k}${stat}`, op: 'neighbours' as const, ...near, k, stat, log: true },
        { name: `w${k}${stat}`, op: 'neighbours' as const, ...near, k, stat, of: 'w' },
      ]),
    );
    const index = new NeighbourIndex(table, cols, 'test');
    // The reference: the k-d tree's neighbours of the location, each column's loop over its own k (as before).
    const reference = new NeighbourIndex(table, [cols.find((c) => c.k === 60 && c.stat === 'max_km')!], 'test');
    const series = (c: NeighbourColumn) =>
      (c.of === undefined ? table.target : table.fields.w).map((v) => (c.log ? (v > 0 ? Math.log(v) : NaN) : v));
    const expected = (c: NeighbourColumn, ids: Int32Array, dist2: Float64Array, count: number): number => {
      const k = Math.min(c.k, count);
      if (k === 0) return NaN;
      if (c.stat === 'max_km') return Math.sqrt(dist2[k - 1]);
      const values = series(c);
      let [m, sum, weights, weighted] = [0, 0, 0, 0];
      for (let j = 0; j < k; j++) {
        const v = values[ids[j]];
        if (Number.isNaN(v)) continue;
        m++;
        sum += v;
        const w = 1 / (Math.sqrt(dist2[j]) + 0.5);
        weights += w;
        weighted += w * v;
      }
      if (m === 0) return NaN;
      const mean = sum / m;
      if (c.stat === 'mean') return mean;
      if (c.stat === 'weighted_mean') return weighted / weights;
      let squares = 0;
      for (let j = 0; j < k; j++) if (!Number.isNaN(values[ids[j]])) squares += (values[ids[j]] - mean) ** 2;
      return Math.sqrt(squares / m);
    };
    const misses: string[] = [];
    for (let q = 0; q < 200; q++) {
      const lat = 33 + rng.next();
      const lon = -120 + rng.next();
      const { ids, dist2, count } = reference.nearest(lat, lon);
      const want = cols.map((c) => expected(c, Int32Array.from(ids), Float64Array.from(dist2), count));
      // Columns written in a shuffled order, twice (the second pass reads the same sums), at offset 3 of a row.
      const order = cols.map((_, i) => i).sort(() => rng.next() - 0.5);
      const out = new Float64Array(3 + cols.length);
      index.write(
        [...order, ...order].map((i) => cols[i]),
        [...order, ...order],
        lat,
        lon,
        out,
        3,
      );
      cols.forEach((c, i) => {
        if (!Object.is(out[3 + i], want[i])) misses.push(`${c.name} at (${lat}, ${lon}): ${out[3 + i]} != ${want[i]}`);
      });
    }
    expect(misses).toEqual([]);
    const out = new Float64Array(1);
    index.write([cols[0]], [0], NaN, -119.5, out, 0);
    expect(out[0]).toBeNaN();
  });

  it('leaves out training rows without a location or value, also once stored as JSON (NaN becomes null)', () => {
    const gappy = [...train.slice(0, 300), { lat: NaN, lon: NaN, w: 1, y: 1e6 }];
    gappy[1] = { ...gappy[1], y: NaN };
    const fitted = fitPreprocessing(definition, gappy);
    const stored = JSON.parse(JSON.stringify(fitted)) as typeof fitted;
    // At row 1's place: row 1 is the nearest for distances, but has no target.
    const query = [{ lat: gappy[1].lat, lon: gappy[1].lon, w: 1 }];
    const served = (prep: typeof fitted) => transformAll(compilePipeline(definition, prep), query, prep);
    const at = (X: Float64Array, name: string) => X[pipeline.spec.features.findIndex((f) => f.name === name)];
    const X = served(fitted);
    expect(at(X, 'nb1')).toBeNaN();
    expect(at(X, 'nb8')).not.toBeNaN();
    expect(at(X, 'nb8')).toBeLessThan(10); // the row without a location (target 1e6) is nowhere
    expect(at(X, 'nb8_km')).toBeLessThan(5);
    expect(served(stored)).toEqual(X);
  });

  it('reads the location from the row, and `of` from the training rows only', () => {
    const ofColumn = columns.find((c) => c.name === 'nb8_of_w') as ColumnDefinition;
    // What explanations credit and what a missing input means: the row's lat and lon, not its own w.
    expect(columnFields(ofColumn)).toEqual(['lat', 'lon']);
    const X = transformAll(pipeline, [{ lat: 33.1, lon: -119.8, w: null }], prep);
    expect(X[pipeline.spec.features.findIndex((f) => f.name === 'nb8_of_w')]).not.toBeNaN();
  });

  it('gives a training row without its location, out of fold, what serving gives it (its imputed location)', () => {
    const imputed = adHocDefinition({
      features: [
        { name: 'lat', type: 'number', required: false, impute: { strategy: 'median' } },
        { name: 'lon', type: 'number', required: true },
        { name: 'w', type: 'number', required: true },
      ],
      columns,
    });
    const gappy = train.map((r, i) => (i % 50 === 0 ? { ...r, lat: null } : r));
    const fitted = fitPreprocessing(imputed, gappy);
    const compiled = compilePipeline(imputed, fitted);
    const served = transformAll(compiled, gappy, fitted);
    const oof = trainingMatrix(imputed, compiled, fitted, gappy);
    const w = compiled.spec.features.length;
    gappy.forEach((r, i) => {
      const row = (X: Float64Array) => Array.from(X.subarray(i * w, (i + 1) * w));
      if (r.lat === null) expect(row(oof)).toEqual(row(served));
    });
    expect(oof).not.toEqual(served);
  });
});
