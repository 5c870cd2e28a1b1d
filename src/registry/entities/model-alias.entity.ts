import { Column, Entity, PrimaryColumn } from 'typeorm';

export const ALIASES = ['champion', 'challenger'] as const;
export type Alias = (typeof ALIASES)[number];

/** Where an alias of a model points now. Every move also appends an AliasEventEntity. */
@Entity({ name: 'model_aliases' })
export class ModelAliasEntity {
  @PrimaryColumn({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  alias!: Alias;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
