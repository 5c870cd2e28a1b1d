import { format } from 'node:util';
import type { Counter, Histogram } from 'prom-client';

/**
 * Counters and histograms of the request hot path, aggregated locally and folded into their prom-client metric
 * whenever the metric is read. prom-client's `labels(...).inc()` / `.observe()` rebuild and hash the label object on
 * every call; here a series is looked up once and an observation is a few additions. The exported text is the one
 * the direct calls would give: the same series, created in the same order, with the same counts and the same sums
 * (a histogram's sum continues the exported one value by value, so even its last digit is unchanged).
 *
 * Folding happens in the metric's `collect` option ({@link collectFolded}), which prom-client runs before every read
 * of the metric: `registry.metrics()`, `getSingleMetricAsString()`, `getMetricsAsJSON()` and `metric.get()`.
 */

type Labels = Record<string, string>;
type Fold = () => void;

const folds = new WeakMap<object, Set<Fold>>();

/** The `collect` option of a metric written through FoldedCounter or FoldedHistogram. */
export function collectFolded(this: object): void {
  const set = folds.get(this);
  if (set) for (const fold of set) fold();
}

/** prom-client's own message for a value it refuses. */
const notANumber = (value: number): TypeError => new TypeError(`Value is not a valid number: ${format(value)}`);

/** The series of one metric by label values, and the ones touched since the last fold, in the order first touched. */
abstract class FoldedMetric<S extends { readonly labels: Labels; queued: boolean }> {
  protected readonly queue: S[] = [];
  private readonly series = new Map<string, S>();
  private readonly fold: Fold = () => this.flush();
  private readonly folds: Set<Fold>;

  constructor(
    metric: object,
    private readonly labelNames: readonly string[],
  ) {
    let set = folds.get(metric);
    if (!set) folds.set(metric, (set = new Set()));
    set.add(this.fold);
    this.folds = set;
  }

  /** Stops folding into the metric (call flush() first to keep what is pending). */
  detach(): void {
    this.folds.delete(this.fold);
  }

  /** The series of these label values (in the metric's label order), created on first use, exported once touched. */
  labels(...values: string[]): S {
    const key = JSON.stringify(values);
    let series = this.series.get(key);
    if (!series) {
      if (values.length !== this.labelNames.length) {
        throw new Error(`Expected ${this.labelNames.length} label values (${this.labelNames.join(', ')})`);
      }
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      this.series.set(key, (series = this.create(labels)));
    }
    return series;
  }

  /** Moves every pending observation into the prom-client metric. */
  flush(): void {
    for (const series of this.queue) {
      this.apply(series);
      series.queued = false;
    }
    this.queue.length = 0;
  }

  protected abstract create(labels: Labels): S;
  protected abstract apply(series: S): void;
}

export class CounterSeries {
  queued = false;
  /** Not yet in the prom-client counter. */
  pending = 0;

  constructor(
    readonly labels: Labels,
    private readonly queue: CounterSeries[],
  ) {}

  /** Counter.inc(value), with its checks (a 0 still exports the series). */
  inc(value = 1): void {
    if (value && !Number.isFinite(value)) throw notANumber(value);
    if (value < 0) throw new Error('It is not possible to decrease a counter');
    this.pending += value;
    if (!this.queued) {
      this.queued = true;
      this.queue.push(this);
    }
  }
}

/** Folds through the counter's public `inc(labels, value)`. */
export class FoldedCounter extends FoldedMetric<CounterSeries> {
  constructor(
    private readonly counter: Counter,
    labelNames: readonly string[],
  ) {
    super(counter, labelNames);
  }

  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels, this.queue);
  }

  protected apply(series: CounterSeries): void {
    this.counter.inc(series.labels, series.pending);
    series.pending = 0;
  }
}

export class HistogramSeries {
  queued = false;
  /** Observations not yet in the prom-client histogram, per bucket (index of the first bound ≥ the value). */
  readonly pending: Float64Array;
  pendingCount = 0;
  /** The exported sum after the last fold, continued by every observation since. */
  sum = 0;
  foldedSum = 0;
  /** Where the series lives in prom-client, as last found. */
  entry?: HistogramEntry;
  entryMap?: Record<string, HistogramEntry>;
  entryKey = '';

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
    private readonly queue: HistogramSeries[],
  ) {
    this.pending = new Float64Array(bounds.length);
  }

  /** Histogram.observe(value), with its check. */
  observe(value: number): void {
    if (!Number.isFinite(value)) throw notANumber(value);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    if (i < bounds.length) this.pending[i]++;
    this.pendingCount++;
    this.sum += value;
    if (!this.queued) {
      this.queued = true;
      this.queue.push(this);
    }
  }

  /** observe() of each value in turn (those before a refused value are kept, as prom-client would). */
  observeAll(values: ArrayLike<number>): void {
    const bounds = this.bounds;
    const pending = this.pending;
    let sum = this.sum;
    let n = 0;
    try {
      for (; n < values.length; n++) {
        const value = values[n];
        if (!Number.isFinite(value)) throw notANumber(value);
        let i = 0;
        while (i < bounds.length && value > bounds[i]) i++;
        if (i < bounds.length) pending[i]++;
        sum += value;
      }
    } finally {
      this.sum = sum;
      this.pendingCount += n;
      if (n > 0 && !this.queued) {
        this.queued = true;
        this.queue.push(this);
      }
    }
  }
}

/** One series of prom-client's Histogram (lib/histogram.js, createBaseValues): not public API, pinned by a spec. */
interface HistogramEntry {
  labels: Record<string, string | number | undefined>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * Folds into prom-client's per-series state: Histogram has no public way to add n observations at once, and replaying
 * them one by one would move today's per-request cost to the scrape. A series is created with the public `zero()`;
 * only the counts and the sum of an existing series are written directly (`folded-metrics.spec.ts` checks the result
 * against plain `observe()` calls, so a prom-client upgrade that changes the layout fails there).
 */
export class FoldedHistogram extends FoldedMetric<HistogramSeries> {
  private readonly keys: string[];

  constructor(
    private readonly histogram: Histogram,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(histogram, labelNames);
    this.keys = bounds.map(String);
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds, this.queue);
  }

  protected apply(series: HistogramSeries): void {
    const entry = this.entryOf(series);
    // Alone on the series, the continued sum is exactly what observe() would have left; otherwise add the difference.
    entry.sum = entry.sum === series.foldedSum ? series.sum : entry.sum + (series.sum - series.foldedSum);
    entry.count += series.pendingCount;
    for (let i = 0; i < this.keys.length; i++) entry.bucketValues[this.keys[i]] += series.pending[i];
    series.pending.fill(0);
    series.pendingCount = 0;
    series.sum = series.foldedSum = entry.sum;
  }

  private entryOf(series: HistogramSeries): HistogramEntry {
    const map = (this.histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
    if (series.entry && series.entryMap === map && map[series.entryKey] === series.entry) return series.entry;
    let key = this.find(map, series.labels);
    if (key === undefined) {
      this.histogram.zero(series.labels);
      key = this.find(map, series.labels);
    }
    const entry = key === undefined ? undefined : map[key];
    const numbers = entry && [entry.sum, entry.count, ...this.keys.map((k) => entry.bucketValues?.[k])];
    if (key === undefined || !entry || !numbers?.every((n) => typeof n === 'number')) {
      throw new Error(`prom-client's Histogram state has changed shape: update ${FoldedHistogram.name}`);
    }
    series.entry = entry;
    series.entryMap = map;
    series.entryKey = key;
    return entry;
  }

  private find(map: Record<string, HistogramEntry>, labels: Labels): string | undefined {
    const names = Object.keys(labels);
    for (const key in map) {
      const other = map[key].labels;
      if (names.every((name) => other[name] !== undefined && String(other[name]) === labels[name])) return key;
    }
    return undefined;
  }
}
