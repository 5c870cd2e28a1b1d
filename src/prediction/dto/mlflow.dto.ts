import { IsIn, IsOptional, Matches } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../definitions/dto/model-name.dto';

export class MlflowQueryDto {
  /** The model to score with, by name or alias (default DEFAULT_MODEL). */
  @IsOptional()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name' })
  model?: string;

  /** `true`: answer with each row's feature contributions too (`explanations`). */
  @IsOptional()
  @IsIn(['true', 'false', '1', '0'], { message: 'explain must be true or false (or 1 or 0)' })
  explain?: string;
}

export class MlflowAnswerDto {
  /** One output per row: the value in the model's unit (regression) or the class label (classification). */
  predictions!: (number | string)[];
  /** With `?explain=true`: one explanation per row (as in `POST /predict/:name?explain=true`). */
  explanations?: object[];
}
