import { Matches } from 'class-validator';

/** A model name (or alias) as it may appear in a path or query; unknown names are answered with 404. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class ModelNameParamDto {
  @Matches(MODEL_NAME_PATTERN, { message: 'name must be a model name (lowercase letters, digits, - and _)' })
  name!: string;
}
