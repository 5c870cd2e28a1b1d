import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../definitions/dto/model-name.dto';
import { RETRAIN_OUTCOMES, RETRAIN_STATUSES, RETRAIN_TRIGGERS, RetrainJobEntity } from '../entities/retrain-job.entity';

export class RetrainRequestDto {
  @ApiProperty({ example: 'california-housing' })
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name (lowercase letters, digits, - and _)' })
  @IsNotEmpty()
  @IsString()
  model!: string;

  @ApiPropertyOptional({ example: ['gbdt'], description: "Candidates to fit (default: the model's defaults)" })
  @MaxLength(64, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(10)
  @IsArray()
  @IsOptional()
  candidates?: string[];

  @ApiPropertyOptional({ example: false, description: 'Promote even if the candidate loses the gate (recorded)' })
  @IsBoolean()
  @IsOptional()
  force?: boolean;

  @ApiPropertyOptional({ example: 'new data delivered', description: 'Why (kept in the job and the alias history)' })
  @MaxLength(500)
  @IsString()
  @IsOptional()
  reason?: string;
}

export class RetrainJobParamsDto {
  @IsUUID()
  id!: string;
}

export class ListRetrainJobsQueryDto {
  @ApiPropertyOptional({ example: 'california-housing' })
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name (lowercase letters, digits, - and _)' })
  @IsOptional()
  model?: string;

  @ApiPropertyOptional({ example: 20, description: '1 … 500, default 50' })
  @Max(500)
  @Min(1)
  @IsInt()
  @Type(() => Number)
  @IsOptional()
  limit?: number;
}

export class RetrainJobDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ enum: RETRAIN_TRIGGERS }) trigger!: string;
  @ApiProperty({ enum: RETRAIN_STATUSES }) status!: string;
  @ApiProperty({ enum: RETRAIN_OUTCOMES, nullable: true, type: String }) outcome!: string | null;
  @ApiProperty({ example: 'api: new data delivered' }) reason!: string;
  @ApiProperty({ type: [String], nullable: true }) candidates!: string[] | null;
  @ApiProperty() force!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'Dataset version (sha256 of the raw file) trained on' })
  datasetVersion!: string | null;
  @ApiProperty({ type: [String], nullable: true }) runIds!: string[] | null;
  @ApiProperty({ nullable: true, type: String }) bestRunId!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The version registered from the best run' })
  version!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The champion it was compared with' })
  fromVersion!: number | null;
  @ApiProperty({ nullable: true, type: Object, description: 'The gate: metric, both scores, holdout rows' })
  comparison!: Record<string, unknown> | null;
  @ApiProperty({ example: { data: 0.31, train: 9.8, register: 0.01, promote: 0.4 }, description: 'Seconds per stage' })
  stages!: Record<string, number>;
  @ApiProperty({ nullable: true, type: String, description: 'Why it failed, or why the gate refused' })
  error!: string | null;
  @ApiProperty({ nullable: true, type: Object, isArray: true, description: "The data module's row report" })
  errorDetails!: object[] | null;
  @ApiProperty({ description: 'When the job was asked for (queued)' }) startedAt!: Date;
  @ApiProperty({ nullable: true, type: Date, description: 'When a process that trains claimed its last attempt' })
  claimedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String, description: 'The process that ran (or runs) it: host:pid:id/claim' })
  claimedBy!: string | null;
  @ApiProperty({ description: 'Attempts started; a job whose process died is queued again while attempts remain' })
  attempts!: number;
  @ApiProperty({ nullable: true, type: String, description: 'One job per key (a cron tick): cron:<model>:<tick>' })
  dedupeKey!: string | null;
  @ApiProperty({ nullable: true, type: Date }) finishedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Seconds from the claim of its last attempt to its end' })
  durationSeconds!: number | null;

  static from(job: RetrainJobEntity): RetrainJobDto {
    const { modelName, leaseExpiresAt: _lease, ...rest } = job;
    const since = job.claimedAt ?? job.startedAt;
    const durationSeconds = job.finishedAt ? (job.finishedAt.getTime() - since.getTime()) / 1000 : null;
    return { ...rest, model: modelName, durationSeconds };
  }
}
