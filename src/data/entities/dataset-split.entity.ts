import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Preprocessing } from '../feature-spec';
import type { FeatureProfile } from '../profile.util';
import { DatasetEntity } from './dataset.entity';

/**
 * A seeded train/test split of one dataset version, with what was fitted on its training part: imputation values
 * and the profile of every feature (the drift reference).
 */
@Entity({ name: 'dataset_splits' })
@Index('UQ_dataset_splits_dataset_seed_fraction', ['datasetId', 'seed', 'testFraction'], { unique: true })
export class DatasetSplitEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'dataset_id', type: 'integer' })
  datasetId!: number;

  @ManyToOne(() => DatasetEntity, (dataset) => dataset.splits, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id' })
  dataset?: DatasetEntity;

  @Column({ type: 'integer' })
  seed!: number;

  @Column({ name: 'test_fraction', type: 'double precision' })
  testFraction!: number;

  @Column({ name: 'train_rows', type: 'integer' })
  trainRows!: number;

  @Column({ name: 'test_rows', type: 'integer' })
  testRows!: number;

  /** 0-based data-row indices of the raw file (header excluded), ascending. */
  @Column({ name: 'train_indices', type: 'json', select: false })
  trainIndices!: number[];

  @Column({ name: 'test_indices', type: 'json', select: false })
  testIndices!: number[];

  /** Values fitted on the training part and reused at serving time (imputation values, learned categories). */
  @Column({ type: 'json' })
  preprocessing!: Preprocessing;

  @Column({ type: 'json' })
  profile!: FeatureProfile[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
