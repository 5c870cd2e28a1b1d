import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FieldProblem } from '../../common/errors/domain.error';

export const RETRAIN_TRIGGERS = ['cron', 'api', 'drift', 'definition'] as const;
export type RetrainTrigger = (typeof RETRAIN_TRIGGERS)[number];

export const RETRAIN_STATUSES = ['running', 'succeeded', 'failed', 'interrupted'] as const;
export type RetrainStatus = (typeof RETRAIN_STATUSES)[number];

/** promoted: the candidate won the gate and serves; not_promoted: registered (as challenger) but lost the gate. */
export const RETRAIN_OUTCOMES = ['promoted', 'not_promoted', 'failed', 'interrupted'] as const;
export type RetrainOutcome = (typeof RETRAIN_OUTCOMES)[number];

/** One run of the retraining pipeline: refresh data → train → evaluate → gate → register → promote → swap. */
@Entity({ name: 'retrain_jobs' })
@Index('IDX_retrain_jobs_model', ['modelName', 'startedAt'])
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

  @Column({ name: 'started_at', type: Date })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: Date, nullable: true })
  finishedAt!: Date | null;
}
