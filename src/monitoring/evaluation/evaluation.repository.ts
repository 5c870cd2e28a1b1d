import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import type { LoggedInputs } from '../../prediction/prediction-log.codec';
import { FeedbackEntity } from '../entities/feedback.entity';
import { PredictionOutcomeEntity } from '../entities/prediction-outcome.entity';
import { PredictionEntity } from '../../prediction/entities/prediction.entity';
import { exclusivelyAcrossProcesses } from '../../database/advisory-lock.util';

/** Any constant: the advisory lock one evaluation round holds, so replicas sharing PostgreSQL never decide twice. */
const EVALUATION_LOCK = 7_412_002;

/** The per-row loss column of a task: squared error (regression) or log loss (classification). */
export type LossColumn = 'squaredError' | 'logLoss';

/** Rows with ground truth, the sum of their per-row losses, and those predicted right (classification). */
export interface LossSums {
  n: number;
  sum: number;
  correct: number;
}

/**
 * Sums of per-row values grouped in the units that were assigned together (one logged request: its rows went to one
 * arm): how many units, and per unit its sum S and size n, as Σ S², Σ n² and Σ S·n (see clusteredMoments).
 */
export interface ClusteredSums extends LossSums {
  units: number;
  unitSquares: number;
  unitSizes: number;
  unitCross: number;
}

/** One shadow version against the champion on the rows both scored (joined by their feedback). */
export interface PairedSums {
  version: number;
  champion: LossSums;
  challenger: LossSums;
  /** Per-row challenger − champion losses, grouped by the champion's logged request. */
  differences: ClusteredSums;
}

/** A champion outcome with what re-scoring it needs: where its input row was logged, and the truth. */
export interface ScoredRow {
  loss: number;
  actualValue: number | null;
  actualLabel: string | null;
  /** The prediction-log entry (the request) and the row's index in it. */
  logId: number;
  rowIndex: number;
}

const num = (value: unknown): number => Number(value ?? 0);
const sums = (row: Record<string, unknown>, prefix = ''): LossSums => ({
  n: num(row[`${prefix}n`]),
  sum: num(row[`${prefix}sum`]),
  correct: num(row[`${prefix}correct`]),
});
const clustered = (row: Record<string, unknown>, prefix = ''): ClusteredSums => ({
  ...sums(row, prefix),
  units: num(row.units),
  unitSquares: num(row[`${prefix}unit_squares`]),
  unitSizes: num(row.unit_sizes),
  unitCross: num(row[`${prefix}unit_cross`]),
});
/** `SUM(CASE WHEN <alias>.correct THEN 1 ELSE 0 END)`. */
const correct = (alias: string): string => `SUM(CASE WHEN ${alias}.correct THEN 1 ELSE 0 END)`;

/** Live losses aggregated from prediction_outcomes, and the lock of an evaluation round. */
@Injectable()
export class EvaluationRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(PredictionOutcomeEntity) private readonly outcomes: Repository<PredictionOutcomeEntity>,
    @InjectRepository(PredictionEntity) private readonly predictions: Repository<PredictionEntity>,
  ) {}

  /**
   * Runs `work` as the only evaluation round of every process sharing the database: on PostgreSQL under a
   * transaction-level advisory lock, taken without waiting (undefined when another process holds it); SQLite is
   * one process, which serialises its own rounds.
   */
  exclusively<T>(work: () => Promise<T>): Promise<T | undefined> {
    return exclusivelyAcrossProcesses(this.dataSource, EVALUATION_LOCK, work);
  }

  /**
   * Non-shadow outcomes of `model` under policy `policyId`, per version (the arms of a canary or an A/B test),
   * grouped by logged request: a request's rows went to its arm together.
   */
  async armSums(model: string, policyId: number, loss: LossColumn): Promise<Map<number, ClusteredSums>> {
    const rows = await this.dataSource
      .createQueryBuilder()
      .from(
        (units) =>
          units
            .from(PredictionOutcomeEntity, 'o')
            .select('o.modelVersion', 'version')
            .addSelect('COUNT(*)', 'n')
            .addSelect(`SUM(o.${loss})`, 's')
            .addSelect(correct('o'), 'c')
            .where('o.modelName = :model AND o.policyId = :policyId AND o.shadow = :shadow', {
              model,
              policyId,
              shadow: false,
            })
            .andWhere(`o.${loss} IS NOT NULL`)
            .groupBy('o.modelVersion')
            .addGroupBy('o.logId'),
        'g',
      )
      .select('g.version', 'version')
      .addSelect('COUNT(*)', 'units')
      .addSelect('SUM(g.n)', 'n')
      .addSelect('SUM(g.s)', 'sum')
      .addSelect('SUM(g.c)', 'correct')
      .addSelect('SUM(g.s * g.s)', 'unit_squares')
      .addSelect('SUM(g.n * g.n)', 'unit_sizes')
      .addSelect('SUM(g.s * g.n)', 'unit_cross')
      .groupBy('g.version')
      .getRawMany<Record<string, unknown>>();
    return new Map(rows.map((row) => [num(row.version), clustered(row)]));
  }

  /**
   * Each shadow version of policy `policyId` against the champion's answers to the same rows (paired by feedback),
   * grouped by the champion's logged request.
   */
  async pairedSums(model: string, policyId: number, champion: number, loss: LossColumn): Promise<PairedSums[]> {
    const [s, c] = [`s.${loss}`, `c.${loss}`];
    const rows = await this.dataSource
      .createQueryBuilder()
      .from(
        (units) =>
          units
            .from(PredictionOutcomeEntity, 's')
            .innerJoin(
              PredictionOutcomeEntity,
              'c',
              'c.feedbackId = s.feedbackId AND c.modelName = s.modelName AND c.policyId = s.policyId AND ' +
                'c.shadow = :primary AND c.modelVersion = :champion',
              { primary: false, champion },
            )
            .select('s.modelVersion', 'version')
            .addSelect('COUNT(*)', 'n')
            .addSelect(`SUM(${c})`, 'cs')
            .addSelect(correct('c'), 'cc')
            .addSelect(`SUM(${s})`, 'ss')
            .addSelect(correct('s'), 'sc')
            .addSelect(`SUM(${s} - ${c})`, 'ds')
            .where('s.modelName = :model AND s.policyId = :policyId AND s.shadow = :shadow', {
              model,
              policyId,
              shadow: true,
            })
            .andWhere(`${s} IS NOT NULL AND ${c} IS NOT NULL`)
            .groupBy('s.modelVersion')
            .addGroupBy('c.logId'),
        'g',
      )
      .select('g.version', 'version')
      .addSelect('COUNT(*)', 'units')
      .addSelect('SUM(g.n)', 'n')
      .addSelect('SUM(g.cs)', 'c_sum')
      .addSelect('SUM(g.cc)', 'c_correct')
      .addSelect('SUM(g.ss)', 's_sum')
      .addSelect('SUM(g.sc)', 's_correct')
      .addSelect('SUM(g.ds)', 'd_sum')
      .addSelect('SUM(g.ds * g.ds)', 'd_unit_squares')
      .addSelect('SUM(g.n * g.n)', 'unit_sizes')
      .addSelect('SUM(g.ds * g.n)', 'd_unit_cross')
      .groupBy('g.version')
      .getRawMany<Record<string, unknown>>();
    return rows.map((row) => ({
      version: num(row.version),
      champion: { ...sums(row, 'c_'), n: num(row.n) },
      challenger: { ...sums(row, 's_'), n: num(row.n) },
      differences: { ...clustered(row, 'd_'), n: num(row.n), correct: 0 },
    }));
  }

  /** The answers `version` gave (not as a shadow) to rows predicted since `since`, under any policy. */
  async windowSums(model: string, version: number, since: Date, loss: LossColumn): Promise<LossSums> {
    const row = await this.outcomes
      .createQueryBuilder('o')
      .select('COUNT(*)', 'n')
      .addSelect(`SUM(o.${loss})`, 'sum')
      .addSelect(correct('o'), 'correct')
      .where('o.modelName = :model AND o.modelVersion = :version AND o.shadow = :shadow', {
        model,
        version,
        shadow: false,
      })
      .andWhere('o.predictedAt >= :since', { since })
      .andWhere(`o.${loss} IS NOT NULL`)
      .getRawOne<Record<string, unknown>>();
    return sums(row ?? {});
  }

  /** The latest `limit` of those answers with their truth and where their inputs were logged (to score them again). */
  async windowRows(model: string, version: number, since: Date, loss: LossColumn, limit: number): Promise<ScoredRow[]> {
    const rows = await this.outcomes
      .createQueryBuilder('o')
      .innerJoin(FeedbackEntity, 'f', 'f.id = o.feedbackId')
      .select(`o.${loss}`, 'loss')
      .addSelect('o.actualValue', 'actual_value')
      .addSelect('o.actualLabel', 'actual_label')
      .addSelect('o.logId', 'log_id')
      .addSelect('f.rowIndex', 'row_index')
      .where('o.modelName = :model AND o.modelVersion = :version AND o.shadow = :shadow', {
        model,
        version,
        shadow: false,
      })
      .andWhere('o.predictedAt >= :since', { since })
      .andWhere(`o.${loss} IS NOT NULL`)
      .orderBy('o.id', 'DESC')
      .limit(limit)
      .getRawMany<Record<string, unknown>>();
    return rows.map((row) => ({
      loss: num(row.loss),
      actualValue: row.actual_value === null ? null : num(row.actual_value),
      actualLabel: typeof row.actual_label === 'string' ? row.actual_label : null,
      logId: num(row.log_id),
      rowIndex: num(row.row_index),
    }));
  }

  /** The logged input rows of prediction-log entries, by entry id (each request once, however many rows it has). */
  async loggedInputs(ids: readonly number[]): Promise<Map<number, LoggedInputs>> {
    const found = new Map<number, LoggedInputs>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const entries = await this.predictions.find({
        select: { id: true, inputs: true },
        where: { id: In(unique.slice(i, i + 500)) },
      });
      for (const entry of entries) found.set(Number(entry.id), entry.inputs);
    }
    return found;
  }
}
