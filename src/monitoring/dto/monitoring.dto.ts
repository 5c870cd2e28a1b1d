import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../definitions/dto/model-name.dto';
import { STATS_RETENTION_SECONDS } from '../../metrics/request-stats';

export class DriftQueryDto {
  @ApiProperty({ example: 'california-housing', description: 'Registered model name' })
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name (lowercase letters, digits, - and _)' })
  @IsNotEmpty()
  @IsString()
  model!: string;
}

export class SummaryQueryDto {
  @ApiPropertyOptional({ example: 300, description: `Window in seconds (1 … ${STATS_RETENTION_SECONDS}, default 300)` })
  @Max(STATS_RETENTION_SECONDS)
  @Min(1)
  @IsInt()
  @Type(() => Number)
  @IsOptional()
  windowSeconds?: number;
}

export class TimeseriesQueryDto extends SummaryQueryDto {
  @ApiPropertyOptional({ example: 10, description: 'Seconds per point (1 … 3600, default 10)' })
  @Max(STATS_RETENTION_SECONDS)
  @Min(1)
  @IsInt()
  @Type(() => Number)
  @IsOptional()
  stepSeconds?: number;
}

export class TrafficPointDto {
  @ApiProperty() at!: string;
  @ApiProperty({ example: 850.2 }) requestsPerSecond!: number;
  @ApiProperty({ example: 0.001 }) errorRatio!: number;
  @ApiProperty({ example: 12.4, nullable: true, type: Number }) p99Ms!: number | null;
}

export class KsDto {
  @ApiProperty({ example: 0.04 }) statistic!: number;
  @ApiProperty({ example: 0.31 }) pValue!: number;
}

export class FeatureDriftDto {
  @ApiProperty({ example: 'MedInc' }) feature!: string;
  @ApiProperty({ enum: ['numeric', 'indicator'] }) kind!: string;
  @ApiProperty({ example: 0.02, nullable: true, type: Number }) psi!: number | null;
  @ApiProperty({ type: KsDto, nullable: true }) ks!: KsDto | null;
  @ApiProperty({ enum: ['ok', 'warn', 'drift', 'insufficient_data'] }) psiStatus!: string;
  @ApiProperty({ enum: ['ok', 'drift', 'insufficient_data'] }) ksStatus!: string;
  @ApiProperty({ enum: ['ok', 'warn', 'drift', 'insufficient_data'], description: 'The worse of the two' })
  status!: string;
  @ApiProperty({ example: 3.87, nullable: true, type: Number, description: 'Mean over the window' })
  currentMean!: number | null;
  @ApiProperty({ example: 3.87, nullable: true, type: Number, description: 'Mean over the training part' })
  referenceMean!: number | null;
}

export class DriftWindowDto {
  @ApiProperty({ example: 1000 }) rows!: number;
  @ApiProperty({ example: 1000, description: 'DRIFT_WINDOW_ROWS' }) size!: number;
  @ApiProperty({ example: 200, description: 'DRIFT_MIN_ROWS' }) minRows!: number;
  @ApiProperty({ nullable: true, type: String }) from!: string | null;
  @ApiProperty({ nullable: true, type: String }) to!: string | null;
}

export class DriftReferenceDto {
  @ApiProperty({ example: '8a3727f4cf54…' }) datasetVersion!: string;
  @ApiProperty({ example: 'seed:42/test:0.2' }) split!: string;
  @ApiProperty({ example: 16512 }) rows!: number;
}

export class DriftThresholdsDto {
  @ApiProperty({ example: 0.1 }) psiWarn!: number;
  @ApiProperty({ example: 0.25 }) psiDrift!: number;
  @ApiProperty({ example: 0.05 }) ksPValue!: number;
  @ApiProperty({ example: 0.1 }) ksMinStatistic!: number;
}

export class DriftReportDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ example: 1, description: 'The served version whose inputs and training profile are compared' })
  version!: number;
  @ApiProperty({ enum: ['ok', 'warn', 'drift', 'insufficient_data'] }) status!: string;
  @ApiProperty() checkedAt!: string;
  @ApiProperty({ type: DriftWindowDto }) window!: DriftWindowDto;
  @ApiProperty({ type: DriftReferenceDto }) reference!: DriftReferenceDto;
  @ApiProperty({ type: DriftThresholdsDto }) thresholds!: DriftThresholdsDto;
  @ApiProperty({ type: [FeatureDriftDto] }) features!: FeatureDriftDto[];
}

export class LatencyDto {
  @ApiProperty({ example: 2.1, nullable: true, type: Number }) p50!: number | null;
  @ApiProperty({ example: 4.8, nullable: true, type: Number }) p90!: number | null;
  @ApiProperty({ example: 12.5, nullable: true, type: Number }) p99!: number | null;
}

export class TrafficDto {
  @ApiProperty({ example: 1200 }) total!: number;
  @ApiProperty({ example: 4 }) perSecond!: number;
  @ApiProperty({ example: 3 }) clientErrors!: number;
  @ApiProperty({ example: 0 }) serverErrors!: number;
  @ApiProperty({ example: 0.0025 }) errorRate!: number;
  @ApiProperty({ type: LatencyDto }) latencyMs!: LatencyDto;
}

export class VersionTrafficDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ example: 1 }) version!: number;
  @ApiProperty({ example: 1197 }) requests!: number;
  @ApiProperty({ example: 5120 }) rows!: number;
  @ApiProperty({ type: LatencyDto }) latencyMs!: LatencyDto;
}

export class SummaryDto {
  @ApiProperty({ example: 300 }) windowSeconds!: number;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ type: TrafficDto, description: 'Requests to the prediction routes (all statuses)' })
  requests!: TrafficDto;
  @ApiProperty({ type: [VersionTrafficDto], description: 'Successful predictions per model version' })
  versions!: VersionTrafficDto[];
}
