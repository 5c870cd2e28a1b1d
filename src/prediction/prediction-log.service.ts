import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { PredictionEntity } from './entities/prediction.entity';
import { NewPrediction, PredictionLogRepository } from './prediction-log.repository';

export type PredictionLogEntry = NewPrediction;

/** Rows written per transaction. */
const FLUSH_BATCH = 2000;

/**
 * The prediction log: requests push entries into a bounded in-memory queue and never wait for the database; a
 * background writer flushes the queue in batched transactions every PREDICTION_LOG_FLUSH_MS and at shutdown. When
 * the queue is full, new entries are dropped and counted.
 */
@Injectable()
export class PredictionLogService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PredictionLogService.name);
  private queue: PredictionLogEntry[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private droppedCount = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: PredictionLogRepository,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.PREDICTION_LOG_FLUSH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Queues an entry; returns false (and counts it) when the queue is full. */
  push(entry: PredictionLogEntry): boolean {
    if (this.queue.length >= this.config.PREDICTION_LOG_QUEUE_SIZE) {
      this.droppedCount++;
      return false;
    }
    this.queue.push(entry);
    return true;
  }

  get depth(): number {
    return this.queue.length;
  }

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
      } catch (error) {
        this.logger.error(
          `Could not write ${batch.length} prediction-log rows (kept for the next flush): ${String(error)}`,
        );
        return;
      }
    }
  }

  recent(model: string | undefined, limit: number): Promise<PredictionEntity[]> {
    return this.repository.recent(model, limit);
  }
}
