import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { Between, LessThan, MoreThanOrEqual, Repository } from 'typeorm';
import { PredictionEntity } from './entities/prediction.entity';

/**
 * One request's log entry as the prediction path hands it over, its rows already encoded as JSON text: a queued
 * entry then holds two flat strings instead of the request's row objects, which keeps the heap small under load.
 */
export interface NewPrediction {
  createdAt: Date;
  modelName: string;
  modelVersion: number;
  requestId: string;
  rowCount: number;
  /** `encodeInputs(...)` of the validated rows. */
  inputsJson: string;
  /** JSON array with the output of each row. */
  outputsJson: string;
  latencyMs: number;
}

/** Entries deleted per statement when pruning the log. */
const PRUNE_BATCH = 5000;

const INSERT_COLUMNS =
  'INSERT INTO "predictions" ("created_at", "model_name", "model_version", "request_id", "row_count", "inputs", "outputs", "latency_ms")';
const INSERT = `${INSERT_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
/** The values of INSERT_COLUMNS for one entry, with its time as the driver takes it. */
const columnValues = (r: NewPrediction, createdAt: Date | string): unknown[] => [
  createdAt,
  r.modelName,
  r.modelVersion,
  r.requestId,
  r.rowCount,
  r.inputsJson,
  r.outputsJson,
  r.latencyMs,
];
const COLUMNS = 8;

/** Requests per PostgreSQL INSERT: 8 parameters each, well under the protocol's 65,535. */
const POSTGRES_ROWS_PER_INSERT = 1000;

/**
 * The prediction log table. Writing is the hot path: on SQLite it uses one prepared better-sqlite3 statement
 * inside one transaction per flush, which costs a few µs a request where TypeORM's insert builder costs tens; on
 * PostgreSQL, multi-row INSERT statements.
 */
@Injectable()
export class PredictionLogRepository {
  private insertMany?: (rows: readonly NewPrediction[]) => void;

  constructor(@InjectRepository(PredictionEntity) private readonly predictions: Repository<PredictionEntity>) {}

  async insert(rows: readonly NewPrediction[]): Promise<void> {
    const driver = this.predictions.manager.connection.driver;
    if (driver.options.type === 'postgres') return this.insertPostgres(rows);
    this.insertMany ??= this.prepare((driver as unknown as { databaseConnection: Database }).databaseConnection);
    this.insertMany(rows);
  }

  /**
   * PostgreSQL: one multi-row INSERT per flush (at most POSTGRES_ROWS_PER_INSERT requests each), sent over the
   * pool's asynchronous connection; the JSON texts go as parameters, typed by their columns, without a parse.
   */
  private async insertPostgres(rows: readonly NewPrediction[]): Promise<void> {
    for (let start = 0; start < rows.length; start += POSTGRES_ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + POSTGRES_ROWS_PER_INSERT);
      const params: unknown[] = [];
      const tuples = chunk.map((r) => {
        const n = params.push(...columnValues(r, r.createdAt));
        return `(${Array.from({ length: COLUMNS }, (_, i) => `$${n - COLUMNS + 1 + i}`).join(', ')})`;
      });
      await this.predictions.query(`${INSERT_COLUMNS} VALUES ${tuples.join(', ')}`, params);
    }
  }

  private prepare(db: Database): (rows: readonly NewPrediction[]) => void {
    const statement = db.prepare(INSERT);
    // TypeORM stores SQLite datetimes as UTC 'YYYY-MM-DD HH:MM:SS.SSS'; keep the same text so its reads agree.
    const when = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');
    return db.transaction((rows: readonly NewPrediction[]) => {
      for (const r of rows) {
        statement.run(...columnValues(r, when(r.createdAt)));
      }
    });
  }

  /**
   * The newest entries of one model version, newest first, until they hold at least `rows` rows (the drift
   * window), read in pages of up to 500 entries.
   */
  async latestRows(model: string, version: number, rows: number): Promise<PredictionEntity[]> {
    const entries: PredictionEntity[] = [];
    let held = 0;
    let beforeId: number | undefined;
    const page = Math.min(rows, 500);
    while (held < rows) {
      const batch = await this.predictions.find({
        where: {
          modelName: model,
          modelVersion: version,
          ...(beforeId === undefined ? {} : { id: LessThan(beforeId) }),
        },
        order: { id: 'DESC' },
        take: page,
      });
      for (const entry of batch) {
        if (held >= rows) break;
        entries.push(entry);
        held += entry.rowCount;
      }
      if (batch.length < page) break;
      beforeId = batch[batch.length - 1].id;
    }
    return entries;
  }

  /**
   * Deletes the entries logged before `cutoff`, oldest first, in batches (each its own short transaction, with a
   * turn of the event loop between them, so serving is not held up). Ids grow with time, so the first entry at or
   * after the cutoff bounds everything older. Returns the entries deleted.
   */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    const [first] = await this.predictions.find({
      select: { id: true },
      where: { createdAt: MoreThanOrEqual(cutoff) },
      order: { id: 'ASC' },
      take: 1,
    });
    const below = first ? first.id : ((await this.maxId()) ?? 0) + 1;
    return this.deleteIdsBelow(below);
  }

  /** Deletes the oldest entries beyond the newest `keep` (by id). Returns the entries deleted. */
  async deleteBeyond(keep: number): Promise<number> {
    const max = await this.maxId();
    return max === undefined ? 0 : this.deleteIdsBelow(max - keep + 1);
  }

  private async maxId(): Promise<number | undefined> {
    const [row] = await this.predictions.find({ select: { id: true }, order: { id: 'DESC' }, take: 1 });
    return row?.id;
  }

  private async deleteIdsBelow(below: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.predictions.find({
        select: { id: true },
        where: { id: LessThan(below) },
        order: { id: 'ASC' },
        take: PRUNE_BATCH,
      });
      if (batch.length === 0) return deleted;
      await this.predictions.delete({ id: Between(batch[0].id, batch[batch.length - 1].id) });
      deleted += batch.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  recent(model: string | undefined, limit: number): Promise<PredictionEntity[]> {
    return this.predictions.find({ where: model ? { modelName: model } : {}, order: { id: 'DESC' }, take: limit });
  }
}
