import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One experiment per model name (as in MLflow): the runs that trained candidates for it. */
@Entity({ name: 'experiments' })
@Index('UQ_experiments_name', ['name'], { unique: true })
export class ExperimentEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The model name, e.g. `california-housing`. */
  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
