import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

/** Query strings `true` / `false` become booleans; anything else stays as sent and fails @IsBoolean. */
const toBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

export class RetentionSweepQueryDto {
  /** Report what the sweep would delete and keep, without deleting anything (default false). */
  @ApiPropertyOptional({ example: true })
  @IsBoolean()
  @Transform(toBoolean)
  @IsOptional()
  dryRun?: boolean;
}

export class RetentionSettingsDto {
  /** ARTIFACT_RETENTION_KEEP_VERSIONS: newest versions kept per model (0: every version). */
  @ApiProperty({ example: 10 }) keepVersions!: number;
  /** ARTIFACT_RETENTION_CHAMPION_DAYS: a version champion at any moment of these last days is kept (0: ever). */
  @ApiProperty({ example: 90 }) championDays!: number;
  /** ARTIFACT_RETENTION_UNREGISTERED_DAYS: a run never registered loses its artifact after this (0: never). */
  @ApiProperty({ example: 7 }) unregisteredDays!: number;
  /** ARTIFACT_RETENTION_INTERVAL_S: seconds between scheduled sweeps (0: only on request). */
  @ApiProperty({ example: 3600 }) intervalSeconds!: number;
}

/** A stored artifact the sweep keeps, and why. */
export class KeptArtifactDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ format: 'uuid' }) runId!: string;
  /** The version the run was registered as (null: never registered). */
  @ApiProperty({ example: 12, nullable: true, type: Number }) version!: number | null;
  /** Size of the artifact (null when it could not be found). */
  @ApiProperty({ example: 10485760, nullable: true, type: Number }) bytes!: number | null;
  /**
   * `alias:champion`, `alias:challenger`, `champion_within_window`, `latest_versions`, `traffic_policy`,
   * `retraining_job`, `in_progress`, `recent_unregistered`, or `in_use` (it became referenced during the sweep).
   */
  @ApiProperty({ type: [String], example: ['alias:champion', 'latest_versions'] }) reasons!: string[];
}

/** An artifact the sweep deleted (in a dry run: would delete). */
export class DeletedArtifactDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty({ example: 3, nullable: true, type: Number }) version!: number | null;
  /** Bytes freed (0 for a database artifact another kept run shares); in a dry run, the artifact's size. */
  @ApiProperty({ example: 10485760 }) bytes!: number;
  /** `old_version` (no reason to keep the version) or `unregistered_expired` (a run never registered, old). */
  @ApiProperty({ enum: ['old_version', 'unregistered_expired'] }) reason!: string;
}

/** An artifact no run records, deleted by the sweep (in a dry run: would be). */
export class StrayArtifactDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  /** A file under MODELS_DIR (SQLite), or `db://artifacts/<sha256>` (PostgreSQL). */
  @ApiProperty({ example: 'models/california-housing/runs/0b6f7a52-1d0e-4c8e-9a3e-4f1f0d2b9c11.json' }) path!: string;
  @ApiProperty({ example: 1048576 }) bytes!: number;
  /**
   * `unreferenced`: a whole artifact no run records (its process stopped between writing it and recording it on its
   * run); `interrupted_write`: the temporary file of a write that never finished. Only those older than an hour.
   */
  @ApiProperty({ enum: ['unreferenced', 'interrupted_write'] }) reason!: string;
}

export class RetentionSweepDto {
  @ApiProperty() sweptAt!: string;
  /** False when another replica was sweeping (PostgreSQL): nothing was looked at. */
  @ApiProperty() ran!: boolean;
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ type: RetentionSettingsDto }) settings!: RetentionSettingsDto;
  @ApiProperty({ type: [DeletedArtifactDto] }) deleted!: DeletedArtifactDto[];
  @ApiProperty({ type: [KeptArtifactDto] }) kept!: KeptArtifactDto[];
  /** Artifacts no run records, left by a process that stopped while storing them. */
  @ApiProperty({ type: [StrayArtifactDto] }) strays!: StrayArtifactDto[];
  /** Bytes freed, also of artifacts left behind by an earlier sweep that was interrupted, and of strays. */
  @ApiProperty({ example: 31457280 }) deletedBytes!: number;
  /** Bytes of the artifacts kept. */
  @ApiProperty({ example: 52428800 }) keptBytes!: number;
}

/** A model's artifact store: what is kept, and what retention has pruned so far. */
export class RetentionModelDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ example: 12 }) storedArtifacts!: number;
  @ApiProperty({ example: 52428800 }) storedBytes!: number;
  /** Runs (registered or not) whose artifact was deleted by retention. */
  @ApiProperty({ example: 40 }) prunedArtifacts!: number;
  /** Versions whose artifact was deleted by retention, oldest first. */
  @ApiProperty({ type: [Number], example: [1, 2, 3] }) prunedVersions!: number[];
}

/** The last sweep this process ran (null when it ran none). */
export class RetentionLastSweepDto {
  @ApiProperty() sweptAt!: string;
  @ApiProperty() deletedArtifacts!: number;
  @ApiProperty() deletedBytes!: number;
  @ApiProperty() keptArtifacts!: number;
  @ApiProperty() keptBytes!: number;
}

export class RetentionStatusDto {
  @ApiProperty({ type: RetentionSettingsDto }) settings!: RetentionSettingsDto;
  @ApiProperty({ type: [RetentionModelDto] }) models!: RetentionModelDto[];
  @ApiProperty({ type: RetentionLastSweepDto, nullable: true }) lastSweep!: RetentionLastSweepDto | null;
}
