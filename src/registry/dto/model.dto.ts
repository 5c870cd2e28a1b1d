import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { AliasEventEntity } from '../entities/alias-event.entity';
import { ALIASES, type Alias } from '../entities/model-alias.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import type { RunEntity } from '../../training/entities/run.entity';
import type { AliasMoveResult } from '../registry.service';
import { ModelNameParamDto } from '../../definitions/dto/model-name.dto';

export class ModelVersionParamDto extends ModelNameParamDto {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version!: number;
}

export class RegisterVersionDto {
  /** A succeeded training run of this model (see GET /runs). */
  @IsUUID('4')
  runId!: string;
}

export class PromoteDto {
  /** Which alias to move (default champion; challenger moves skip the gate). */
  @IsOptional()
  @IsIn(ALIASES)
  alias?: Alias;

  /** Promote even when the version does not beat the champion (recorded as forced). */
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  /** Free text kept in the audit trail. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class RollbackDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ModelVersionDto {
  model!: string;
  version!: number;
  runId!: string;
  candidate!: string;
  datasetVersion!: string;
  metrics!: Record<string, unknown>;
  artifactPath!: string;
  artifactSha256!: string;
  /**
   * When artifact retention deleted the version's artifact: the version can no longer be served (410
   * REGISTRY.ARTIFACT_PRUNED), its record stays. Null while the artifact is stored.
   */
  artifactPrunedAt!: Date | null;
  /** The input fields the version expects. */
  inputSignature!: object[];
  /** Aliases pointing at this version. */
  aliases!: string[];
  /**
   * Where the version came from: `{"source": "training"}`, or an import with its format, the file's sha256, the
   * XGBoost version and objective (from its run; absent when the run is gone).
   */
  lineage?: Record<string, unknown>;
  createdAt!: Date;

  static from(version: ModelVersionEntity, aliases: string[], run?: RunEntity | null): ModelVersionDto {
    const { modelName, id: _id, inputSignature, ...rest } = version;
    return {
      ...rest,
      model: modelName,
      inputSignature: inputSignature,
      aliases,
      artifactPrunedAt: run?.artifactPrunedAt ?? null,
      ...lineageOf(run),
    };
  }
}

/** A run's lineage: an import's params say what was imported; any other run was trained here. */
function lineageOf(run: RunEntity | null | undefined): { lineage?: Record<string, unknown> } {
  if (!run) return {};
  const { source, format, sha256, sha256Of, xgboostVersion, objective } = run.params;
  if (source !== 'import') return { lineage: { source: 'training' } };
  return { lineage: { source, format, sha256, sha256Of, xgboostVersion, objective } };
}

export class ModelSummaryDto {
  /** The model's name; for a broken definition whose name could not be read, its file. */
  name!: string;
  /** `ok`, or `broken`: the definition was refused at load (see `problems`) and the model is not served. */
  @ApiProperty({ enum: ['ok', 'broken'] })
  status!: 'ok' | 'broken';
  /** Where the definition comes from: builtin, file (MODEL_DEFINITIONS_DIR) or api. */
  origin!: string;
  /** regression or classification (null for a broken definition). */
  task!: string | null;
  champion!: number | null;
  challenger!: number | null;
  /** The version this process serves now (null while none is loaded). */
  servedVersion!: number | null;
  versionCount!: number;
  /** A broken definition's problems, each with its path and rule. */
  @ApiProperty({ type: 'array', items: { type: 'object' }, required: false })
  problems?: { field: string; rule: string; message: string }[];
}

export class ModelDetailDto extends ModelSummaryDto {
  versions: ModelVersionDto[] = [];
}

export class AliasEventDto {
  id!: number;
  model!: string;
  alias!: string;
  action!: string;
  fromVersion!: number | null;
  toVersion!: number | null;
  reason!: string;
  actor!: string;
  forced!: boolean;
  createdAt!: Date;

  static from(event: AliasEventEntity): AliasEventDto {
    const { modelName, ...rest } = event;
    return { ...rest, model: modelName };
  }
}

export class AliasMoveDto {
  model!: string;
  alias!: string;
  fromVersion!: number | null;
  toVersion!: number;
  forced!: boolean;
  /** Scores of both versions on the same holdout rows, when the gate compared them. */
  comparison?: object;
  event!: AliasEventDto;

  static from(result: AliasMoveResult): AliasMoveDto {
    return { ...result, event: AliasEventDto.from(result.event) };
  }
}
