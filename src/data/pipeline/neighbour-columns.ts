import type { ColumnDefinition, ModelDefinition } from '../../definitions/model-definition';
import { NearestNeighbours, Neighbours } from '../../ml/nearest-neighbours';
import { Rng } from '../../ml/random';
import { FeaturePipeline, NeighbourTable, Preprocessing, transformAll } from '../feature-spec';
import type { InputRow } from './definition-columns';
import { PipelineDefinitionError } from './pipeline.errors';

export type NeighbourColumn = Extract<ColumnDefinition, { op: 'neighbours' }>;

/** Km per degree of latitude, and of longitude at the equator (the WGS84 equatorial circumference / 360). */
const KM_PER_DEGREE_LAT = 110.574;
const KM_PER_DEGREE_LON = 111.32;
/** Softening of the inverse-distance weights (km): a neighbour at the same place weighs 2, one 1.5 km away 0.5. */
const WEIGHT_SOFTENING_KM = 0.5;
/** Folds of the out-of-fold values of the training rows. */
export const NEIGHBOUR_FOLDS = 5;
const FOLD_SEED = 20_240_521;

/** The preprocessing key of the training rows searched by location (lat, lon). */
export const neighbourTableKey = (lat: string, lon: string): string => `neighbours:${lat},${lon}`;

/** A regression target as the model learns it (the value divided by `divide_by`), NaN for a non-number. */
export function regressionTarget(definition: ModelDefinition, value: unknown): number {
  return typeof value === 'number' ? value / definition.target.divideBy : NaN;
}

export function neighbourColumns(definition: ModelDefinition): NeighbourColumn[] {
  return definition.columns.filter((c): c is NeighbourColumn => c.op === 'neighbours');
}

/**
 * The training rows each location pair of the definition's `neighbours` columns searches: coordinates, the target
 * when a column summarises it, and the fields the columns summarise. Fitted on the training part only, like every
 * other preprocessing value.
 */
export function fitNeighbourTables(
  definition: ModelDefinition,
  train: readonly InputRow[],
  target: (value: unknown) => number,
): Preprocessing {
  const prep: Preprocessing = {};
  for (const [key, columns] of groupByLocation(neighbourColumns(definition))) {
    const { lat, lon } = columns[0];
    const number = (value: unknown): number => (typeof value === 'number' ? value : NaN);
    const table: NeighbourTable = {
      lat: train.map((row) => number(row[lat])),
      lon: train.map((row) => number(row[lon])),
      fields: {},
    };
    if (columns.some((c) => c.of === undefined)) table.target = train.map((row) => target(row[definition.target.name]));
    for (const field of new Set(columns.flatMap((c) => (c.of === undefined ? [] : [c.of])))) {
      table.fields[field] = train.map((row) => number(row[field]));
    }
    prep[key] = table;
  }
  return prep;
}

function groupByLocation(columns: NeighbourColumn[]): Map<string, NeighbourColumn[]> {
  const groups = new Map<string, NeighbourColumn[]>();
  for (const column of columns) {
    const key = neighbourTableKey(column.lat, column.lon);
    groups.set(key, [...(groups.get(key) ?? []), column]);
  }
  return groups;
}

/**
 * What the columns of one series read of the current neighbours: for each j, over neighbours 0..j whose value is
 * known, their count, sum, inverse-distance weights and weighted sum. Accumulated in neighbour order, so the mean or
 * weighted mean of any k is the same sum, to the last bit, as a loop over its k neighbours would give.
 */
class SeriesPrefix {
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly weights: Float64Array;
  readonly weighted: Float64Array;
  /** The query the sums are of (NeighbourIndex's counter); -1: none yet. */
  query = -1;

  constructor(
    readonly values: Float64Array,
    /** How many neighbours the sums cover at most: the largest k of the columns that read them. */
    readonly k: number,
    /** Whether a column reads the weighted sums. */
    readonly weightedColumns: boolean,
  ) {
    this.count = new Float64Array(k);
    this.sum = new Float64Array(k);
    this.weights = new Float64Array(weightedColumns ? k : 0);
    this.weighted = new Float64Array(weightedColumns ? k : 0);
  }

  fill(neighbours: Neighbours, query: number): void {
    this.query = query;
    const { values, count, sum, weights, weighted } = this;
    const { ids, dist2 } = neighbours;
    const k = Math.min(this.k, neighbours.count);
    let n = 0;
    let s = 0;
    let ws = 0;
    let wv = 0;
    for (let j = 0; j < k; j++) {
      const v = values[ids[j]];
      if (!Number.isNaN(v)) {
        n++;
        s += v;
        if (this.weightedColumns) {
          const w = 1 / (Math.sqrt(dist2[j]) + WEIGHT_SOFTENING_KM);
          ws += w;
          wv += w * v;
        }
      }
      count[j] = n;
      sum[j] = s;
      if (this.weightedColumns) {
        weights[j] = ws;
        weighted[j] = wv;
      }
    }
  }
}

/**
 * A searchable table of training rows: an equirectangular projection to km around the rows' mean latitude (within
 * a fraction of a percent of great-circle distances across a state), a k-d tree over it, and each summarised
 * series (its log where a column asks for it, NaN for a value that is not positive). It keeps its last query, so
 * the columns of one row share one search, and each series' running sums over it (SeriesPrefix), so that columns
 * of different k share one pass over the neighbours.
 */
export class NeighbourIndex {
  private readonly tree: NearestNeighbours;
  private readonly kmPerLon: number;
  /** Each column's series sums (shared by columns that summarise the same values). */
  private readonly prefixOf = new Map<NeighbourColumn, SeriesPrefix>();
  private readonly maxK: number;
  private lastLat = NaN;
  private lastLon = NaN;
  private last?: Neighbours;
  /** Counts the searches, so that a series' sums know whether they are of the last one. */
  private queries = 0;

  constructor(table: NeighbourTable, columns: readonly NeighbourColumn[], definitionName: string) {
    let sum = 0;
    let n = 0;
    for (const lat of table.lat) {
      if (Number.isFinite(lat)) {
        sum += lat;
        n++;
      }
    }
    this.kmPerLon = KM_PER_DEGREE_LON * Math.cos(((n > 0 ? sum / n : 0) * Math.PI) / 180);
    this.maxK = Math.max(1, ...columns.map((c) => c.k));
    // A stored table went through JSON, where a missing value (NaN) became null.
    this.tree = new NearestNeighbours(
      table.lon.map((lon) => coordinate(lon) * this.kmPerLon),
      table.lat.map((lat) => coordinate(lat) * KM_PER_DEGREE_LAT),
      this.maxK,
    );
    const bySeries = new Map<string, NeighbourColumn[]>();
    for (const column of columns) {
      if (column.stat === 'max_km') continue;
      const key = seriesKey(column);
      bySeries.set(key, [...(bySeries.get(key) ?? []), column]);
    }
    for (const readers of bySeries.values()) {
      const column = readers[0];
      const raw = column.of === undefined ? table.target : table.fields[column.of];
      if (!Array.isArray(raw) || raw.length !== table.lat.length || table.lon.length !== table.lat.length) {
        throw new PipelineDefinitionError(
          definitionName,
          `the stored training rows of ${column.name} lack the values of ${column.of ?? 'the target'}`,
        );
      }
      const value = (v: unknown): number =>
        typeof v !== 'number' ? NaN : column.log ? (v > 0 ? Math.log(v) : NaN) : v;
      const prefix = new SeriesPrefix(
        Float64Array.from(raw, value),
        Math.max(...readers.map((c) => c.k)),
        readers.some((c) => c.stat === 'weighted_mean'),
      );
      for (const reader of readers) this.prefixOf.set(reader, prefix);
    }
  }

  /** The maxK nearest training rows of the location (the same object while the location stays the same). */
  nearest(lat: number, lon: number): Neighbours {
    if (this.last && lat === this.lastLat && lon === this.lastLon) return this.last;
    this.lastLat = lat;
    this.lastLon = lon;
    this.queries++;
    this.last = this.tree.query(lon * this.kmPerLon, lat * KM_PER_DEGREE_LAT, this.maxK);
    return this.last;
  }

  /**
   * Writes each column's statistic at a location to `out[o + at[i]]` (NaN for a missing coordinate or no value among
   * the neighbours), from one search. Nothing is returned or allocated per column: a batch of 100 rows with fifteen
   * such columns would otherwise box 1,500 numbers.
   */
  write(
    columns: readonly NeighbourColumn[],
    at: readonly number[],
    lat: number,
    lon: number,
    out: Float64Array,
    o: number,
  ): void {
    this.nearest(lat, lon);
    for (let i = 0; i < columns.length; i++) this.put(columns[i], out, o + at[i]);
  }

  /**
   * The column's statistic over the first `column.k` neighbours (all of them when fewer) of the last location
   * searched (nearest()), written to out[at].
   */
  private put(column: NeighbourColumn, out: Float64Array, at: number): void {
    const neighbours = this.last;
    const k = Math.min(column.k, neighbours?.count ?? 0);
    if (neighbours === undefined || k === 0) {
      out[at] = NaN;
      return;
    }
    if (column.stat === 'max_km') {
      out[at] = Math.sqrt(neighbours.dist2[k - 1]);
      return;
    }
    const prefix = this.prefixOf.get(column) as SeriesPrefix; // every column the index was built for has one
    if (prefix.query !== this.queries) prefix.fill(neighbours, this.queries);
    const n = prefix.count[k - 1];
    if (n === 0) {
      out[at] = NaN;
      return;
    }
    const mean = prefix.sum[k - 1] / n;
    if (column.stat === 'mean') {
      out[at] = mean;
      return;
    }
    if (column.stat === 'weighted_mean') {
      out[at] = prefix.weighted[k - 1] / prefix.weights[k - 1];
      return;
    }
    const { values } = prefix;
    const { ids } = neighbours;
    let squares = 0;
    for (let j = 0; j < k; j++) {
      const v = values[ids[j]];
      if (!Number.isNaN(v)) squares += (v - mean) ** 2;
    }
    out[at] = Math.sqrt(squares / n);
  }
}

const seriesKey = (column: NeighbourColumn): string => `${column.log ? 'log:' : ''}${column.of ?? ''}`;

/** The neighbour table of a column from fitted preprocessing, or a PipelineDefinitionError naming what is missing. */
export function neighbourTable(
  definition: ModelDefinition,
  column: NeighbourColumn,
  prep: Preprocessing,
): NeighbourTable {
  const table = prep[neighbourTableKey(column.lat, column.lon)];
  const ok = typeof table === 'object' && table !== null && !Array.isArray(table) && Array.isArray(table.lat);
  if (!ok) {
    throw new PipelineDefinitionError(
      definition.name,
      `preprocessing lacks the training rows of ${column.name} (${neighbourTableKey(column.lat, column.lon)})`,
    );
  }
  return table;
}

/** One index per location pair of the definition's neighbours columns, built from the fitted tables. */
export function neighbourIndexes(definition: ModelDefinition, prep: Preprocessing): Map<string, NeighbourIndex> {
  const indexes = new Map<string, NeighbourIndex>();
  for (const [key, columns] of groupByLocation(neighbourColumns(definition))) {
    indexes.set(key, new NeighbourIndex(neighbourTable(definition, columns[0], prep), columns, definition.name));
  }
  return indexes;
}

/**
 * Replaces the neighbours columns of the training rows' feature matrix by out-of-fold values: the rows are dealt
 * into NEIGHBOUR_FOLDS seeded folds, and each fold's rows are searched among the other folds' rows only, so that no
 * training row's feature holds its own target (what the model would learn to read back; at serving time every
 * training row is searched). `rows` are the training rows the preprocessing was fitted on, in any order;
 * `featureIndex` gives a column's position in a row of X.
 */
export function outOfFoldNeighbours(
  definition: ModelDefinition,
  rows: readonly InputRow[],
  target: (value: unknown) => number,
  X: Float64Array,
  featureIndex: (column: string) => number,
): void {
  const columns = neighbourColumns(definition);
  if (columns.length === 0 || rows.length === 0) return;
  const width = X.length / rows.length;
  const fold = neighbourFolds(rows.length);
  for (const group of groupByLocation(columns).values()) {
    const { lat, lon } = group[0];
    const at = group.map((c) => featureIndex(c.name));
    for (let f = 0; f < NEIGHBOUR_FOLDS; f++) {
      const others = rows.filter((_, i) => fold[i] !== f);
      const table = fitNeighbourTables({ ...definition, columns: group }, others, target)[neighbourTableKey(lat, lon)];
      const index = new NeighbourIndex(table as NeighbourTable, group, definition.name);
      rows.forEach((row, i) => {
        // A row without its location is not in any table (it cannot meet its own target): it keeps what the
        // pipeline wrote (searched at its imputed location, or its column's imputed value, as when served).
        if (fold[i] !== f || typeof row[lat] !== 'number' || typeof row[lon] !== 'number') return;
        index.write(group, at, row[lat], row[lon], X, i * width);
      });
    }
  }
}

const coordinate = (value: unknown): number => (typeof value === 'number' ? value : NaN);

/** A seeded deal of n rows into NEIGHBOUR_FOLDS folds of equal size (±1). */
export function neighbourFolds(n: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(FOLD_SEED);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Int32Array(n);
  order.forEach((row, position) => (fold[row] = position % NEIGHBOUR_FOLDS));
  return fold;
}

/**
 * The feature matrix of the training rows the preprocessing was fitted on: as served, except that `neighbours`
 * columns take out-of-fold values, so that no row's features hold its own target.
 */
export function trainingMatrix(
  definition: ModelDefinition,
  pipeline: FeaturePipeline<InputRow>,
  preprocessing: Preprocessing,
  rows: readonly InputRow[],
): Float64Array {
  const X = transformAll(pipeline, rows, preprocessing);
  const names = pipeline.spec.features.map((f) => f.name);
  outOfFoldNeighbours(
    definition,
    rows,
    (value) => regressionTarget(definition, value),
    X,
    (name) => names.indexOf(name),
  );
  return X;
}
