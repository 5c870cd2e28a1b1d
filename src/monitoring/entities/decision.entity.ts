import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What the online evaluation decided for a model, with its evidence (append-only): an experiment's challenger
 * promoted or an experiment ended, a retraining triggered or a rollback on degraded live performance.
 */
@Entity({ name: 'decisions' })
@Index('IDX_decisions_model', ['modelName', 'id'])
export class DecisionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  /** `promote`, `end_experiment`, `retrain`, `rollback`, … */
  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  /** The traffic policy the evidence was gathered under (its event id; 0: the default champion policy). */
  @Column({ name: 'policy_id', type: 'integer' })
  policyId!: number;

  @Column({ type: 'varchar', length: 1024 })
  summary!: string;

  /** The figures the decision rests on (per arm n and metric, the interval of the difference, thresholds). */
  @Column({ type: 'json' })
  evidence!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
