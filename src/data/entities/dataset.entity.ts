import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { FieldProblem } from '../../common/errors/domain.error';
import { DatasetSplitEntity } from './dataset-split.entity';

/** One version of a data set: the sha256 of its raw bytes, where it came from, and how its rows fared. */
@Entity({ name: 'datasets' })
@Index('UQ_datasets_name_version_definition', ['name', 'version', 'definitionSha256'], { unique: true })
export class DatasetEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Data set name, the same as the model trained on it (`california-housing`, `iris`). */
  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** sha256 of the raw bytes, hex. */
  @Column({ type: 'varchar', length: 64 })
  version!: string;

  /**
   * sha256 of the data-relevant part of the definition it was read with (delimiter, target, input fields, columns):
   * the same bytes read with other rules or columns get their own rows, splits, fitted values and profiles.
   */
  @Column({ name: 'definition_sha256', type: 'varchar', length: 64, default: '' })
  definitionSha256!: string;

  /** File path, URL or package the bytes came from. */
  @Column({ type: 'varchar', length: 1024 })
  source!: string;

  @Column({ name: 'rows_read', type: 'integer' })
  rowsRead!: number;

  @Column({ name: 'rows_rejected', type: 'integer' })
  rowsRejected!: number;

  /** Missing values filled in by imputation (empty total_bedrooms cells for housing). */
  @Column({ name: 'values_imputed', type: 'integer' })
  valuesImputed!: number;

  /** The first rejected rows with their line numbers and broken rules. */
  @Column({ name: 'rejected_sample', type: 'json' })
  rejectedSample!: FieldProblem[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @OneToMany(() => DatasetSplitEntity, (split) => split.dataset)
  splits?: DatasetSplitEntity[];
}
