import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

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

  /** The validated input rows, in the model's input fields. */
  @Column({ type: 'json' })
  inputs!: object[];

  /** The answer for each row, in order. */
  @Column({ type: 'json' })
  outputs!: object[];

  @Column({ name: 'latency_ms', type: 'double precision' })
  latencyMs!: number;
}
