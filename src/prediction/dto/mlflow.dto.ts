import { IsOptional, Matches } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../registry/dto/model.dto';

export class MlflowQueryDto {
  /** The model to score with (default california-housing). */
  @IsOptional()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name' })
  model?: string;
}

export class MlflowAnswerDto {
  /** One output per row: MedHouseVal in $100k for housing, the species for iris. */
  predictions!: (number | string)[];
}
