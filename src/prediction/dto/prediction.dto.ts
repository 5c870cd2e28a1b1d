import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NotWith } from '../../common/http/not-with.decorator';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  Matches,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  ValidationArguments,
} from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../definitions/dto/model-name.dto';
import { Prechecked } from '../../common/http/validation.pipe';
import { PredictionEntity } from '../entities/prediction.entity';
import { TRAFFIC_MODES, type TrafficMode } from '../../registry/entities/traffic-policy.entity';
import { expandInputs } from '../prediction-log.codec';

/** A row object the fast path may pass on as it is: no key named like an Object.prototype member. */
const isPlainRow = (row: unknown): boolean => {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
  for (const key in row) if (key in Object.prototype) return false;
  return true;
};

const isRowList = (rows: unknown): boolean => Array.isArray(rows) && rows.length > 0 && rows.every(isPlainRow);

/**
 * A rows envelope the pipe would accept: exactly one own member, `rows` (a non-empty list of row objects) or
 * `inputs` (the same, or one row object), and rows without keys named like Object.prototype members. Such a body
 * skips class-transformer and class-validator; its rows are validated by the model's rules.
 */
const isRowsEnvelope = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if ((key !== 'rows' && key !== 'inputs') || !Object.hasOwn(value, key)) return false;
  const { rows, inputs } = value as { rows?: unknown; inputs?: unknown };
  if ((rows === undefined) === (inputs === undefined)) return false; // neither or both: the pipe names the rule
  return rows !== undefined ? isRowList(rows) : isRowList(inputs) || isPlainRow(inputs);
};

/** `inputs`: one row object, or a non-empty list of row objects. */
function IsRowOrRows(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isRowOrRows',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value)
            ? value.length > 0 && value.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))
            : typeof value === 'object' && value !== null,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be a row object or a non-empty array of row objects`,
      },
    });
}

/**
 * `POST /predict/<model>`: one row. Whatever was sent passes the pipe untouched: the served version's validator
 * checks it (an object of its input fields, keys named like Object.prototype members and nesting included), so the
 * body is not scanned twice on the hot path.
 */
@Prechecked(() => true)
export class PredictRowBody {}

/**
 * The body of every multi-row route (`/predict/<model>/batch`, `/batch_predict`, `/models/<model>/predict`):
 * `{"rows": [row, …]}`, or the alias `{"inputs": [row, …]}` / `{"inputs": row}`. Exactly one of the two.
 */
@Prechecked(isRowsEnvelope)
export class RowsEnvelopeDto {
  /** Up to MAX_BATCH_ROWS rows of the model's input fields (see its schema under `models`). */
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'The rows (the envelope)' })
  // class-validator runs the decorators bottom-up: with stopAtFirstError, the first rule broken is the one named.
  @ValidateIf((body: RowsEnvelopeDto) => body.inputs === undefined)
  @IsObject({ each: true })
  @ArrayNotEmpty()
  @IsArray({ message: 'rows must be an array of row objects (or send inputs)' })
  rows?: object[];

  /** Alias of `rows`, as KServe V1 and MLflow name it: a list of rows, or one row object. */
  @ApiPropertyOptional({
    oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }],
    description: 'Alias of rows: a list of rows or one row object',
  })
  @ValidateIf((body: RowsEnvelopeDto) => body.inputs !== undefined)
  @IsRowOrRows()
  @NotWith('rows', 'are the same envelope')
  inputs?: unknown;
}

export class RecentPredictionsQueryDto {
  @IsOptional()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name (lowercase letters, digits, - and _)' })
  model?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}

export class ValuePredictionDto {
  /** The model's output in its unit (MedHouseVal in $100k for housing). */
  value!: number;
  unit!: string;
  /** The definition's `target.also` fields: the value × a factor, rounded (housing's `dollars`). */
  dollars?: number;
}

export class ClassPredictionDto {
  label!: string;
  /** Probability of every class. */
  probabilities!: Record<string, number>;
}

/** The traffic policy a request was served under, when one other than the default is in force. */
export class AnswerPolicyDto {
  @ApiProperty({ enum: TRAFFIC_MODES })
  mode!: TrafficMode;
  /** The policy's id (see GET /models/:name/traffic). */
  id!: number;
}

export class AnswerHead {
  model!: string;
  /** The version that answered (also in the x-model-version header). */
  version!: number;
  /** `champion` when the champion answered; null when another version of a split (canary, ab) did. */
  @ApiProperty({ type: String, nullable: true, example: 'champion' })
  alias!: string | null;
  /** The request's id: send it back with `POST /feedback` to report the true value. */
  requestId!: string;
  @ApiPropertyOptional({ type: AnswerPolicyDto })
  policy?: AnswerPolicyDto;
}

export class PredictionDto extends AnswerHead {
  /** A value (regression) or a label with the probability of every class (classification). */
  @ApiProperty({
    oneOf: [{ $ref: '#/components/schemas/ValuePredictionDto' }, { $ref: '#/components/schemas/ClassPredictionDto' }],
  })
  prediction!: ValuePredictionDto | ClassPredictionDto;
  /**
   * With `?explain=true`: `{space, base, contributions: {<input field>: n}, features: {<model feature>: n}}`, base +
   * Σ contributions = the prediction (`space` output) or its margin; a classifier has one such object per class
   * under `classes`.
   */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  explanation?: object;
}

export class BatchPredictionDto extends AnswerHead {
  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [{ $ref: '#/components/schemas/ValuePredictionDto' }, { $ref: '#/components/schemas/ClassPredictionDto' }],
    },
  })
  predictions!: (ValuePredictionDto | ClassPredictionDto)[];
  /** With `?explain=true`: one explanation per row (see PredictionDto.explanation). */
  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  explanations?: object[];
}

/** One logged prediction request. */
export class LoggedPredictionDto {
  id!: number;
  createdAt!: Date;
  model!: string;
  version!: number;
  requestId!: string;
  /** Predicted rows in the request. */
  rowCount!: number;
  /** The validated input rows (a missing optional field reads null). */
  @ApiProperty({ type: 'array', items: { type: 'object' } })
  inputs!: object[];
  /** The model's output for each row, in order: the value in the model's unit (regression) or the class with its probabilities (classification). */
  @ApiProperty({ type: 'array', items: {} })
  outputs!: unknown[];
  /** Time spent predicting, for the whole request. */
  latencyMs!: number;
  /** The client's `x-prediction-id`, if it sent one. */
  @ApiProperty({ type: String, nullable: true })
  predictionId!: string | null;
  /** The traffic policy the request was served under: its id (0: the default) and mode. */
  policyId!: number;
  policy!: string;
  /** True for a shadow version's predictions of the request (the answer is the entry with the same request id). */
  shadow!: boolean;
  /** The client's address: the connection's peer, or the `x-forwarded-for` client behind trusted proxies (TRUST_PROXY). */
  @ApiProperty({ type: String, nullable: true })
  clientAddress!: string | null;

  static from(row: PredictionEntity): LoggedPredictionDto {
    const { modelName, modelVersion, inputs, ...rest } = row;
    return { ...rest, model: modelName, version: modelVersion, inputs: expandInputs(inputs) };
  }
}
