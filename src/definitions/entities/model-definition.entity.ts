import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const DEFINITION_ACTIONS = ['put', 'retire'] as const;
export type DefinitionAction = (typeof DEFINITION_ACTIONS)[number];

/**
 * Append-only history of the definitions set through the admin API: each PUT stores the document as sent (a new
 * revision), each DELETE a retirement. The latest row of a model decides; older rows are its audit trail.
 */
@Entity({ name: 'model_definitions' })
@Index('UQ_model_definitions_name_revision', ['name', 'revision'], { unique: true })
export class ModelDefinitionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** 1, 2, … per model. */
  @Column({ type: 'integer' })
  revision!: number;

  @Column({ type: 'varchar', length: 16 })
  action!: DefinitionAction;

  /** The document as received (parsed YAML or JSON); null for a retirement. */
  @Column({ type: 'json', nullable: true })
  document!: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 128 })
  actor!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
