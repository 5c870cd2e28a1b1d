import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  Min,
  registerDecorator,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import type { FeatureSpec, InputField } from '../../data/feature-spec';

/** Strictly greater than `bound` (class-validator's Min is inclusive). */
export function IsGreaterThan(bound: number, options?: ValidationOptions): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'isGreaterThan',
      target: target.constructor,
      propertyName: String(property),
      constraints: [bound],
      options: { message: `${String(property)} must be greater than ${bound}`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'number' && value > bound },
    });
}

/** Strictly less than `bound` (class-validator's Max is inclusive). */
export function IsLessThan(bound: number, options?: ValidationOptions): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'isLessThan',
      target: target.constructor,
      propertyName: String(property),
      constraints: [bound],
      options: { message: `${String(property)} must be less than ${bound}`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'number' && value < bound },
    });
}

/** Not greater than another numeric property of the same object (e.g. total_bedrooms ≤ total_rooms). */
export function IsNotGreaterThanProperty(other: string, options?: ValidationOptions): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'isNotGreaterThanProperty',
      target: target.constructor,
      propertyName: String(property),
      constraints: [other],
      options: { message: `${String(property)} must not be greater than ${other}`, ...options },
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          const bound = (args.object as Record<string, unknown>)[other];
          return typeof value !== 'number' || typeof bound !== 'number' || value <= bound;
        },
      },
    });
}

function field(spec: FeatureSpec, name: string): InputField {
  const found = spec.inputs.find((f) => f.name === name);
  if (!found) throw new Error(`${spec.model} has no input field ${name}`);
  return found;
}

/**
 * Validation and OpenAPI documentation of one input field, both read from the feature spec: the same ranges and
 * categories that validate the training data validate requests, and the spec's example fills "Try it out".
 */
export function SpecField(spec: FeatureSpec, name: string): PropertyDecorator {
  const f = field(spec, name);
  const example = spec.example[name];
  const presence = f.required ? IsDefined() : IsOptional();
  if (f.type === 'category') {
    const docs = f.open
      ? ApiProperty({ description: f.description, type: String, example, required: f.required })
      : ApiProperty({ description: f.description, enum: [...f.categories], example, required: f.required });
    return applyDecorators(docs, presence, ...(f.open ? [IsString(), IsNotEmpty()] : [IsIn([...f.categories])]));
  }
  const docs = ApiProperty({
    description: f.unit ? `${f.description} (${f.unit})` : f.description,
    type: f.integer ? 'integer' : Number,
    minimum: f.min,
    exclusiveMinimum: f.min !== undefined ? f.minExclusive : undefined,
    maximum: f.max,
    exclusiveMaximum: f.max !== undefined ? f.maxExclusive : undefined,
    required: f.required,
    nullable: !f.required,
    example,
  });
  // Checked in this order, and the first broken rule is the one reported (stopAtFirstError).
  const rules = [
    IsNumber({ allowNaN: false, allowInfinity: false }),
    ...(f.integer ? [IsInt()] : []),
    ...(f.min === undefined ? [] : [f.minExclusive ? IsGreaterThan(f.min) : Min(f.min)]),
    ...(f.max === undefined ? [] : [f.maxExclusive ? IsLessThan(f.max) : Max(f.max)]),
  ];
  const relation = f.notGreaterThan ? [IsNotGreaterThanProperty(f.notGreaterThan)] : [];
  return applyDecorators(...relation, docs, presence, ...rules);
}
