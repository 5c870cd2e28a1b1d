import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FieldProblem } from '../common/errors/domain.error';
import { RequestValidationError } from '../common/errors/request-validation.error';
import { HOUSING_MODEL } from '../data/housing/housing.feature-spec';
import { IRIS_MODEL } from '../data/iris/iris.data';
import { ModelNotFoundError } from '../registry/registry.errors';
import { HOUSING_ROW_CHECK, HousingInputDto } from './dto/housing-input.dto';
import { IRIS_ROW_CHECK, IrisInputDto } from './dto/iris-input.dto';
import type { RowCheck } from './row-check.util';

/** The request DTO of each model's input row: the same class-validator rules as the typed routes. */
export const INPUT_DTOS: Record<string, ClassConstructor<object>> = {
  [HOUSING_MODEL]: HousingInputDto,
  [IRIS_MODEL]: IrisInputDto,
};

/** The same rules compiled into one function per model (see compileRowCheck). */
const ROW_CHECKS: Record<string, RowCheck> = { [HOUSING_MODEL]: HOUSING_ROW_CHECK, [IRIS_MODEL]: IRIS_ROW_CHECK };

const MAX_REPORTED_PROBLEMS = 50;

/**
 * Validates rows that arrive in another shape (MLflow, Open Inference, the generic route) exactly as the typed
 * routes validate their bodies; throws one RequestValidationError naming each bad field as `<path>[i].<field>`.
 * (Keys named like Object.prototype members never get here: the global pipe refuses them in every body.)
 */
export function validateRows(model: string, rows: readonly unknown[], path: string): object[] {
  const dto = INPUT_DTOS[model] as ClassConstructor<object> | undefined;
  if (!dto) throw new ModelNotFoundError(model, Object.keys(INPUT_DTOS));
  if (rows.every(ROW_CHECKS[model])) return rows as object[];
  const problems: FieldProblem[] = [];
  const valid = rows.map((row, i) => {
    const at = `${path}[${i}]`;
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      problems.push({ field: at, rule: 'isObject', message: `${at} must be an object of input fields` });
      return row as object;
    }
    const instance = plainToInstance(dto, row);
    const errors = validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
    });
    if (errors.length > 0) problems.push(...(RequestValidationError.fromValidationErrors(errors, at).errors ?? []));
    return instance;
  });
  if (problems.length > 0) throw new RequestValidationError(problems.slice(0, MAX_REPORTED_PROBLEMS));
  return valid;
}
