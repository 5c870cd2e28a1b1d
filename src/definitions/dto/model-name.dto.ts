import { Matches } from 'class-validator';
import { Prechecked } from '../../common/http/validation.pipe';

/** A model name (or alias) as it may appear in a path or query; unknown names are answered with 404. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `{name}` and nothing else, the name matching the pattern (the prediction routes' path: checked per request). */
const isModelNameParam = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  const name = (value as { name?: unknown }).name;
  return keys.length === 1 && keys[0] === 'name' && typeof name === 'string' && MODEL_NAME_PATTERN.test(name);
};

@Prechecked(isModelNameParam)
export class ModelNameParamDto {
  @Matches(MODEL_NAME_PATTERN, { message: 'name must be a model name (lowercase letters, digits, - and _)' })
  name!: string;
}
