import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { LoggedInputs } from '../prediction-log.codec';

/**
 * One logged prediction request (the payload log of KServe and Seldon): its rows in, one output per row, which
 * version answered, how long it took. A single-row request holds one row; a batch holds all of its rows.
 */
@Entity({ name: 'predictions' })
@Index('IDX_predictions_model_time', ['modelName', 'createdAt'])
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
