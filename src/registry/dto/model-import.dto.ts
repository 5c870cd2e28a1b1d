import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { Prechecked } from '../../common/http/validation.pipe';
import { ModelVersionDto } from './model.dto';

export const IMPORT_FORMATS = ['xgboost-json', 'xgboost-ubj'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const EXPORT_FORMATS = ['xgboost-json'] as const;
/** Most features an imported model may name. */
export const MAX_IMPORT_FEATURES = 10_000;
const KEYS = new Set(['format', 'model', 'features', 'classes', 'promote', 'reason']);

const isNameList = (value: unknown): boolean =>
  value === undefined ||
  (Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= MAX_IMPORT_FEATURES &&
    value.every((v) => typeof v === 'string' && v.length <= 256));

/**
 * Every rule of ImportModelDto as one function: a model document of megabytes then reaches the service as it was
 * parsed, not copied by class-transformer; any other body is validated by the decorators as usual.
 */
function isImportBody(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const body = value as Record<string, unknown>;
  if (Object.keys(body).some((key) => !KEYS.has(key))) return false;
  const model = body.model;
  return (
    (IMPORT_FORMATS as readonly unknown[]).includes(body.format) &&
    ((typeof model === 'object' && model !== null && !Array.isArray(model)) || typeof model === 'string') &&
    isNameList(body.features) &&
    isNameList(body.classes) &&
    (body.promote === undefined || typeof body.promote === 'boolean') &&
    (body.reason === undefined || (typeof body.reason === 'string' && body.reason.length <= 500))
  );
}

@Prechecked(isImportBody)
export class ImportModelDto {
  /** `xgboost-json`: a model saved with `save_model("model.json")`; `xgboost-ubj`: saved as `model.ubj`. */
  @IsIn(IMPORT_FORMATS)
  format!: ImportFormat;

  @ApiProperty({
    description:
      'The saved model: the JSON document itself (xgboost-json), or the bytes of the file in base64 (either ' +
      'format; the lineage then records the sha256 of those exact bytes)',
    oneOf: [{ type: 'object' }, { type: 'string', format: 'byte' }],
  })
  @IsDefined()
  model!: Record<string, unknown> | string;

  /**
   * Which of the model's features each XGBoost feature is, in XGBoost's order: a feature of the model's pipeline
   * (`MedInc`, `ocean_proximity=INLAND`) or one of its numeric input fields (`total_rooms`). Default: the file's
   * `feature_names`.
   */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_IMPORT_FEATURES)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  features?: string[];

  /** Classifiers: the model's class labels in XGBoost's class order (default: the model's own order). */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_IMPORT_FEATURES)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  classes?: string[];

  /** Promote the new version to champion through the gate (refusal leaves it registered). Default false. */
  @IsOptional()
  @IsBoolean()
  promote?: boolean;

  /** Free text kept in the audit trail of the promotion. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'xgboost-json' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: (typeof EXPORT_FORMATS)[number];
}

export class ImportLineageDto {
  source!: 'import';
  format!: ImportFormat;
  /** sha256 of the file's bytes (base64 upload), or of the document's JSON text as parsed (a JSON object). */
  sha256!: string;
  sha256Of!: 'file' | 'document';
  xgboostVersion!: string;
  objective!: string;
  trees!: number;
  /** The XGBoost features, in order, as the model's features or input fields. */
  features!: string[];
}

export class ImportResultDto {
  version!: ModelVersionDto;
  lineage!: ImportLineageDto;
  /** With `promote`: whether the gate let it become champion, and why (scores). */
  promotion?: { promoted: boolean; reason: string };
}
