import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A registered model version: where it came from (run, dataset), how good it is, and its artifact. */
@Entity({ name: 'model_versions' })
@Index('UQ_model_versions_model_version', ['modelName', 'version'], { unique: true })
@Index('UQ_model_versions_run', ['runId'], { unique: true })
export class ModelVersionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  /** 1, 2, 3 … per model name. */
  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'run_id', type: 'varchar', length: 36 })
  runId!: string;

  @Column({ type: 'varchar', length: 32 })
  candidate!: string;

  @Column({ name: 'dataset_version', type: 'varchar', length: 64 })
  datasetVersion!: string;

  /** Holdout metrics of the run that produced the version. */
  @Column({ type: 'json' })
  metrics!: Record<string, unknown>;

  @Column({ name: 'artifact_path', type: 'varchar', length: 1024 })
  artifactPath!: string;

  @Column({ name: 'artifact_sha256', type: 'varchar', length: 64 })
  artifactSha256!: string;

  /** The input fields the version expects (its definition's `features` when it was registered). */
  @Column({ name: 'input_signature', type: 'json' })
  inputSignature!: object[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
