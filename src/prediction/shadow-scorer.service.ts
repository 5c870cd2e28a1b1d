import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import type { ServedModel } from '../registry/served-model';
import { InputValidators } from './model-input.validator';
import { packInputs } from './prediction-log.codec';
import { PredictionLogService } from './prediction-log.service';
import { answerRows } from './prediction-rows.util';

/** Rows a request answered, to be scored again by shadow versions. */
export interface ShadowJob {
  model: string;
  versions: readonly ServedModel[];
  /** The rows as validated for the version that answered. */
  rows: readonly object[];
  requestId: string;
  predictionId: string | null;
  policyId: number;
  /** When the request was answered: shadow entries carry the same time, so windows put them beside it. */
  createdAt: Date;
  /** The client of the request (see PredictionCall.clientAddress). */
  clientAddress: string | null;
}

/** The time window over which SHADOW_CPU_SHARE is measured. */
const BUDGET_WINDOW_MS = 1000;

/**
 * Scores shadowed requests off the request path: a request's rows join a bounded queue (SHADOW_QUEUE_ROWS; rows that
 * do not fit are dropped and counted) that is worked through between requests (setImmediate), spending at most
 * SHADOW_CPU_SHARE of each second of the event loop on it, so the answers of the champion wait for shadows at most
 * that much. Each shadow version's predictions are logged with the request id they shadow (`shadow` set); a shadow
 * version that fails (its definition refuses the rows, its estimator throws) is counted and never affects the answer.
 * At shutdown, what is queued is scored before the prediction log's last flush.
 */
@Injectable()
export class ShadowScorer {
  private readonly logger = new Logger(ShadowScorer.name);
  private queue: ShadowJob[] = [];
  private queuedRows = 0;
  private scheduled = false;
  private windowStart = 0;
  private spentMs = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly validators: InputValidators,
    private readonly log: PredictionLogService,
    private readonly metrics: ServiceMetrics,
  ) {
    metrics.onScrape(() => metrics.shadowQueue(this.queuedRows));
    log.beforeFinalFlush((ids) => (ids ? this.drainRequests(ids) : this.drain(Infinity)));
  }

  /** Queues a request's rows for its shadow versions; false (and counted) when they do not fit. */
  enqueue(job: ShadowJob): boolean {
    const rows = job.rows.length * job.versions.length;
    if (this.queuedRows + rows > this.config.SHADOW_QUEUE_ROWS) {
      this.metrics.shadowRowsDropped(job.model, rows);
      return false;
    }
    this.queue.push(job);
    this.queuedRows += rows;
    this.schedule(0);
    return true;
  }

  /** Rows waiting to be shadowed. */
  get pending(): number {
    return this.queuedRows;
  }

  private schedule(delayMs: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      this.work();
    };
    if (delayMs > 0) setTimeout(run, delayMs).unref();
    else setImmediate(run);
  }

  /** One turn: scores queued jobs within what is left of this window's budget, then yields to requests. */
  private work(): void {
    const now = performance.now();
    if (now - this.windowStart >= BUDGET_WINDOW_MS) {
      // A turn that overran its budget (one job is scored whole) is paid back from the next window's.
      this.spentMs = Math.max(0, this.spentMs - this.config.SHADOW_CPU_SHARE * BUDGET_WINDOW_MS);
      this.windowStart = now;
    }
    const budget = this.config.SHADOW_CPU_SHARE * BUDGET_WINDOW_MS - this.spentMs;
    // A turn never runs longer than a few ms, so requests arriving meanwhile wait at most that long.
    this.spentMs += this.drain(Math.min(budget, 5));
    if (this.queue.length === 0) return;
    const left = this.config.SHADOW_CPU_SHARE * BUDGET_WINDOW_MS - this.spentMs;
    this.schedule(left > 0 ? 0 : BUDGET_WINDOW_MS - (performance.now() - this.windowStart));
  }

  /** Scores at once the queued jobs of the requests `ids` names (by request id or the client's prediction id). */
  private drainRequests(ids: ReadonlySet<string>): void {
    if (this.queue.length === 0) return;
    const named = (job: ShadowJob): boolean =>
      ids.has(job.requestId) || (job.predictionId !== null && ids.has(job.predictionId));
    const now = this.queue.filter(named);
    if (now.length === 0) return;
    this.queue = this.queue.filter((job) => !named(job));
    for (const job of now) {
      this.queuedRows -= job.rows.length * job.versions.length;
      for (const version of job.versions) this.score(job, version);
    }
  }

  /** Scores queued jobs, one at a time, until `budgetMs` is spent or the queue is empty; returns the ms spent. */
  private drain(budgetMs: number): number {
    const started = performance.now();
    while (this.queue.length > 0 && performance.now() - started < budgetMs) {
      const job = this.queue.shift()!;
      this.queuedRows -= job.rows.length * job.versions.length;
      for (const version of job.versions) this.score(job, version);
    }
    return performance.now() - started;
  }

  private score(job: ShadowJob, version: ServedModel): void {
    const started = performance.now();
    try {
      const rows = this.validators.for(version).validate(job.rows, (i) => `rows.${i}`);
      const output = version.predict(rows);
      this.log.push({
        createdAt: job.createdAt,
        modelName: job.model,
        modelVersion: version.version,
        requestId: job.requestId,
        rowCount: rows.length,
        inputsJson: packInputs(version.inputFields, rows),
        outputsJson: JSON.stringify(
          output.task === 'regression' ? Array.from(output.values) : answerRows(version, output).rows,
        ),
        latencyMs: performance.now() - started,
        predictionId: job.predictionId,
        policyId: job.policyId,
        policy: 'shadow',
        shadow: true,
        clientAddress: job.clientAddress,
      });
      this.metrics.shadowScored(job.model, version.version, rows.length, true);
    } catch (error) {
      this.metrics.shadowScored(job.model, version.version, job.rows.length, false);
      this.logger.warn(`Shadow version ${version.version} of ${job.model} failed: ${String(error)}`);
    }
  }
}
