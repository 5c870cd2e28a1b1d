import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { LoggedInputs } from '../prediction-log.codec';

/**
 * One logged prediction request (the payload log of KServe and Seldon): its rows in, one output per row, which
 * version answered, how long it took. A single-row request holds one row; a batch holds all of its rows.
 */
@Entity({ name: 'predictions' })
@Index('IDX_predictions_model_time', ['modelName', 'createdAt'])
@Index('IDX_predictions_request', ['requestId'])
@Index('IDX_predictions_prediction_id', ['predictionId'])
export class PredictionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @Column({ name: 'model_version', type: 'integer' })
  modelVersion!: number;

  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId!: string;

  /** The client's own id for the request (`x-prediction-id`), by which it may send feedback instead. */
  @Column({ name: 'prediction_id', type: 'varchar', length: 128, nullable: true })
  predictionId!: string | null;

  /** The traffic policy the request was served under: its id (0: the default champion policy) and mode. */
  @Column({ name: 'policy_id', type: 'integer', default: 0 })
  policyId!: number;

  @Column({ type: 'varchar', length: 16, default: 'champion' })
  policy!: string;

  /** True for a shadow version's predictions of a request another version answered (same request id). */
  @Column({ type: 'boolean', default: false })
  shadow!: boolean;

  /** The client's address (the connection's peer, or `x-forwarded-for` as TRUST_PROXY allows); null before 0.1. */
  @Column({ name: 'client_address', type: 'varchar', length: 64, nullable: true })
  clientAddress!: string | null;

  /** Number of predicted rows (the length of `inputs` and `outputs`). */
  @Column({ name: 'row_count', type: 'integer', default: 1 })
  rowCount!: number;

  /** The validated input rows: the field names once, then one array of values per row. */
  @Column({ type: 'json' })
  inputs!: LoggedInputs;

  /** The model's output for each row, in order: a value (regression) or `{label, probabilities}` (classification). */
  @Column({ type: 'json' })
  outputs!: unknown[];

  @Column({ name: 'latency_ms', type: 'double precision' })
  latencyMs!: number;
}
