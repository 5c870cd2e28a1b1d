import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { PredictionEntity } from './entities/prediction.entity';
import { NewPrediction, PredictionLogRepository } from './prediction-log.repository';
import { PredictionLogWriter } from './prediction-log.writer';

export type PredictionLogEntry = NewPrediction;

/** How often the retention limits are applied. */
const PRUNE_INTERVAL_MS = 3_600_000;

/** Requests written per transaction. */
const FLUSH_BATCH = 500;

/**
 * The prediction log: each request pushes one entry (all of its rows) into a bounded in-memory queue and never
 * waits for the database; every PREDICTION_LOG_FLUSH_MS and at shutdown the queue is handed in batches to the
 * writer thread (PredictionLogWriter), and an entry leaves the queue once its batch is committed. The bound counts
 * predicted rows: an entry that would pass PREDICTION_LOG_QUEUE_SIZE is dropped, and its rows are counted.
 */
@Injectable()
export class PredictionLogService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PredictionLogService.name);
  private queue: PredictionLogEntry[] = [];
  private queuedRows = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private pruner?: NodeJS.Timeout;
  private readonly finalHooks: ((ids?: ReadonlySet<string>) => void)[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly repository: PredictionLogRepository,
    private readonly writer: PredictionLogWriter,
    private readonly metrics: ServiceMetrics,
  ) {
    metrics.onScrape(() => metrics.logQueue(this.queuedRows));
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.PREDICTION_LOG_FLUSH_MS);
    this.timer.unref();
    const prune = (): void => void this.prune().catch((e: unknown) => this.logger.warn(`Pruning failed: ${String(e)}`));
    setTimeout(prune, 10_000).unref();
    this.pruner = setInterval(prune, PRUNE_INTERVAL_MS);
    this.pruner.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.pruner);
    for (const hook of this.finalHooks) hook();
    await this.flush();
    await this.writer.close();
  }

  /**
   * Runs `hook` before the last flush at shutdown (with no ids: everything) and in `settle(ids)`, so that the entries
   * it still holds (the shadow predictions queued) are written too.
   */
  beforeFinalFlush(hook: (ids?: ReadonlySet<string>) => void): void {
    this.finalHooks.push(hook);
  }

  /**
   * Writes the entries this process has answered so far, with the shadow predictions still queued for the requests
   * `ids` names (by request id or the client's prediction id; the rest of the shadow queue keeps its CPU budget): for
   * a reader that must see those requests' entries now (feedback joining a prediction just made).
   */
  settle(ids: ReadonlySet<string>): Promise<void> {
    for (const hook of this.finalHooks) hook(ids);
    return this.flush();
  }

  /** Queues an entry; returns false (and counts its rows) when they do not fit in the queue. */
  push(entry: PredictionLogEntry): boolean {
    if (this.queuedRows + entry.rowCount > this.config.PREDICTION_LOG_QUEUE_SIZE) {
      this.metrics.logRowsDropped(entry.rowCount);
      return false;
    }
    this.queue.push(entry);
    this.queuedRows += entry.rowCount;
    return true;
  }

  /** Writes everything queued so far (one transaction per batch); concurrent calls run one after another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeQueued());
    return this.flushing;
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, FLUSH_BATCH);
      try {
        await this.writer.write(batch);
        this.queue.splice(0, batch.length);
        for (const entry of batch) this.queuedRows -= entry.rowCount;
      } catch (error) {
        this.logger.error(
          `Could not write ${batch.length} prediction-log rows (kept for the next flush): ${String(error)}`,
        );
        return;
      }
    }
  }

  /**
   * Retention: deletes entries older than PREDICTION_LOG_RETENTION_DAYS, then the oldest beyond
   * PREDICTION_LOG_MAX_ROWS entries (either limit 0 = off). Runs at start and hourly. Returns the entries deleted.
   */
  async prune(now = new Date()): Promise<number> {
    const { PREDICTION_LOG_RETENTION_DAYS: days, PREDICTION_LOG_MAX_ROWS: maxRows } = this.config;
    let deleted = 0;
    if (days > 0) deleted += await this.repository.deleteOlderThan(new Date(now.getTime() - days * 86_400_000));
    if (maxRows > 0) deleted += await this.repository.deleteBeyond(maxRows);
    if (deleted > 0) this.logger.log(`Prediction log retention: deleted ${deleted} entries`);
    return deleted;
  }

  /** The newest logged entries of one model version holding at least `rows` rows (see the repository). */
  /**
   * The most recent entries of a version holding at least `rows` rows, including every answer given so far: the
   * queue is written first, so a reader (drift) judges what was answered, not only what the writer has reached.
   */
  async latestAnswered(model: string, version: number, rows: number): Promise<PredictionEntity[]> {
    await this.flush();
    return this.repository.latestRows(model, version, rows);
  }

  recent(model: string | undefined, limit: number): Promise<PredictionEntity[]> {
    return this.repository.recent(model, limit);
  }
}
