import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One logged prediction: what came in, what went out, which version answered, how long it took. */
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

  @Column({ type: 'json' })
  inputs!: object;

  @Column({ type: 'json' })
  output!: object;

  @Column({ name: 'latency_ms', type: 'double precision' })
  latencyMs!: number;
}
