import type { Counter, Histogram } from 'prom-client';
import { CounterSeries, FoldedCounter, FoldedHistogram, HistogramSeries } from './folded-metrics';
import { METRICS } from './metric-definitions';

/** The prom-client metrics written on every request (`folded: true` in METRICS). */
export interface RequestMetricSet {
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  predictions: Counter<'model' | 'version' | 'outcome'>;
  predictionDuration: Histogram<'model' | 'version' | 'outcome'>;
  predictedValue: Histogram<'model' | 'version'>;
  predictedClass: Counter<'model' | 'version' | 'class'>;
}

/** The series one served model version writes, looked up once per request. */
export class VersionSeries {
  private readonly classes = new Map<string, CounterSeries>();

  constructor(
    readonly model: string,
    readonly version: number,
    readonly ok: CounterSeries,
    readonly okDuration: HistogramSeries,
    readonly values: HistogramSeries,
    private readonly classCounts: FoldedCounter,
  ) {}

  classSeries(label: string): CounterSeries {
    let series = this.classes.get(label);
    if (!series) {
      series = this.classCounts.labels(this.model, String(this.version), label);
      this.classes.set(label, series);
    }
    return series;
  }
}

/** The series of one (method, route, status). */
interface HttpSeries {
  requests: CounterSeries;
  duration: HistogramSeries;
}

/**
 * The per-request metrics (HTTP requests, predictions, predicted values and classes) with their series cached by
 * label values and their observations folded into prom-client when it is read (see folded-metrics.ts).
 */
export class RequestMetrics {
  readonly httpRequests: FoldedCounter;
  readonly httpDuration: FoldedHistogram;
  readonly predictions: FoldedCounter;
  readonly predictionDuration: FoldedHistogram;
  readonly values: FoldedHistogram;
  readonly classes: FoldedCounter;
  /** route → method → status. */
  private readonly http = new Map<string, Map<string, Map<number, HttpSeries>>>();
  /** model → version. */
  private readonly versions = new Map<string, Map<number, VersionSeries>>();
  private lastVersion?: VersionSeries;

  constructor(metrics: RequestMetricSet) {
    const { httpRequests, httpDuration, predictions, predictionDuration, predictedValue, predictedClass } = METRICS;
    this.httpRequests = new FoldedCounter(metrics.httpRequests, httpRequests.labelNames);
    this.httpDuration = new FoldedHistogram(metrics.httpDuration, httpDuration.labelNames, httpDuration.buckets);
    this.predictions = new FoldedCounter(metrics.predictions, predictions.labelNames);
    this.predictionDuration = new FoldedHistogram(
      metrics.predictionDuration,
      predictionDuration.labelNames,
      predictionDuration.buckets,
    );
    this.values = new FoldedHistogram(metrics.predictedValue, predictedValue.labelNames, predictedValue.buckets);
    this.classes = new FoldedCounter(metrics.predictedClass, predictedClass.labelNames);
  }

  /** A request answered with `status` after `seconds`. */
  answered(method: string, route: string, status: number, seconds: number): void {
    let methods = this.http.get(route);
    if (!methods) this.http.set(route, (methods = new Map<string, Map<number, HttpSeries>>()));
    let statuses = methods.get(method);
    if (!statuses) methods.set(method, (statuses = new Map<number, HttpSeries>()));
    let series = statuses.get(status);
    if (!series) {
      const labels = [method, route, String(status)];
      series = { requests: this.httpRequests.labels(...labels), duration: this.httpDuration.labels(...labels) };
      statuses.set(status, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }

  /** Series are exported from the first flush after they are touched, in the order they were first touched. */
  flush(): void {
    for (const metric of this.all()) metric.flush();
  }

  /** Flushes, then stops folding (the metrics may outlive this instance in a shared registry). */
  close(): void {
    for (const metric of this.all()) {
      metric.flush();
      metric.detach();
    }
  }

  /** The series of a served model version (the last one asked for is remembered). */
  served(model: string, version: number): VersionSeries {
    const last = this.lastVersion;
    if (last && last.model === model && last.version === version) return last;
    let byVersion = this.versions.get(model);
    if (!byVersion) this.versions.set(model, (byVersion = new Map<number, VersionSeries>()));
    let series = byVersion.get(version);
    if (!series) {
      const v = String(version);
      series = new VersionSeries(
        model,
        version,
        this.predictions.labels(model, v, 'ok'),
        this.predictionDuration.labels(model, v, 'ok'),
        this.values.labels(model, v),
        this.classes,
      );
      byVersion.set(version, series);
    }
    return (this.lastVersion = series);
  }

  private all(): (FoldedCounter | FoldedHistogram)[] {
    const { httpRequests, httpDuration, predictions, predictionDuration, values, classes } = this;
    return [httpRequests, httpDuration, predictions, predictionDuration, values, classes];
  }
}
