import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../../definitions/dto/model-name.dto';

/** The longest window (a year, as LIVE_PERFORMANCE_WINDOW_S allows). */
export const MAX_WINDOW_SECONDS = 31_536_000;

export class PerformanceQueryDto {
  /** A model name or alias. */
  @ApiProperty({ example: 'california-housing' })
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name (lowercase letters, digits, - and _)' })
  @IsNotEmpty()
  @IsString()
  model!: string;

  /** Seconds of predictions (by prediction time) up to now; default LIVE_PERFORMANCE_WINDOW_S. */
  @ApiPropertyOptional({ example: 86400, minimum: 60, maximum: MAX_WINDOW_SECONDS })
  @Max(MAX_WINDOW_SECONDS)
  @Min(60)
  @IsInt()
  @Type(() => Number)
  @IsOptional()
  windowSeconds?: number;

  /** Seconds per point of the series (default: the window in 24 steps; at most 1000 points). */
  @ApiPropertyOptional({ example: 3600, minimum: 1 })
  @Max(MAX_WINDOW_SECONDS)
  @Min(1)
  @IsInt()
  @Type(() => Number)
  @IsOptional()
  stepSeconds?: number;

  /** Only the predictions served under this traffic policy (0: the default champion policy). */
  @ApiPropertyOptional({ example: 0, minimum: 0 })
  @Max(2_147_483_647)
  @Min(0)
  @IsInt()
  @Type(() => Number)
  @IsOptional()
  policyId?: number;
}

/** Live figures of a set of predictions with ground truth; only the model's task's figures are present. */
export class LiveFiguresDto {
  /** Predicted rows with ground truth. */
  @ApiProperty({ example: 512 }) samples!: number;
  @ApiPropertyOptional({ example: 0.52 }) rmse?: number;
  @ApiPropertyOptional({ example: 0.36 }) mae?: number;
  @ApiPropertyOptional({ example: 0.95 }) accuracy?: number;
  @ApiPropertyOptional({ example: 0.14 }) logLoss?: number;
}

export class LiveGroupDto extends LiveFiguresDto {
  @ApiProperty({ example: 3 }) version!: number;
  /** The traffic policy's mode (champion, canary, ab, shadow) and id (0: the default champion policy). */
  @ApiProperty({ example: 'champion' }) policy!: string;
  @ApiProperty({ example: 0 }) policyId!: number;
  /** primary: the answers clients got; shadow: a shadow version's predictions of the same rows. */
  @ApiProperty({ enum: ['primary', 'shadow'] }) role!: 'primary' | 'shadow';
}

export class LivePointDto extends LiveFiguresDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ example: 3 }) version!: number;
  @ApiProperty({ enum: ['primary', 'shadow'] }) role!: 'primary' | 'shadow';
}

/** A version's score on its holdout at training time (its registered run's metrics). */
export class HoldoutScoreDto {
  @ApiProperty({ example: 3 }) version!: number;
  @ApiProperty({ example: 'rmse' }) metric!: string;
  @ApiProperty({ example: 0.48 }) value!: number;
}

export class PerformanceWindowDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ example: 86400 }) seconds!: number;
  @ApiProperty({ example: 3600 }) stepSeconds!: number;
}

/** Live performance of a model's predictions against their ground truth, by prediction time. */
export class PerformanceReportDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ enum: ['regression', 'classification'] }) task!: 'regression' | 'classification';
  @ApiProperty({ type: PerformanceWindowDto }) window!: PerformanceWindowDto;
  /** The holdout scores of the versions with live figures (the live figures' reference). */
  @ApiProperty({ type: [HoldoutScoreDto] }) holdout!: HoldoutScoreDto[];
  /** One per version, traffic policy and role. */
  @ApiProperty({ type: [LiveGroupDto] }) groups!: LiveGroupDto[];
  /** Per step of the window, version and role; steps without ground truth are left out. */
  @ApiProperty({ type: [LivePointDto] }) series!: LivePointDto[];
}
