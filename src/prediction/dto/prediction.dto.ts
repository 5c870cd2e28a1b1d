import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ArrayNotEmpty, IsArray, IsIn, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { DATASET_NAMES } from '../../data/dto/dataset.dto';
import { HOUSING_SPEC } from '../../data/housing/housing.feature-spec';
import { IRIS_SPEC } from '../../data/iris/iris.data';
import { PredictionEntity } from '../entities/prediction.entity';
import { HousingInputDto } from './housing-input.dto';
import { IrisInputDto } from './iris-input.dto';

export class HousingBatchDto {
  /** Up to MAX_BATCH_ROWS block groups. */
  @ApiProperty({
    type: [HousingInputDto],
    example: [HOUSING_SPEC.example, { ...HOUSING_SPEC.example, median_income: 2.5 }],
  })
  @IsArray()
  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => HousingInputDto)
  rows!: HousingInputDto[];
}

export class IrisBatchDto {
  @ApiProperty({ type: [IrisInputDto], example: [IRIS_SPEC.example] })
  @IsArray()
  @ArrayNotEmpty()
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

export class LoggedPredictionDto {
  id!: number;
  createdAt!: Date;
  model!: string;
  version!: number;
  requestId!: string;
  inputs!: object;
  output!: object;
  latencyMs!: number;

  static from(row: PredictionEntity): LoggedPredictionDto {
    const { modelName, modelVersion, ...rest } = row;
    return { ...rest, model: modelName, version: modelVersion };
  }
}
