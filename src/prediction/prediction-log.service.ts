import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../monitoring/service-metrics';
import { PredictionEntity } from './entities/prediction.entity';
import { NewPrediction, PredictionLogRepository } from './prediction-log.repository';

export type PredictionLogEntry = NewPrediction;

/** Requests written per transaction. */
const FLUSH_BATCH = 500;

/**
 * The prediction log: each request pushes one entry (all of its rows) into a bounded in-memory queue and never
 * waits for the database; a background writer flushes the queue in batched transactions every
 * PREDICTION_LOG_FLUSH_MS and at shutdown. The bound counts predicted rows: an entry that would pass
 * PREDICTION_LOG_QUEUE_SIZE is dropped, and its rows are counted.
 */
@Injectable()
export class PredictionLogService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PredictionLogService.name);
  private queue: PredictionLogEntry[] = [];
  private queuedRows = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private droppedCount = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: PredictionLogRepository,
    private readonly metrics: ServiceMetrics,
  ) {
    metrics.onScrape(() => metrics.logQueue(this.queuedRows));
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.PREDICTION_LOG_FLUSH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Queues an entry; returns false (and counts its rows) when they do not fit in the queue. */
  push(entry: PredictionLogEntry): boolean {
    if (this.queuedRows + entry.rowCount > this.config.PREDICTION_LOG_QUEUE_SIZE) {
      this.droppedCount += entry.rowCount;
      this.metrics.logRowsDropped(entry.rowCount);
      return false;
    }
    this.queue.push(entry);
    this.queuedRows += entry.rowCount;
    return true;
  }

  /** Predicted rows waiting to be written. */
  get depth(): number {
    return this.queuedRows;
  }

  /** Predicted rows dropped because the queue was full. */

  get dropped(): number {
    return this.droppedCount;
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
        await this.repository.insert(batch);
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

  /** The newest logged entries of one model version holding at least `rows` rows (see the repository). */
  latestRows(model: string, version: number, rows: number): Promise<PredictionEntity[]> {
    return this.repository.latestRows(model, version, rows);
  }

  recent(model: string | undefined, limit: number): Promise<PredictionEntity[]> {
    return this.repository.recent(model, limit);
  }
}
