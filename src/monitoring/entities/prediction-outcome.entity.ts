import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One logged prediction of a row joined to its ground truth: what the version said, what was true, and the row's
 * losses, computed once when the feedback arrives. A request scored by a champion and shadow versions has one
 * outcome per version for the same feedback. Live performance is an aggregate over these rows.
 */
@Entity({ name: 'prediction_outcomes' })
@Index('IDX_prediction_outcomes_model_time', ['modelName', 'predictedAt'])
@Index('IDX_prediction_outcomes_policy', ['modelName', 'policyId'])
@Index('UQ_prediction_outcomes_feedback_log', ['feedbackId', 'logId'], { unique: true })
export class PredictionOutcomeEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'feedback_id', type: 'integer' })
  feedbackId!: number;

  /** The prediction-log entry (`predictions.id`) the row belongs to. */
  @Column({ name: 'log_id', type: 'bigint' })
  logId!: number;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @Column({ name: 'model_version', type: 'integer' })
  modelVersion!: number;

  /** The traffic policy (its event id; 0: the default champion policy) and mode the request was served under. */
  @Column({ name: 'policy_id', type: 'integer' })
  policyId!: number;

  @Column({ type: 'varchar', length: 16 })
  policy!: string;

  /** True for a shadow version's prediction (not the one the client received). */
  @Column({ type: 'boolean', default: false })
  shadow!: boolean;

  @Column({ name: 'predicted_at', type: Date })
  predictedAt!: Date;

  @Column({ name: 'received_at', type: Date })
  receivedAt!: Date;

  /** Regression: the predicted and true values, the error (predicted − actual) and its square and absolute value. */
  @Column({ name: 'predicted_value', type: 'double precision', nullable: true })
  predictedValue!: number | null;

  @Column({ name: 'actual_value', type: 'double precision', nullable: true })
  actualValue!: number | null;

  @Column({ name: 'squared_error', type: 'double precision', nullable: true })
  squaredError!: number | null;

  @Column({ name: 'absolute_error', type: 'double precision', nullable: true })
  absoluteError!: number | null;

  /** Classification: the predicted and true labels, whether they agree, and −log p(true label) (clipped). */
  @Column({ name: 'predicted_label', type: 'varchar', length: 256, nullable: true })
  predictedLabel!: string | null;

  @Column({ name: 'actual_label', type: 'varchar', length: 256, nullable: true })
  actualLabel!: string | null;

  @Column({ type: 'boolean', nullable: true })
  correct!: boolean | null;

  @Column({ name: 'log_loss', type: 'double precision', nullable: true })
  logLoss!: number | null;
}
