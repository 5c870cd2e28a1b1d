import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { PredictionOutcomeEntity } from '../entities/prediction-outcome.entity';

/** Which outcomes an aggregate covers: one model's predictions made in [from, to), optionally of one policy. */
export interface OutcomeFilter {
  model: string;
  from: Date;
  to: Date;
  policyId?: number;
}

/** The sums live figures are made of (a sum is 0 where the task has no such loss). */
export interface LossSums {
  samples: number;
  squaredError: number;
  absoluteError: number;
  correct: number;
  logLoss: number;
}

/** The sums of one version under one policy and role. */
export interface GroupSums extends LossSums {
  version: number;
  policy: string;
  policyId: number;
  shadow: boolean;
}

/** The sums of one version and role in one step of a series (`bucket`: the step's index from the window start). */
export interface BucketSums extends LossSums {
  bucket: number;
  version: number;
  shadow: boolean;
}

type Raw = Record<string, unknown>;

const sumsOf = (raw: Raw): LossSums => ({
  samples: Number(raw.samples),
  squaredError: Number(raw.squaredError ?? 0),
  absoluteError: Number(raw.absoluteError ?? 0),
  correct: Number(raw.correct ?? 0),
  logLoss: Number(raw.logLoss ?? 0),
});

/** SQLite answers booleans as 0/1, PostgreSQL as booleans. */
const truthy = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't';

/**
 * Aggregates of the prediction outcomes, computed by the database (COUNT and SUMs per group), never by loading the
 * rows: live performance per version, policy and role over a window of prediction times, and the same per step.
 */
@Injectable()
export class PerformanceRepository {
  constructor(
    @InjectRepository(PredictionOutcomeEntity) private readonly outcomes: Repository<PredictionOutcomeEntity>,
  ) {}

  async groups(filter: OutcomeFilter): Promise<GroupSums[]> {
    const rows = await this.sums(filter)
      .addSelect('o.policy', 'policy')
      .addSelect('o.policyId', 'policyId')
      .groupBy('o.modelVersion')
      .addGroupBy('o.shadow')
      .addGroupBy('o.policy')
      .addGroupBy('o.policyId')
      .getRawMany<Raw>();
    return rows.map((raw) => ({
      ...sumsOf(raw),
      version: Number(raw.version),
      policy: String(raw.policy),
      policyId: Number(raw.policyId),
      shadow: truthy(raw.shadow),
    }));
  }

  /** Sums per step of `stepMs` milliseconds from `filter.from`, per version and role (steps without rows are absent). */
  async series(filter: OutcomeFilter, stepMs: number): Promise<BucketSums[]> {
    const rows = await this.sums(filter)
      .addSelect(this.bucketExpression(), 'bucket')
      .setParameters({ fromMs: filter.from.getTime(), stepMs })
      .groupBy('bucket')
      .addGroupBy('o.modelVersion')
      .addGroupBy('o.shadow')
      .getRawMany<Raw>();
    return rows.map((raw) => ({
      ...sumsOf(raw),
      bucket: Number(raw.bucket),
      version: Number(raw.version),
      shadow: truthy(raw.shadow),
    }));
  }

  private sums(filter: OutcomeFilter): SelectQueryBuilder<PredictionOutcomeEntity> {
    const query = this.outcomes
      .createQueryBuilder('o')
      .select('o.modelVersion', 'version')
      .addSelect('o.shadow', 'shadow')
      .addSelect('COUNT(*)', 'samples')
      .addSelect('SUM(o.squaredError)', 'squaredError')
      .addSelect('SUM(o.absoluteError)', 'absoluteError')
      .addSelect('SUM(CASE WHEN o.correct THEN 1 ELSE 0 END)', 'correct')
      .addSelect('SUM(o.logLoss)', 'logLoss')
      .where('o.modelName = :model', { model: filter.model })
      .andWhere('o.predictedAt >= :from', { from: filter.from })
      .andWhere('o.predictedAt < :to', { to: filter.to });
    if (filter.policyId !== undefined) query.andWhere('o.policyId = :policyId', { policyId: filter.policyId });
    return query;
  }

  /**
   * The step of a prediction time: ⌊(its epoch milliseconds − :fromMs) / :stepMs⌋, exact in both dialects
   * (timestamps are stored in UTC with millisecond precision).
   */
  private bucketExpression(): string {
    if (this.outcomes.manager.connection.options.type === 'postgres') {
      return 'CAST(FLOOR((ROUND(EXTRACT(EPOCH FROM o.predictedAt) * 1000) - :fromMs) / :stepMs) AS integer)';
    }
    return (
      'CAST((CAST(ROUND((julianday(o.predictedAt) - 2440587.5) * 86400000.0) AS INTEGER) - CAST(:fromMs AS INTEGER)) ' +
      '/ CAST(:stepMs AS INTEGER) AS INTEGER)'
    );
  }
}
