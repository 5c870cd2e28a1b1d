import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single-flight lock of one model's retraining, shared by every process on the database: the holder (a job
 * id) keeps it alive with a heartbeat; a lease past its expiry belongs to a process that died and may be taken.
 */
@Entity({ name: 'retrain_leases' })
export class RetrainLeaseEntity {
  @PrimaryColumn({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @Column({ type: 'varchar', length: 36 })
  holder!: string;

  /** Unix milliseconds after which the lease is free. */
  @Column({ name: 'expires_at', type: 'bigint' })
  expiresAt!: number;
}
