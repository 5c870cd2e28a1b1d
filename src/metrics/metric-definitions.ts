import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Provider } from '@nestjs/common';
import { collectFolded } from './folded-metrics';

/** Request and prediction latency buckets (seconds): 0.5 ms … 10 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric the service exports besides prom-client's process and Node.js defaults. Label values are bounded:
 * route patterns (never raw URLs), status codes, model names and versions the registry knows, feature names.
 * `folded`: written on every request through RequestMetrics, which aggregates locally and folds into the metric
 * from its `collect` option (run by prom-client before every read of the metric).
 */
export const METRICS = {
  httpRequests: {
    kind: 'counter',
    name: 'http_requests_total',
    help: 'HTTP requests answered',
    folded: true,
    labelNames: ['method', 'route', 'status'],
  },
  httpDuration: {
    kind: 'histogram',
    name: 'http_request_duration_seconds',
    help: 'Time from request received to response sent',
    folded: true,
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
  },
  predictions: {
    kind: 'counter',
    name: 'predictions_total',
    help: 'Predicted rows, by model, version and outcome (ok, error)',
    folded: true,
    labelNames: ['model', 'version', 'outcome'],
  },
  predictionDuration: {
    kind: 'histogram',
    name: 'prediction_duration_seconds',
    help: 'Time to predict one request (all of its rows), features included',
    folded: true,
    labelNames: ['model', 'version', 'outcome'],
    buckets: LATENCY_BUCKETS,
  },
  predictedValue: {
    kind: 'histogram',
    name: 'predicted_value',
    help: "Predicted values of regression models, in the model's unit (100k USD for housing)",
    folded: true,
    labelNames: ['model', 'version'],
    buckets: [0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 10],
  },
  predictedClass: {
    kind: 'counter',
    name: 'predicted_class_total',
    help: 'Predicted classes of classification models',
    folded: true,
    labelNames: ['model', 'version', 'class'],
  },
  modelInfo: {
    kind: 'gauge',
    name: 'model_info',
    help: '1 for the model version being served, with its alias',
    labelNames: ['model', 'version', 'alias'],
  },
  modelReady: {
    kind: 'gauge',
    name: 'model_ready',
    help: '1 when the model has a served version (loaded, checked, warmed), 0 when it has none',
    labelNames: ['model'],
  },
  modelSwaps: { kind: 'counter', name: 'model_swaps_total', help: 'Served-version swaps', labelNames: ['model'] },
  modelLastSwap: {
    kind: 'gauge',
    name: 'model_last_swap_timestamp_seconds',
    help: 'Unix time of the last served-version swap',
    labelNames: ['model'],
  },
  modelLoadFailures: {
    kind: 'counter',
    name: 'model_load_failures_total',
    help: 'Model versions refused at load (sha256 mismatch, unreadable or malformed artifact)',
    labelNames: ['model'],
  },
  retrainRuns: {
    kind: 'counter',
    name: 'retrain_runs_total',
    help: 'Retraining pipeline runs by outcome',
    labelNames: ['model', 'outcome'],
  },
  retrainDuration: {
    kind: 'histogram',
    name: 'retrain_duration_seconds',
    help: 'Duration of retraining pipeline runs',
    labelNames: ['model', 'outcome'],
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  },
  retrainLastSuccess: {
    kind: 'gauge',
    name: 'retrain_last_success_timestamp_seconds',
    help: 'Unix time of the last successful retraining',
    labelNames: ['model'],
  },
  driftPsi: {
    kind: 'gauge',
    name: 'feature_drift_psi',
    help: "Population stability index of the recent inputs' feature against the training profile",
    labelNames: ['model', 'feature'],
  },
  driftKs: {
    kind: 'gauge',
    name: 'feature_drift_ks',
    help: "Two-sample Kolmogorov-Smirnov statistic of the recent inputs' feature against the training profile",
    labelNames: ['model', 'feature'],
  },
  driftStatus: {
    kind: 'gauge',
    name: 'feature_drift_status',
    help: 'Drift status per feature: 0 ok, 1 warn, 2 drift',
    labelNames: ['model', 'feature'],
  },
  logQueueDepth: {
    kind: 'gauge',
    name: 'prediction_log_queue_depth',
    help: 'Predicted rows waiting in memory for the prediction-log writer',
    labelNames: [],
  },
  logDropped: {
    kind: 'counter',
    name: 'prediction_log_dropped_total',
    help: 'Predicted rows not logged because the prediction-log queue was full',
    labelNames: [],
  },
  rateLimitFailOpen: {
    kind: 'counter',
    name: 'rate_limit_fail_open_total',
    help: 'Prediction requests let through without a rate-limit count because Redis (REDIS_URL) failed or was slow',
    labelNames: [],
  },
  clusterListening: {
    kind: 'gauge',
    name: 'cluster_listener_up',
    help: "1 while this process listens for other replicas' changes (PostgreSQL LISTEN); 0 while it reconnects, and on SQLite",
    labelNames: [],
  },
  clusterMessages: {
    kind: 'counter',
    name: 'cluster_messages_received_total',
    help: 'Change notifications received from other replicas, by type (alias, definition, job)',
    labelNames: ['type'],
  },
  aliasSyncs: {
    kind: 'counter',
    name: 'champion_syncs_total',
    help: 'Champions this process started serving because another process moved them, by how it learned (notification, periodic)',
    labelNames: ['model', 'via'],
  },
  trafficPolicy: {
    kind: 'gauge',
    name: 'traffic_policy_info',
    help: "1 for each model's traffic policy in force, with its mode (champion, canary, ab, shadow) and id",
    labelNames: ['model', 'mode', 'policy_id'],
  },
  trafficWeight: {
    kind: 'gauge',
    name: 'traffic_arm_weight',
    help: 'Share of requests (0-1) each version receives under a canary or ab policy',
    labelNames: ['model', 'version'],
  },
  trafficFallbacks: {
    kind: 'counter',
    name: 'traffic_fallbacks_total',
    help: 'Requests a policy arm failed to predict at run time, answered by the champion instead',
    labelNames: ['model', 'version'],
  },
  shadowPredictions: {
    kind: 'counter',
    name: 'shadow_predictions_total',
    help: 'Rows scored by shadow versions off the request path, by outcome (ok, error)',
    labelNames: ['model', 'version', 'outcome'],
  },
  shadowDropped: {
    kind: 'counter',
    name: 'shadow_dropped_rows_total',
    help: 'Rows not shadowed because the shadow queue (SHADOW_QUEUE_ROWS) was full',
    labelNames: ['model'],
  },
  shadowQueueDepth: {
    kind: 'gauge',
    name: 'shadow_queue_depth',
    help: 'Rows waiting to be scored by shadow versions',
    labelNames: [],
  },
  feedbackItems: {
    kind: 'counter',
    name: 'feedback_items_total',
    help: 'Ground-truth feedback items received, by outcome (accepted, duplicate, conflict, unknown, invalid)',
    labelNames: ['outcome'],
  },
  liveSamples: {
    kind: 'gauge',
    name: 'live_samples',
    help: 'Predicted rows with ground truth in the live window (LIVE_PERFORMANCE_WINDOW_S), per version, policy and kind (primary: the answers the clients got; shadow)',
    labelNames: ['model', 'version', 'policy', 'kind'],
  },
  liveRmse: {
    kind: 'gauge',
    name: 'live_rmse',
    help: 'Root mean squared error of regression predictions against their ground truth in the live window',
    labelNames: ['model', 'version', 'policy', 'kind'],
  },
  liveMae: {
    kind: 'gauge',
    name: 'live_mae',
    help: 'Mean absolute error of regression predictions against their ground truth in the live window',
    labelNames: ['model', 'version', 'policy', 'kind'],
  },
  liveAccuracy: {
    kind: 'gauge',
    name: 'live_accuracy',
    help: 'Share of classification predictions equal to their true label in the live window',
    labelNames: ['model', 'version', 'policy', 'kind'],
  },
  liveLogLoss: {
    kind: 'gauge',
    name: 'live_log_loss',
    help: 'Mean log loss of classification predictions against their true label in the live window',
    labelNames: ['model', 'version', 'policy', 'kind'],
  },
  holdoutScore: {
    kind: 'gauge',
    name: 'model_holdout_score',
    help: "A served version's score on its holdout at training time (the reference for live performance), by metric",
    labelNames: ['model', 'version', 'metric'],
  },
  decisions: {
    kind: 'counter',
    name: 'evaluation_decisions_total',
    help: 'Decisions of the online evaluation, by kind (promote, end_experiment, retrain, rollback)',
    labelNames: ['model', 'kind'],
  },
  artifactsPruned: {
    kind: 'counter',
    name: 'artifacts_pruned_total',
    help: 'Artifacts (of model versions and of runs never registered) deleted by artifact retention',
    labelNames: ['model'],
  },
  artifactBytesPruned: {
    kind: 'counter',
    name: 'artifact_bytes_pruned_total',
    help: 'Bytes of artifact storage freed by artifact retention',
    labelNames: ['model'],
  },
  artifactStoreBytes: {
    kind: 'gauge',
    name: 'artifact_store_bytes',
    help: 'Bytes of the artifacts retention keeps, per model, as its last sweep (or GET /retention) measured them',
    labelNames: ['model'],
  },
} as const;

export type MetricKey = keyof typeof METRICS;

/** The nestjs-prometheus providers of every metric above (inject with `@InjectMetric(METRICS.x.name)`). */
export function metricProviders(): Provider[] {
  return Object.values(METRICS).map((m) => {
    const { kind, ...options } = m;
    const folded = 'folded' in options && options.folded;
    const config = {
      name: options.name,
      help: options.help,
      labelNames: [...options.labelNames],
      ...(folded ? { collect: collectFolded } : {}),
    };
    if (kind === 'counter') return makeCounterProvider(config);
    if (kind === 'gauge') return makeGaugeProvider(config);
    return makeHistogramProvider({ ...config, buckets: [...(options as { buckets: readonly number[] }).buckets] });
  });
}
