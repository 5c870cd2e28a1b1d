import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Alias } from './model-alias.entity';

/** `retire`: the model's definition was retired, so its aliases were cleared (a new definition starts afresh). */
export const ALIAS_ACTIONS = ['promote', 'rollback', 'bootstrap', 'retire'] as const;
export type AliasAction = (typeof ALIAS_ACTIONS)[number];

/** Append-only audit trail of alias moves: who moved which alias of which model, from where to where, and why. */
@Entity({ name: 'alias_events' })
@Index('IDX_alias_events_model', ['modelName', 'id'])
export class AliasEventEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @Column({ type: 'varchar', length: 16 })
  alias!: Alias;

  @Column({ name: 'from_version', type: 'integer', nullable: true })
  fromVersion!: number | null;

  @Column({ name: 'to_version', type: 'integer', nullable: true })
  toVersion!: number | null;

  @Column({ type: 'varchar', length: 16 })
  action!: AliasAction;

  /** Why: the scores that decided a promotion, the caller's reason, … */
  @Column({ type: 'varchar', length: 1024 })
  reason!: string;

  @Column({ type: 'varchar', length: 128 })
  actor!: string;

  /** True when a promotion overrode the gate. */
  @Column({ type: 'boolean', default: false })
  forced!: boolean;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
