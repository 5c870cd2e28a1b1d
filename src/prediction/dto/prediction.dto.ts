import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ArrayNotEmpty, IsArray, IsInt, IsObject, IsOptional, Max, Min, Matches } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../definitions/dto/model-name.dto';
import { Prechecked } from '../../common/http/validation.pipe';
import { PredictionEntity } from '../entities/prediction.entity';
import { expandInputs } from '../prediction-log.codec';

/**
 * A batch body the pipe would accept: `{rows}` with rows that are objects without keys named like Object.prototype
 * members. Such a body skips class-transformer and class-validator; its rows are validated by the model's rules.
 */
const isBatchBody = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (key !== 'rows' || !Object.hasOwn(value, key)) return false;
  const rows = (value as { rows?: unknown }).rows;
  if (!Array.isArray(rows) || rows.length === 0) return false;
  for (const row of rows) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
    for (const key in row) if (key in Object.prototype) return false;
  }
  return true;
};

/**
 * `POST /predict/<model>`: one row. Whatever was sent passes the pipe untouched: the served version's validator
 * checks it (an object of its input fields, keys named like Object.prototype members and nesting included), so the
 * body is not scanned twice on the hot path.
 */
@Prechecked(() => true)
export class PredictRowBody {}

/** `POST /predict/<model>/batch`: the rows of one request. */
@Prechecked(isBatchBody)
export class BatchPredictDto {
  /** Up to MAX_BATCH_ROWS rows of the model's input fields (see its schema under `models`). */
  @ApiProperty({ type: 'array', items: { type: 'object' } })
  @IsArray()
  @ArrayNotEmpty()
  @IsObject({ each: true })
  rows!: object[];
}

export class GenericPredictDto {
  /** One row (an object of input fields) or a list of rows, in the model's input fields. */
  @ApiProperty({
    oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }],
  })
  @Allow() // each row is validated against the served version's input rules
  inputs!: unknown;
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

class AnswerBase {
  model!: string;
  /** The version that answered (also in the x-model-version header). */
  version!: number;
  alias!: string;
  requestId!: string;
}

export class PredictionDto extends AnswerBase {
  /** A value (regression) or a label with the probability of every class (classification). */
  @ApiProperty({
    oneOf: [{ $ref: '#/components/schemas/ValuePredictionDto' }, { $ref: '#/components/schemas/ClassPredictionDto' }],
  })
  prediction!: ValuePredictionDto | ClassPredictionDto;
}

export class BatchPredictionDto extends AnswerBase {
  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [{ $ref: '#/components/schemas/ValuePredictionDto' }, { $ref: '#/components/schemas/ClassPredictionDto' }],
    },
  })
  predictions!: (ValuePredictionDto | ClassPredictionDto)[];
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

  static from(row: PredictionEntity): LoggedPredictionDto {
    const { modelName, modelVersion, inputs, ...rest } = row;
    return { ...rest, model: modelName, version: modelVersion, inputs: expandInputs(inputs) };
  }
}
