import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { chunked } from '../../database/chunked-read.util';
import { PredictionEntity } from '../../prediction/entities/prediction.entity';
import { FeedbackEntity } from '../entities/feedback.entity';
import { PredictionOutcomeEntity } from '../entities/prediction-outcome.entity';

/** A prediction-log entry as feedback reads it: everything but its input rows. */
export type LogEntry = Pick<
  PredictionEntity,
  | 'id'
  | 'createdAt'
  | 'modelName'
  | 'modelVersion'
  | 'requestId'
  | 'predictionId'
  | 'policyId'
  | 'policy'
  | 'shadow'
  | 'rowCount'
  | 'outputs'
>;

export type NewFeedback = Omit<FeedbackEntity, 'id'>;
export type NewOutcome = Omit<PredictionOutcomeEntity, 'id' | 'feedbackId'>;
/** An outcome row as stored (its own id is not needed by anyone). */
export type OutcomeRow = Omit<PredictionOutcomeEntity, 'id'>;

/** A ground truth to store with its outcome rows. */
export interface NewFeedbackRows {
  feedback: NewFeedback;
  outcomes: NewOutcome[];
}

export interface StoredFeedback {
  feedback: FeedbackEntity;
  outcomes: OutcomeRow[];
}

/** Rows per multi-row INSERT: at most 17 parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 500;

const LOG_ENTRY_COLUMNS = {
  id: true,
  createdAt: true,
  modelName: true,
  modelVersion: true,
  requestId: true,
  predictionId: true,
  policyId: true,
  policy: true,
  shadow: true,
  rowCount: true,
  outputs: true,
} as const;

/**
 * Ground truth and its join to the prediction log: the log entries of a request (read without their inputs), the
 * feedback stored per (primary log entry, row), and the outcome rows, written with their feedback in one
 * transaction.
 */
@Injectable()
export class FeedbackRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(PredictionEntity) private readonly log: Repository<PredictionEntity>,
    @InjectRepository(FeedbackEntity) private readonly feedback: Repository<FeedbackEntity>,
    @InjectRepository(PredictionOutcomeEntity) private readonly outcomes: Repository<PredictionOutcomeEntity>,
  ) {}

  /** Every log entry (primary and shadow) with one of these request ids, oldest first. */
  entriesOfRequests(requestIds: readonly string[]): Promise<LogEntry[]> {
    return chunked(requestIds, (ids) =>
      this.log.find({ select: LOG_ENTRY_COLUMNS, where: { requestId: In(ids) }, order: { id: 'ASC' } }),
    );
  }

  /** The primary (non-shadow) log entries the client named with one of these `x-prediction-id`s, oldest first. */
  primariesByPredictionId(predictionIds: readonly string[]): Promise<LogEntry[]> {
    return chunked(predictionIds, (ids) =>
      this.log.find({
        select: LOG_ENTRY_COLUMNS,
        where: { predictionId: In(ids), shadow: false },
        order: { id: 'ASC' },
      }),
    );
  }

  /** The feedback stored for any row of these primary log entries (by `predictions.id`). */
  feedbackOfEntries(logIds: readonly number[]): Promise<FeedbackEntity[]> {
    return chunked(logIds, (ids) => this.feedback.find({ where: { logId: In(ids) } }));
  }

  findFeedback(logId: number, rowIndex: number): Promise<FeedbackEntity | null> {
    return this.feedback.findOneBy({ logId, rowIndex });
  }

  /** The outcome rows of these feedback ids, by feedback and log entry. */
  outcomesOf(feedbackIds: readonly number[]): Promise<PredictionOutcomeEntity[]> {
    return chunked(feedbackIds, (ids) =>
      this.outcomes.find({ where: { feedbackId: In(ids) }, order: { feedbackId: 'ASC', logId: 'ASC' } }),
    );
  }

  /**
   * Stores ground truths and their outcome rows in one transaction: all of them or none. A concurrent store of
   * one of the same (log entry, row) makes it fail with a unique violation (isUniqueViolation).
   */
  storeAll(rows: readonly NewFeedbackRows[]): Promise<StoredFeedback[]> {
    return this.dataSource.transaction(async (manager) => {
      // Multi-row INSERTs, then the new ids read back by their unique (log entry, row): SQLite gives no RETURNING here.
      const values = rows.map((r) => r.feedback);
      for (let start = 0; start < values.length; start += ROWS_PER_INSERT) {
        await manager.insert(FeedbackEntity, values.slice(start, start + ROWS_PER_INSERT));
      }
      const inserted = await chunked(
        values.map((v) => v.logId),
        (ids) =>
          manager.find(FeedbackEntity, {
            select: { id: true, logId: true, rowIndex: true },
            where: { logId: In(ids) },
          }),
      );
      const idOf = new Map(inserted.map((f) => [feedbackKey(f.logId, f.rowIndex), f.id]));
      const stored = rows.map((row): StoredFeedback => {
        const id = idOf.get(feedbackKey(row.feedback.logId, row.feedback.rowIndex)) as number;
        return { feedback: { ...row.feedback, id }, outcomes: row.outcomes.map((o) => ({ ...o, feedbackId: id })) };
      });
      const outcomes = stored.flatMap((s) => s.outcomes);
      for (let start = 0; start < outcomes.length; start += ROWS_PER_INSERT) {
        await manager.insert(PredictionOutcomeEntity, outcomes.slice(start, start + ROWS_PER_INSERT));
      }
      return stored;
    });
  }
}

/** The key of a feedback row: its log entry (a number, or PostgreSQL's bigint text) and row. */
export const feedbackKey = (logId: number | string, row: number): string => `${Number(logId)}\0${row}`;
