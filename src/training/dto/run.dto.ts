import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min, Matches } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../definitions/dto/model-name.dto';
import { CANDIDATE_NAMES } from '../candidates';
import { ExperimentEntity } from '../entities/experiment.entity';
import { RUN_STATUSES, RunEntity, type RunStatus } from '../entities/run.entity';

export class ListRunsQueryDto {
  /** Only runs of this model. */
  @IsOptional()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name (lowercase letters, digits, - and _)' })
  model?: string;

  @IsOptional()
  @IsIn(CANDIDATE_NAMES)
  candidate?: string;

  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: RunStatus;

  /** Newest runs first, at most this many. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}

export class RunIdParamDto {
  @IsUUID('4')
  id!: string;
}

export class ExperimentDto {
  id!: number;
  /** The model name. */
  name!: string;
  runCount!: number;
  createdAt!: Date;

  static from(experiment: ExperimentEntity, runCount: number): ExperimentDto {
    return { id: experiment.id, name: experiment.name, runCount, createdAt: experiment.createdAt };
  }
}

export class RunDto {
  id!: string;
  experimentId!: number;
  model!: string;
  candidate!: string;
  status!: RunStatus;
  params!: Record<string, unknown>;
  /** Holdout metrics: rmse, mae, r2, mape (regression); accuracy, macroF1, logLoss, confusionMatrix (classification). */
  metrics!: Record<string, unknown> | null;
  /** k-fold cross-validation on the training part (and random-search trials), when configured. */
  cvScores!: object | null;
  featureImportances!: Record<string, number> | null;
  /** Mean |SHAP value| per feature over the holdout (summed over classes): importance from explanations. */
  shapImportances!: Record<string, number> | null;
  trainSeconds!: number | null;
  /** Batch prediction time per row on the holdout, in microseconds. */
  predictMicrosPerRow!: number | null;
  datasetVersion!: string;
  split!: string;
  trainRows!: number;
  testRows!: number;
  artifactPath!: string | null;
  artifactSha256!: string | null;
  /** When artifact retention deleted the artifact (null while it is stored); the run's record stays. */
  artifactPrunedAt!: Date | null;
  error!: string | null;
  startedAt!: Date;
  finishedAt!: Date | null;

  static from(run: RunEntity): RunDto {
    const { modelName, experiment: _experiment, ...rest } = run;
    return { ...rest, model: modelName };
  }
}
