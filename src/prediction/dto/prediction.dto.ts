import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { DATASET_NAMES } from '../../data/dto/dataset.dto';
import { HOUSING_SPEC } from '../../data/housing/housing.feature-spec';
import { IRIS_SPEC } from '../../data/iris/iris.data';
import { PredictionEntity } from '../entities/prediction.entity';
import { expandInputs } from '../prediction-log.codec';
import { Prechecked } from '../../common/http/validation.pipe';
import { compileBatchCheck } from '../row-check.util';
import { HOUSING_ROW_CHECK, HousingInputDto } from './housing-input.dto';
import { IRIS_ROW_CHECK, IrisInputDto } from './iris-input.dto';

@Prechecked(compileBatchCheck(HOUSING_ROW_CHECK))
export class HousingBatchDto {
  /** Up to MAX_BATCH_ROWS block groups. */
  @ApiProperty({
    type: [HousingInputDto],
    example: [HOUSING_SPEC.example, { ...HOUSING_SPEC.example, median_income: 2.5 }],
  })
  @IsArray()
  @ArrayNotEmpty()
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => HousingInputDto)
  rows!: HousingInputDto[];
}

@Prechecked(compileBatchCheck(IRIS_ROW_CHECK))
export class IrisBatchDto {
  @ApiProperty({ type: [IrisInputDto], example: [IRIS_SPEC.example] })
  @IsArray()
  @ArrayNotEmpty()
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => IrisInputDto)
  rows!: IrisInputDto[];
}

export class GenericPredictDto {
  /** One row (an object of input fields) or a list of rows, in the model's input fields. */
  @ApiProperty({
    oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }],
    example: HOUSING_SPEC.example,
  })
  @Allow() // each row is validated against the model's input DTO by validateRows
  inputs!: unknown;
}

export class RecentPredictionsQueryDto {
  @IsOptional()
  @IsIn(DATASET_NAMES)
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
  /** The same value in dollars (housing). */
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

export class HousingPredictionDto extends AnswerBase {
  prediction!: ValuePredictionDto;
}

export class HousingBatchPredictionDto extends AnswerBase {
  predictions!: ValuePredictionDto[];
}

export class IrisPredictionDto extends AnswerBase {
  prediction!: ClassPredictionDto;
}

export class IrisBatchPredictionDto extends AnswerBase {
  predictions!: ClassPredictionDto[];
}

export class GenericPredictionDto extends AnswerBase {
  @ApiProperty({ type: 'array', items: { type: 'object' } })
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
