import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, MaxLength, Min } from 'class-validator';
import { AliasEventEntity } from '../entities/alias-event.entity';
import { ALIASES, type Alias } from '../entities/model-alias.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import type { AliasMoveResult } from '../registry.service';

/** A model name as it may appear in a path; unknown names are answered with 404 by the service. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class ModelNameParamDto {
  @Matches(MODEL_NAME_PATTERN, { message: 'name must be a model name (lowercase letters, digits, - and _)' })
  name!: string;
}

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
  /** The input fields the version expects. */
  inputSignature!: object[];
  /** Aliases pointing at this version. */
  aliases!: string[];
  createdAt!: Date;

  static from(version: ModelVersionEntity, aliases: string[]): ModelVersionDto {
    const { modelName, id: _id, inputSignature, ...rest } = version;
    return { ...rest, model: modelName, inputSignature: inputSignature, aliases };
  }
}

export class ModelSummaryDto {
  name!: string;
  task!: string;
  champion!: number | null;
  challenger!: number | null;
  /** The version this process serves now (null while none is loaded). */
  servedVersion!: number | null;
  versionCount!: number;
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
