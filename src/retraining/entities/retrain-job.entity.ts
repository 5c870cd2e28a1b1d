import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FieldProblem } from '../../common/errors/domain.error';

/**
 * `bootstrap`: the first training of a model that has no champion (AUTO_TRAIN_ON_START); `performance`: the
 * champion's live error degraded (online evaluation).
 */
export const RETRAIN_TRIGGERS = ['cron', 'api', 'drift', 'definition', 'bootstrap', 'performance'] as const;
export type RetrainTrigger = (typeof RETRAIN_TRIGGERS)[number];

export const RETRAIN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'interrupted'] as const;
export type RetrainStatus = (typeof RETRAIN_STATUSES)[number];

/** promoted: the candidate won the gate and serves; not_promoted: registered (as challenger) but lost the gate. */
export const RETRAIN_OUTCOMES = ['promoted', 'not_promoted', 'failed', 'interrupted'] as const;
export type RetrainOutcome = (typeof RETRAIN_OUTCOMES)[number];

/** The statuses of a job that is not over: at most one job per model may have one (a unique partial index). */
export const ACTIVE_RETRAIN_STATUSES = ['queued', 'running'] as const;

/**
 * One run of the retraining pipeline: refresh data → train → evaluate → gate → register → promote → swap. A job is
 * a row in the shared database: queued by whoever asks, claimed by one process that trains (a lease it renews),
 * queued again when that process dies with attempts left. At most one queued or running job per model.
 */
@Entity({ name: 'retrain_jobs' })
@Index('IDX_retrain_jobs_model', ['modelName', 'startedAt'])
@Index('UQ_retrain_jobs_active_model', ['modelName'], { unique: true, where: `"status" IN ('queued', 'running')` })
@Index('UQ_retrain_jobs_dedupe_key', ['dedupeKey'], { unique: true })
export class RetrainJobEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @Column({ type: 'varchar', length: 16 })
  trigger!: RetrainTrigger;

  @Column({ type: 'varchar', length: 16 })
  status!: RetrainStatus;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: RetrainOutcome | null;

  /** Who asked (the cron, an operator, the drift monitor) and why. */
  @Column({ type: 'varchar', length: 1024 })
  reason!: string;

  /** Candidates asked for (null: the model's defaults). */
  @Column({ type: 'json', nullable: true })
  candidates!: string[] | null;

  /** Promote even when the candidate does not beat the champion (recorded as forced). */
  @Column({ type: 'boolean', default: false })
  force!: boolean;

  @Column({ name: 'dataset_version', type: 'varchar', length: 64, nullable: true })
  datasetVersion!: string | null;

  @Column({ name: 'run_ids', type: 'json', nullable: true })
  runIds!: string[] | null;

  /** The best run, registered as `version`. */
  @Column({ name: 'best_run_id', type: 'varchar', length: 36, nullable: true })
  bestRunId!: string | null;

  @Column({ type: 'integer', nullable: true })
  version!: number | null;

  /** The champion before the job (null when it was the first). */
  @Column({ name: 'from_version', type: 'integer', nullable: true })
  fromVersion!: number | null;

  /** The gate's comparison on the same holdout rows, when there was a champion. */
  @Column({ type: 'json', nullable: true })
  comparison!: Record<string, unknown> | null;

  /** Seconds spent per stage (data, train, register, promote). */
  @Column({ type: 'json' })
  stages!: Record<string, number>;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Row-level problems of an invalid data file, as the data module reported them. */
  @Column({ name: 'error_details', type: 'json', nullable: true })
  errorDetails!: FieldProblem[] | null;

  /** When the job was asked for (queued). */
  @Column({ name: 'started_at', type: Date })
  startedAt!: Date;

  /** When its current (or last) attempt was claimed by a process that trains. */
  @Column({ name: 'claimed_at', type: Date, nullable: true })
  claimedAt!: Date | null;

  /** The process running it (`host:pid:id`), while it runs. */
  @Column({ name: 'claimed_by', type: 'varchar', length: 128, nullable: true })
  claimedBy!: string | null;

  /** Unix milliseconds after which a running job whose process stopped renewing it may be claimed again. */
  @Column({ name: 'lease_expires_at', type: 'bigint', nullable: true })
  leaseExpiresAt!: number | null;

  /** Attempts started so far (a claim is an attempt). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /**
   * One job per key: a cron tick is `cron:<model>:<schedule>:<tick time>`, so the same tick on every replica
   * queues one job.
   */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 255, nullable: true })
  dedupeKey!: string | null;

  @Column({ name: 'finished_at', type: Date, nullable: true })
  finishedAt!: Date | null;
}
