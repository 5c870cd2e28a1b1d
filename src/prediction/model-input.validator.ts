import { pascalCase } from '../common/text/pascal-case.util';
import { Injectable } from '@nestjs/common';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FieldProblem } from '../common/errors/domain.error';
import { RequestValidationError } from '../common/errors/request-validation.error';
import { inheritedKeyProblems } from '../common/http/inherited-keys.util';
import { inSpan } from '../common/tracing/tracing';
import type { FeatureSpec } from '../data/feature-spec';
import { definitionInputs } from '../data/pipeline/definition-pipeline';
import type { ModelDefinition } from '../definitions/model-definition';
import type { ServedModel } from '../registry/served-model';
import { SpecField } from './dto/spec-field.decorator';
import { compileRowCheck, RowCheck } from './row-check.util';

const MAX_REPORTED_PROBLEMS = 50;

/**
 * The request DTO of a model's input row, built from its resolved spec: one property per input field with the
 * class-validator rules (and OpenAPI metadata) of `SpecField`, exactly as a hand-written DTO would declare them.
 */
export function buildInputDto(spec: FeatureSpec): ClassConstructor<object> {
  const dto = class {};
  Object.defineProperty(dto, 'name', { value: `${pascalCase(spec.model)}Input` });
  for (const field of spec.inputs) SpecField(spec, field.name)(dto.prototype, field.name);
  return dto;
}

/**
 * Validates the input rows of one model version: a compiled check answers yes or no per row (the fast path); a row
 * it refuses is validated again by class-validator against the version's DTO to name each field and broken rule.
 * Problems are named `<at(i)>.<field>` (`rows.0.latitude`, `rows[0].latitude`, or `latitude` for a lone row).
 * Keys named like Object.prototype members and too deep nesting are refused first (class-validator misses them).
 */
export class ModelInputValidator {
  readonly check: RowCheck;
  readonly dto: ClassConstructor<object>;

  constructor(spec: FeatureSpec) {
    this.check = compileRowCheck(spec);
    this.dto = buildInputDto(spec);
  }

  /** The rows, checked (a `validation` span with tracing on); RequestValidationError naming each bad field. */
  validate(rows: readonly unknown[], at: (i: number) => string): object[] {
    return inSpan('validation', { 'mlops.rows': rows.length }, () => this.checked(rows, at));
  }

  private checked(rows: readonly unknown[], at: (i: number) => string): object[] {
    if (rows.every(this.check)) return rows as object[];
    const problems: FieldProblem[] = [];
    rows.forEach((row, i) => {
      if (this.check(row)) return;
      const path = at(i);
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        const field = path || 'body';
        problems.push({ field, rule: 'isObject', message: `${field} must be an object of input fields` });
        return;
      }
      const inherited = inheritedKeyProblems(row, path);
      if (inherited.length > 0) {
        problems.push(...inherited);
        return;
      }
      const errors = validateSync(plainToInstance(this.dto, row), {
        whitelist: true,
        forbidNonWhitelisted: true,
        forbidUnknownValues: true,
        stopAtFirstError: true,
      });
      problems.push(...(RequestValidationError.fromValidationErrors(errors, path).errors ?? []));
    });
    if (problems.length > 0) throw new RequestValidationError(problems.slice(0, MAX_REPORTED_PROBLEMS));
    return rows as object[];
  }
}

/**
 * One validator per served version, compiled when the version is first asked for and dropped with it; and one per
 * definition for requests to a model that no version serves yet (they still get their 400 before the 503).
 */
@Injectable()
export class InputValidators {
  private readonly validators = new WeakMap<ServedModel | ModelDefinition, ModelInputValidator>();

  for(served: ServedModel): ModelInputValidator {
    return this.cached(served, () => served.spec);
  }

  forDefinition(definition: ModelDefinition): ModelInputValidator {
    return this.cached(definition, () => ({
      model: definition.name,
      task: definition.task,
      inputs: definitionInputs(definition),
      features: [],
      target: { name: definition.target.output, unit: definition.target.unit, description: '' },
      example: definition.example ?? {},
    }));
  }

  private cached(key: ServedModel | ModelDefinition, spec: () => FeatureSpec): ModelInputValidator {
    let validator = this.validators.get(key);
    if (!validator) {
      validator = new ModelInputValidator(spec());
      this.validators.set(key, validator);
    }
    return validator;
  }
}
