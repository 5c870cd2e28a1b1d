import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../../definitions/dto/model-name.dto';
import type { DecisionEntity } from '../../entities/decision.entity';

const MODEL_NAME_MESSAGE = 'model must be a model name (lowercase letters, digits, - and _)';

export class ExperimentQueryDto {
  /** A model name or alias. */
  @ApiProperty({ example: 'california-housing' })
  @Matches(MODEL_NAME_PATTERN, { message: MODEL_NAME_MESSAGE })
  @IsNotEmpty()
  @IsString()
  model!: string;
}

export class EvaluateQueryDto {
  /** Evaluate this model only (default: every model). */
  @ApiPropertyOptional({ example: 'california-housing' })
  @Matches(MODEL_NAME_PATTERN, { message: MODEL_NAME_MESSAGE })
  @IsString()
  @IsOptional()
  model?: string;
}

export class DecisionsQueryDto extends EvaluateQueryDto {
  /** At most this many, newest first (1 … 1000, default 100). */
  @ApiPropertyOptional({ example: 100 })
  @Max(1000)
  @Min(1)
  @IsInt()
  @Type(() => Number)
  @IsOptional()
  limit?: number;
}

/** An interval of the difference challenger − champion of mean per-row loss (negative: the challenger is better). */
export class IntervalDto {
  @ApiProperty({ example: -0.042 }) estimate!: number;
  @ApiProperty({ example: -0.071 }) lower!: number;
  @ApiProperty({ example: -0.013 }) upper!: number;
}

export class FixedIntervalDto extends IntervalDto {
  @ApiProperty({ enum: ['welch', 'paired_t'] }) method!: 'welch' | 'paired_t';
  @ApiProperty({ example: 811.4 }) df!: number;
}

/** One arm's live figures over the experiment (shadow: over the rows the champion and the arm both scored). */
export class ArmReportDto {
  @ApiProperty({ example: 3 }) version!: number;
  @ApiProperty({ enum: ['champion', 'challenger'] }) role!: 'champion' | 'challenger';
  /** canary / ab: the arm's weight; shadow: null. */
  @ApiProperty({ example: 90, nullable: true, type: Number }) weight!: number | null;
  /** Predicted rows with ground truth. */
  @ApiProperty({ example: 812 }) n!: number;
  @ApiProperty({ enum: ['rmse', 'log_loss'] }) metric!: 'rmse' | 'log_loss';
  @ApiProperty({ example: 0.49, nullable: true, type: Number }) value!: number | null;
  /** Mean per-row loss: squared error (regression) or log loss (classification). */
  @ApiProperty({ example: 0.24, nullable: true, type: Number }) meanLoss!: number | null;
  /** Classification only. */
  @ApiPropertyOptional({ example: 0.95, nullable: true, type: Number }) accuracy?: number | null;
}

export class ComparisonDto {
  /** The challenger's version, compared with the champion. */
  @ApiProperty({ example: 4 }) version!: number;
  /** Rows compared: pairs (shadow), or the smaller arm (canary, ab). */
  @ApiProperty({ example: 790 }) n!: number;
  /** The always-valid confidence sequence (what the decision rests on). */
  @ApiProperty({ type: IntervalDto }) sequence!: IntervalDto;
  /** The fixed-sample interval (Welch, or paired t for shadow), for information: not valid when peeked at. */
  @ApiProperty({ type: FixedIntervalDto }) fixed!: FixedIntervalDto;
  @ApiProperty({ enum: ['collecting', 'challenger_better', 'champion_better', 'inconclusive'] }) verdict!: string;
}

export class DecisionRuleDto {
  @ApiProperty() autoPromote!: boolean;
  @ApiProperty({ example: 0.95 }) confidence!: number;
  /** Of each comparison: Bonferroni over the challengers (equal to `confidence` with one challenger). */
  @ApiProperty({ example: 0.95 }) comparisonConfidence!: number;
  @ApiProperty({ example: 200 }) minSamples!: number;
  @ApiProperty({ example: 14 }) maxDays!: number;
  /** When the experiment ends without a decision (null: no experiment, or the default policy). */
  @ApiProperty({ nullable: true, type: String }) deadline!: string | null;
}

/** `no_champion_arm`: a canary / ab split without the champion, reported only (nothing compared, no decision). */
const EXPERIMENT_STATES = [
  'no_experiment',
  'no_champion_arm',
  'collecting',
  'inconclusive',
  'challenger_better',
  'champion_better',
  'deadline',
] as const;
export type ExperimentState = (typeof EXPERIMENT_STATES)[number];

/** The experiment a model's traffic policy runs, and where its decision rule stands. */
export class ExperimentReportDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ example: 12 }) policyId!: number;
  @ApiProperty({ enum: ['champion', 'canary', 'ab', 'shadow'] }) mode!: string;
  @ApiProperty({ nullable: true, type: String }) since!: string | null;
  @ApiProperty({ example: 3, nullable: true, type: Number }) champion!: number | null;
  /** Rows paired by their feedback (shadow), or independent arms (canary, ab). */
  @ApiProperty() paired!: boolean;
  @ApiProperty({ type: [ArmReportDto] }) arms!: ArmReportDto[];
  @ApiProperty({ type: [ComparisonDto] }) comparisons!: ComparisonDto[];
  @ApiProperty({ type: DecisionRuleDto }) rule!: DecisionRuleDto;
  @ApiProperty({ enum: EXPERIMENT_STATES }) state!: ExperimentState;
  /** What the evaluation does about it: promote `winner`, end the experiment, or nothing yet. */
  @ApiProperty({ enum: ['promote', 'end_experiment', 'none'] }) action!: 'promote' | 'end_experiment' | 'none';
  @ApiProperty({ example: 4, nullable: true, type: Number }) winner!: number | null;
}

/** The champion's live error against its holdout error. */
export class DegradationReportDto {
  @ApiProperty({ example: 3, nullable: true, type: Number }) version!: number | null;
  @ApiProperty({ enum: ['rmse', 'log_loss'] }) metric!: 'rmse' | 'log_loss';
  @ApiProperty({ example: 512 }) n!: number;
  @ApiProperty({ example: 0.71, nullable: true, type: Number }) live!: number | null;
  @ApiProperty({ example: 0.47, nullable: true, type: Number }) holdout!: number | null;
  /** holdout × (1 + margin): a live error above it is degraded. */
  @ApiProperty({ example: 0.59, nullable: true, type: Number }) threshold!: number | null;
  @ApiPropertyOptional({ example: 0.9, nullable: true, type: Number }) accuracy?: number | null;
  @ApiProperty({ example: 0.25 }) margin!: number;
  @ApiProperty({ example: 200 }) minSamples!: number;
  @ApiProperty({ example: 24 }) windowHours!: number;
  @ApiProperty({ enum: ['retrain', 'rollback_or_retrain', 'none'] }) action!: string;
  @ApiProperty({ enum: ['no_champion', 'no_holdout', 'collecting', 'ok', 'degraded', 'cooldown'] }) state!: string;
}

export class DecisionDto {
  @ApiProperty({ example: 7 }) id!: number;
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ enum: ['promote', 'end_experiment', 'retrain', 'rollback', 'degraded'] }) kind!: string;
  @ApiProperty({ example: 12 }) policyId!: number;
  @ApiProperty() summary!: string;
  /** The figures the decision rests on: the experiment report, or the degradation check (and rollback scores). */
  @ApiProperty({ type: 'object', additionalProperties: true }) evidence!: Record<string, unknown>;
  @ApiProperty() createdAt!: string;

  static from(entity: DecisionEntity): DecisionDto {
    return Object.assign(new DecisionDto(), {
      id: entity.id,
      model: entity.modelName,
      kind: entity.kind,
      policyId: entity.policyId,
      summary: entity.summary,
      evidence: entity.evidence,
      createdAt: new Date(entity.createdAt).toISOString(),
    });
  }
}

export class ModelEvaluationDto {
  @ApiProperty({ example: 'california-housing' }) model!: string;
  @ApiProperty({ type: ExperimentReportDto, nullable: true }) experiment!: ExperimentReportDto | null;
  @ApiProperty({ type: DegradationReportDto, nullable: true }) degradation!: DegradationReportDto | null;
  @ApiProperty({ type: [DecisionDto] }) decisions!: DecisionDto[];
  /** Why the model could not be evaluated this time (it is tried again at the next round). */
  @ApiPropertyOptional({ nullable: true, type: String }) error?: string | null;
}

/** One evaluation round: what it found and decided per model. */
export class EvaluationRunDto {
  @ApiProperty() evaluatedAt!: string;
  /** False when another process was evaluating (PostgreSQL): nothing was looked at. */
  @ApiProperty() ran!: boolean;
  @ApiProperty({ type: [ModelEvaluationDto] }) models!: ModelEvaluationDto[];
}
