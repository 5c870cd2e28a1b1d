import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { Between, In, LessThan, MoreThanOrEqual, Repository } from 'typeorm';
import { chunked } from '../database/chunked-read.util';
import { SqliteConnectionGate } from '../database/sqlite-connection-gate';
import { PredictionEntity } from './entities/prediction.entity';
import { NewPrediction, postgresInserts, sqliteInserter } from './prediction-log.insert';

export type { NewPrediction } from './prediction-log.insert';

/** Entry ids read per page while finding the drift window. */
const ID_PAGE = 1000;
/** Entries deleted per statement when pruning the log. */
const PRUNE_BATCH = 5000;

/**
 * The prediction log table on the application's connection: reads, retention, and `insert` with the statements of
 * prediction-log.insert (the serving process writes through the log writer thread instead, with the same
 * statements on a connection of its own; this one serves databases that thread cannot open, and tests).
 */
@Injectable()
export class PredictionLogRepository {
  private insertMany?: (rows: readonly NewPrediction[]) => void;

  constructor(@InjectRepository(PredictionEntity) private readonly predictions: Repository<PredictionEntity>) {}

  async insert(rows: readonly NewPrediction[]): Promise<void> {
    const dataSource = this.predictions.manager.connection;
    const gate = SqliteConnectionGate.of(dataSource);
    if (!gate) return this.insertPostgres(rows);
    const insertMany = (this.insertMany ??= sqliteInserter(
      (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection,
    ));
    // Not while another caller's transaction has the connection: the rows would be part of it.
    await gate.shared(() => Promise.resolve(insertMany(rows)));
  }

  private async insertPostgres(rows: readonly NewPrediction[]): Promise<void> {
    for (const { sql, params } of postgresInserts(rows)) await this.predictions.query(sql, params);
  }

  /**
   * The newest entries of one model version, newest first, until they hold at least `rows` rows (the drift
   * window). Their ids and row counts are read first (pages of 1,000), then only those entries in full: a window of
   * 1,000 rows over batches of 100 reads 10 entries' inputs, not a page of 500 (50,000 rows parsed on the event loop).
   */
  async latestRows(model: string, version: number, rows: number): Promise<PredictionEntity[]> {
    const ids: number[] = [];
    let held = 0;
    let beforeId: number | undefined;
    while (held < rows) {
      const page = await this.predictions.find({
        select: { id: true, rowCount: true },
        where: {
          modelName: model,
          modelVersion: version,
          ...(beforeId === undefined ? {} : { id: LessThan(beforeId) }),
        },
        order: { id: 'DESC' },
        take: ID_PAGE,
      });
      for (const entry of page) {
        if (held >= rows) break;
        ids.push(entry.id);
        held += entry.rowCount;
      }
      if (page.length < ID_PAGE) break;
      beforeId = page[page.length - 1].id;
    }
    const entries = await chunked(ids, (chunk) => this.predictions.find({ where: { id: In(chunk) } }));
    return entries.sort((a, b) => b.id - a.id);
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
