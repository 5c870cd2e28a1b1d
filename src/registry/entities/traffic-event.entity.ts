import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { TrafficArm, TrafficMode } from './traffic-policy.entity';

/**
 * Append-only audit trail of traffic policy changes: who set which policy on which model, when and why (an
 * administrator through the API, or a decision with its evidence). The id of the event is the policy's id.
 */
@Entity({ name: 'traffic_events' })
@Index('IDX_traffic_events_model', ['modelName', 'id'])
export class TrafficEventEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @Column({ type: 'varchar', length: 16 })
  mode!: TrafficMode;

  @Column({ type: 'json' })
  arms!: TrafficArm[];

  @Column({ type: 'json' })
  shadow!: number[];

  @Column({ name: 'sticky_header', type: 'varchar', length: 64, nullable: true })
  stickyHeader!: string | null;

  /** The mode in force before this change. */
  @Column({ name: 'previous_mode', type: 'varchar', length: 16, nullable: true })
  previousMode!: TrafficMode | null;

  @Column({ type: 'varchar', length: 1024 })
  reason!: string;

  @Column({ type: 'varchar', length: 128 })
  actor!: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
