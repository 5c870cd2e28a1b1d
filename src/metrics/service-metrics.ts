import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { METRICS } from './metric-definitions';
import { RequestMetrics } from './request-metrics';
import { RequestStats } from './request-stats';

type LiveLabel = 'model' | 'version' | 'policy' | 'kind';

/** The live figures of one version under one policy and role (primary or shadow); absent: not defined for the task. */
export interface LiveFigures {
  samples: number;
  rmse?: number;
  mae?: number;
  accuracy?: number;
  logLoss?: number;
}

/** Something whose current state is read when Prometheus scrapes (e.g. the prediction-log queue). */
export type ScrapeHook = () => void;

/**
 * The service's own metrics, behind methods named for what happened, so the modules that report them (prediction,
 * registry, retraining, drift) never deal with label sets. Also keeps the rolling request tallies behind
 * `GET /monitoring/summary`.
 *
 * The per-request metrics go through RequestMetrics, which aggregates them locally and folds them into prom-client
 * whenever a metric is read (any registry read, not only `GET /metrics`): the exported text is unchanged.
 */
@Injectable()
export class ServiceMetrics implements OnModuleDestroy {
  readonly stats = new RequestStats();
  private readonly scrapeHooks: ScrapeHook[] = [];
  private readonly requests: RequestMetrics;

  constructor(
    @InjectMetric(METRICS.httpRequests.name) httpRequests: Counter<'method' | 'route' | 'status'>,
    @InjectMetric(METRICS.httpDuration.name) httpDuration: Histogram<'method' | 'route' | 'status'>,
    @InjectMetric(METRICS.predictions.name) predictions: Counter<'model' | 'version' | 'outcome'>,
    @InjectMetric(METRICS.predictionDuration.name) predictionDuration: Histogram<'model' | 'version' | 'outcome'>,
    @InjectMetric(METRICS.predictedValue.name) predictedValue: Histogram<'model' | 'version'>,
    @InjectMetric(METRICS.predictedClass.name) predictedClass: Counter<'model' | 'version' | 'class'>,
    @InjectMetric(METRICS.modelInfo.name) private readonly modelInfo: Gauge<'model' | 'version' | 'alias'>,
    @InjectMetric(METRICS.modelReady.name) private readonly modelReady: Gauge<'model'>,
    @InjectMetric(METRICS.modelSwaps.name) private readonly modelSwaps: Counter<'model'>,
    @InjectMetric(METRICS.modelLastSwap.name) private readonly modelLastSwap: Gauge<'model'>,
    @InjectMetric(METRICS.modelLoadFailures.name) private readonly modelLoadFailures: Counter<'model'>,
    @InjectMetric(METRICS.retrainRuns.name) private readonly retrainRuns: Counter<'model' | 'outcome'>,
    @InjectMetric(METRICS.retrainDuration.name) private readonly retrainDuration: Histogram<'model' | 'outcome'>,
    @InjectMetric(METRICS.retrainLastSuccess.name) private readonly retrainLastSuccess: Gauge<'model'>,
    @InjectMetric(METRICS.driftPsi.name) private readonly driftPsi: Gauge<'model' | 'feature'>,
    @InjectMetric(METRICS.driftKs.name) private readonly driftKs: Gauge<'model' | 'feature'>,
    @InjectMetric(METRICS.driftStatus.name) private readonly driftStatus: Gauge<'model' | 'feature'>,
    @InjectMetric(METRICS.logQueueDepth.name) private readonly logQueueDepth: Gauge,
    @InjectMetric(METRICS.logDropped.name) private readonly logDropped: Counter,
    @InjectMetric(METRICS.rateLimitFailOpen.name) private readonly rateLimitFailOpen: Counter,
    @InjectMetric(METRICS.clusterListening.name) private readonly clusterListener: Gauge,
    @InjectMetric(METRICS.clusterMessages.name) private readonly clusterMessages: Counter<'type'>,
    @InjectMetric(METRICS.aliasSyncs.name) private readonly aliasSyncs: Counter<'model' | 'via'>,
    @InjectMetric(METRICS.trafficPolicy.name) private readonly trafficPolicy: Gauge<'model' | 'mode' | 'policy_id'>,
    @InjectMetric(METRICS.trafficWeight.name) private readonly trafficWeight: Gauge<'model' | 'version'>,
    @InjectMetric(METRICS.trafficFallbacks.name) private readonly trafficFallbacks: Counter<'model' | 'version'>,
    @InjectMetric(METRICS.shadowPredictions.name)
    private readonly shadowPredictions: Counter<'model' | 'version' | 'outcome'>,
    @InjectMetric(METRICS.shadowDropped.name) private readonly shadowDropped: Counter<'model'>,
    @InjectMetric(METRICS.shadowQueueDepth.name) private readonly shadowQueueDepth: Gauge,
    @InjectMetric(METRICS.feedbackItems.name) private readonly feedbackItems: Counter<'outcome'>,
    @InjectMetric(METRICS.liveSamples.name) private readonly liveSamples: Gauge<LiveLabel>,
    @InjectMetric(METRICS.liveRmse.name) private readonly liveRmse: Gauge<LiveLabel>,
    @InjectMetric(METRICS.liveMae.name) private readonly liveMae: Gauge<LiveLabel>,
    @InjectMetric(METRICS.liveAccuracy.name) private readonly liveAccuracy: Gauge<LiveLabel>,
    @InjectMetric(METRICS.liveLogLoss.name) private readonly liveLogLoss: Gauge<LiveLabel>,
    @InjectMetric(METRICS.holdoutScore.name) private readonly holdoutScoreGauge: Gauge<'model' | 'version' | 'metric'>,
    @InjectMetric(METRICS.decisions.name) private readonly decisionsTaken: Counter<'model' | 'kind'>,
    @InjectMetric(METRICS.artifactsPruned.name) private readonly artifactsPrunedTotal: Counter<'model'>,
    @InjectMetric(METRICS.artifactBytesPruned.name) private readonly artifactBytesPruned: Counter<'model'>,
    @InjectMetric(METRICS.artifactStoreBytes.name) private readonly artifactStoreBytes: Gauge<'model'>,
  ) {
    this.requests = new RequestMetrics({
      httpRequests,
      httpDuration,
      predictions,
      predictionDuration,
      predictedValue,
      predictedClass,
    });
  }

  /** An HTTP request was answered with `status` after `seconds` (`route` is the pattern, or `unmatched`). */
  answered(method: string, route: string, status: number, seconds: number): void {
    this.requests.answered(method, route, status, seconds);
  }

  /** One successful prediction request: its rows, duration and outputs. */
  predicted(model: string, version: number, seconds: number, output: Float64Array | readonly string[]): void {
    const series = this.requests.served(model, version);
    series.ok.inc(output.length);
    series.okDuration.observe(seconds);
    this.stats.recordPrediction(model, version, output.length, seconds * 1000);
    if (output instanceof Float64Array) series.values.observeAll(output);
    else for (const label of output) series.classSeries(label).inc();
  }

  /** A prediction request the model could not answer (counted per row it carried). */
  predictionFailed(model: string, version: number, rows: number, seconds: number): void {
    this.requests.predictions.labels(model, String(version), 'error').inc(rows);
    this.requests.predictionDuration.labels(model, String(version), 'error').observe(seconds);
  }

  /**
   * Exports the per-model counters of `model` at 0 until something happens (Prometheus' advice on missing
   * metrics: `increase()` and `rate()` alerts then work from the first scrape). Idempotent; run at each scrape.
   */
  declareModel(model: string): void {
    this.modelSwaps.labels(model).inc(0);
    this.modelLoadFailures.labels(model).inc(0);
    for (const via of ['notification', 'periodic']) this.aliasSyncs.labels(model, via).inc(0);
  }

  /** Exports `retrain_runs_total` of `model` at 0 for every outcome the pipeline can report. */
  declareRetrainOutcomes(model: string, outcomes: readonly string[]): void {
    for (const outcome of outcomes) this.retrainRuns.labels(model, outcome).inc(0);
  }

  /** `model` now serves `version` as its champion (replacing `previous`, if any). */
  swapped(model: string, version: number, previous: number | undefined): void {
    for (const outcome of ['ok', 'error']) this.requests.predictions.labels(model, String(version), outcome).inc(0);
    if (previous !== undefined) this.modelInfo.remove(model, String(previous), 'champion');
    this.modelInfo.labels(model, String(version), 'champion').set(1);
    this.modelSwaps.labels(model).inc();
    this.modelLastSwap.labels(model).set(Date.now() / 1000);
  }

  /** Whether `model` has a served version (sampled at each scrape). */
  ready(model: string, ready: boolean): void {
    this.modelReady.labels(model).set(ready ? 1 : 0);
  }

  loadFailed(model: string): void {
    this.modelLoadFailures.labels(model).inc();
  }

  /** A retraining run finished with `outcome` (promoted, not_promoted, failed, skipped, …). */
  retrained(model: string, outcome: string, seconds: number, succeeded: boolean): void {
    this.retrainRuns.labels(model, outcome).inc();
    this.retrainDuration.labels(model, outcome).observe(seconds);
    if (succeeded) this.retrainLastSuccess.labels(model).set(Date.now() / 1000);
  }

  /** The latest drift figures of one feature (null: not enough rows to judge, the series is removed). */
  drift(model: string, feature: string, figures: { psi: number; ks: number; status: 0 | 1 | 2 } | null): void {
    if (!figures) {
      this.driftPsi.remove(model, feature);
      this.driftKs.remove(model, feature);
      this.driftStatus.remove(model, feature);
      return;
    }
    this.driftPsi.labels(model, feature).set(figures.psi);
    this.driftKs.labels(model, feature).set(figures.ks);
    this.driftStatus.labels(model, feature).set(figures.status);
  }

  /** The prediction log's queue holds `depth` rows (sampled at each scrape). */
  logQueue(depth: number): void {
    this.logQueueDepth.set(depth);
  }

  /** The prediction log dropped `rows` rows (its queue was full). */
  logRowsDropped(rows: number): void {
    this.logDropped.inc(rows);
  }

  /** A prediction request went through uncounted: the rate limit's Redis failed or was slow (fail-open). */
  rateLimitFailedOpen(): void {
    this.rateLimitFailOpen.inc();
  }

  /** Whether the notification connection is up (false on SQLite, where there is none). */
  clusterListening(up: boolean): void {
    this.clusterListener.set(up ? 1 : 0);
  }

  /** A change notification of `type` arrived from another replica. */
  clusterMessage(type: string): void {
    this.clusterMessages.labels(type).inc();
  }

  /** This process started serving a champion another process moved, learned by notification or periodic check. */
  championSynced(model: string, via: 'notification' | 'periodic'): void {
    this.aliasSyncs.labels(model, via).inc();
  }

  /** The traffic policy in force for `model` (replaces the previous one's series); `weights`: version → share 0-1. */
  trafficPolicySet(model: string, mode: string, policyId: number, weights: ReadonlyMap<number, number>): void {
    for (const gauge of [this.trafficPolicy, this.trafficWeight]) removeModel(gauge, model);
    setSeries(this.trafficPolicy, [model, mode, String(policyId)], 1);
    for (const [version, share] of weights) setSeries(this.trafficWeight, [model, String(version)], share);
  }

  /** A policy arm (version) failed at run time; the champion answered instead. */
  trafficFellBack(model: string, version: number): void {
    this.trafficFallbacks.labels(model, String(version)).inc();
  }

  /** A shadow version scored `rows` rows (or failed to). */
  shadowScored(model: string, version: number, rows: number, ok: boolean): void {
    this.shadowPredictions.labels(model, String(version), ok ? 'ok' : 'error').inc(rows);
  }

  /** `rows` rows of `model` were not shadowed: the shadow queue was full. */
  shadowRowsDropped(model: string, rows: number): void {
    this.shadowDropped.labels(model).inc(rows);
  }

  /** The shadow queue holds `rows` rows (sampled at each scrape). */
  shadowQueue(rows: number): void {
    this.shadowQueueDepth.set(rows);
  }

  /** `count` feedback items had `outcome` (accepted, duplicate, conflict, unknown, invalid). */
  feedback(outcome: string, count = 1): void {
    this.feedbackItems.labels(outcome).inc(count);
  }

  /**
   * Replaces the live performance series of `model` with `rows` (one per version, policy and role, over the live
   * window); figures absent for the task are not exported.
   */
  livePerformance(
    model: string,
    rows: readonly { version: number; policy: string; role: 'primary' | 'shadow'; figures: LiveFigures }[],
  ): void {
    const gauges = [this.liveSamples, this.liveRmse, this.liveMae, this.liveAccuracy, this.liveLogLoss];
    for (const gauge of gauges) removeModel(gauge, model);
    for (const { version, policy, role, figures } of rows) {
      const labels = [model, String(version), policy, role];
      setSeries(this.liveSamples, labels, figures.samples);
      if (figures.rmse !== undefined) setSeries(this.liveRmse, labels, figures.rmse);
      if (figures.mae !== undefined) setSeries(this.liveMae, labels, figures.mae);
      if (figures.accuracy !== undefined) setSeries(this.liveAccuracy, labels, figures.accuracy);
      if (figures.logLoss !== undefined) setSeries(this.liveLogLoss, labels, figures.logLoss);
    }
  }

  /** The holdout scores of the versions of `model` being served (replaces the model's previous series). */
  holdoutScores(model: string, scores: readonly { version: number; metric: string; value: number }[]): void {
    removeModel(this.holdoutScoreGauge, model);
    for (const { version, metric, value } of scores)
      setSeries(this.holdoutScoreGauge, [model, String(version), metric], value);
  }

  /** The online evaluation took a decision of `kind` for `model`. */
  decided(model: string, kind: string): void {
    this.decisionsTaken.labels(model, kind).inc();
  }

  /** Exports the artifact retention counters of `model` at 0 until retention deletes something. */
  declareRetention(model: string): void {
    this.artifactsPrunedTotal.labels(model).inc(0);
    this.artifactBytesPruned.labels(model).inc(0);
  }

  /** Artifact retention deleted `artifacts` artifacts of `model`, freeing `bytes` bytes. */
  artifactsPruned(model: string, artifacts: number, bytes: number): void {
    this.artifactsPrunedTotal.labels(model).inc(artifacts);
    this.artifactBytesPruned.labels(model).inc(bytes);
  }

  /** The artifacts of `model` that retention keeps take `bytes` bytes. */
  artifactStore(model: string, bytes: number): void {
    this.artifactStoreBytes.labels(model).set(bytes);
  }

  /** Runs `hook` before every scrape, to read state that is cheaper to sample than to track. */
  onScrape(hook: ScrapeHook): void {
    this.scrapeHooks.push(hook);
  }

  beforeScrape(): void {
    for (const hook of this.scrapeHooks) hook();
    this.flush();
  }

  /**
   * Moves the locally aggregated request metrics into prom-client. Reads of the registry do it by themselves (the
   * metrics' `collect`); this is for code that reads prom-client state some other way.
   */
  flush(): void {
    this.requests.flush();
  }

  onModuleDestroy(): void {
    this.requests.close();
  }
}

/** The label values of each model's series, per gauge (prom-client removes series by their full label set only). */
const modelSeries = new WeakMap<Gauge<string>, Map<string, string[][]>>();

/** Sets a series whose first label is the model, and remembers it so that removeModel can remove it. */
function setSeries(gauge: Gauge<string>, labels: string[], value: number): void {
  let byModel = modelSeries.get(gauge);
  if (!byModel) modelSeries.set(gauge, (byModel = new Map<string, string[][]>()));
  const list = byModel.get(labels[0]) ?? [];
  if (!list.some((l) => l.join('\0') === labels.join('\0'))) list.push(labels);
  byModel.set(labels[0], list);
  gauge.labels(...labels).set(value);
}

/** Removes every series of `gauge` set through setSeries for `model`. */
function removeModel(gauge: Gauge<string>, model: string): void {
  const byModel = modelSeries.get(gauge);
  for (const labels of byModel?.get(model) ?? []) gauge.remove(...labels);
  byModel?.delete(model);
}
