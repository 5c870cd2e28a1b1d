import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CvSummary, HoldoutMetrics } from '../training-job';
import { ExperimentEntity } from './experiment.entity';

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One fit of one candidate: parameters, holdout metrics, timing, data lineage, artifact and status. */
@Entity({ name: 'runs' })
@Index('IDX_runs_model_started', ['modelName', 'startedAt'])
export class RunEntity {
  /** UUID. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'experiment_id', type: 'integer' })
  experimentId!: number;

  @ManyToOne(() => ExperimentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'experiment_id' })
  experiment?: ExperimentEntity;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @Column({ type: 'varchar', length: 32 })
  candidate!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: RunStatus;

  @Column({ type: 'json' })
  params!: Record<string, unknown>;

  /** Holdout metrics (null until the run succeeds). */
  @Column({ type: 'json', nullable: true })
  metrics!: HoldoutMetrics | null;

  @Column({ name: 'cv_scores', type: 'json', nullable: true })
  cvScores!: CvSummary | null;

  /** Importance per feature name. */
  @Column({ name: 'feature_importances', type: 'json', nullable: true })
  featureImportances!: Record<string, number> | null;

  /** Mean |SHAP value| per feature over (up to SHAP_IMPORTANCE_ROWS of) the holdout, summed over classes. */
  @Column({ name: 'shap_importances', type: 'json', nullable: true })
  shapImportances!: Record<string, number> | null;

  @Column({ name: 'train_seconds', type: 'double precision', nullable: true })
  trainSeconds!: number | null;

  @Column({ name: 'predict_us_per_row', type: 'double precision', nullable: true })
  predictMicrosPerRow!: number | null;

  @Column({ name: 'dataset_version', type: 'varchar', length: 64 })
  datasetVersion!: string;

  /** `seed:<n>/test:<fraction>` for the stored split, or `file:<path>` for a split file. */
  @Column({ type: 'varchar', length: 1024 })
  split!: string;

  @Column({ name: 'train_rows', type: 'integer' })
  trainRows!: number;

  @Column({ name: 'test_rows', type: 'integer' })
  testRows!: number;

  @Column({ name: 'artifact_path', type: 'varchar', length: 1024, nullable: true })
  artifactPath!: string | null;

  @Column({ name: 'artifact_sha256', type: 'varchar', length: 64, nullable: true })
  artifactSha256!: string | null;

  /**
   * When artifact retention deleted the run's artifact (null while it is stored). The run, its version and its
   * lineage stay; a pruned version can no longer be served.
   */
  @Column({ name: 'artifact_pruned_at', type: Date, nullable: true })
  artifactPrunedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  // `type: Date` lets each driver pick its timestamp type (SQLite datetime, PostgreSQL timestamp).
  @Column({ name: 'started_at', type: Date })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: Date, nullable: true })
  finishedAt!: Date | null;
}
