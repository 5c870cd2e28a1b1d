import { IsIn, IsOptional } from 'class-validator';
import { DATASET_NAMES } from '../../data/dto/dataset.dto';

export class MlflowQueryDto {
  /** The model to score with (default california-housing). */
  @IsOptional()
  @IsIn(DATASET_NAMES)
  model?: string;
}

export class MlflowAnswerDto {
  /** One output per row: MedHouseVal in $100k for housing, the species for iris. */
  predictions!: (number | string)[];
}
