import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { inheritedKeyProblems } from '../common/http/inherited-keys.util';
import { precheckOf } from '../common/http/validation.pipe';
import type { FeatureSpec, InputField } from '../data/feature-spec';
import { HOUSING_SPEC, IRIS_SPEC } from '../../test/support/builtin-models';
import { RowsEnvelopeDto } from './dto/prediction.dto';
import { buildInputDto } from './model-input.validator';
import { compileRowCheck } from './row-check.util';

/** A spec with the rules the built-in models do not use: integers, exclusive upper bounds, optional categories. */
const OTHER_SPEC: FeatureSpec = {
  model: 'other',
  task: 'regression',
  inputs: [
    { name: 'count', type: 'number', required: true, integer: true, min: 0, max: 10, unit: '', description: 'count' },
    { name: 'share', type: 'number', required: false, min: 0, max: 1, maxExclusive: true, unit: '', description: 's' },
    { name: 'kind', type: 'category', required: false, categories: ['a', 'b'], description: 'kind' },
  ],
  features: [],
  target: { name: 'y', unit: '', description: '' },
  example: { count: 1, share: 0.5, kind: 'a' },
};

/**
 * What the global pipe decides for a body of this DTO without the precompiled check: the inherited-key scan, then
 * class-validator with the pipe's options.
 */
function classValidatorAccepts(dto: new () => object, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || inheritedKeyProblems(value).length > 0) return false;
  const errors = validateSync(plainToInstance(dto, value), {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
  });
  return errors.length === 0;
}

const odd = fc.constantFrom<unknown>(null, undefined, '1', '', 'NaN', 'Infinity', true, [], {}, [1], { value: 1 });

function valueOf(field: InputField): fc.Arbitrary<unknown> {
  if (field.type === 'category') {
    return fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom<unknown>(...field.categories) },
      { weight: 1, arbitrary: fc.oneof(fc.string(), odd, fc.constantFrom('inland', ` ${field.categories[0]}`)) },
    );
  }
  const min = field.min ?? -1e6;
  const max = field.max ?? 1e6;
  return fc.oneof(
    { weight: 40, arbitrary: field.integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true }) },
    ...(field.integer ? [{ weight: 2, arbitrary: fc.double({ min, max, noNaN: true }) }] : []),
    { weight: 1, arbitrary: fc.constantFrom(min, max, min - 1e-9, max + 1e-9, -0, 0, Number.MIN_VALUE, 1e308) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: odd },
  );
}

function rowOf(spec: FeatureSpec): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(spec.inputs.map((f) => [f.name, valueOf(f)]));
  const names = spec.inputs.map((f) => f.name);
  const row = fc.record(fields, { requiredKeys: [] });
  const extra = fc.dictionary(
    fc.oneof(fc.string(), fc.constantFrom('constructor', 'toString', 'hasOwnProperty', ...names)),
    fc.oneof(fc.double(), odd),
    { maxKeys: 2 },
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.record(fields) },
    { weight: 2, arbitrary: row },
    { weight: 1, arbitrary: fc.tuple(fc.record(fields), extra).map(([r, e]) => ({ ...e, ...r })) },
    { weight: 1, arbitrary: fc.oneof(odd, fc.array(fc.record(fields), { maxLength: 2 })) },
  );
}

describe('compileRowCheck', () => {
  it.each([
    ['california-housing', HOUSING_SPEC],
    ['iris', IRIS_SPEC],
    ['integers, exclusive bounds, optional categories', OTHER_SPEC],
  ] as const)('%s: accepts exactly the rows the DTO built from its spec accepts', (_name, spec) => {
    const check = compileRowCheck(spec);
    const dto = buildInputDto(spec);
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(rowOf(spec), (row) => {
        const expected = classValidatorAccepts(dto, row);
        if (expected) accepted++;
        else refused++;
        expect(check(row)).toBe(expected);
      }),
      { numRuns: 20_000, seed: 42 },
    );
    // Both verdicts are exercised often enough for a disagreement to show.
    expect(accepted).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(2000);
  });

  it('keeps the cross-field rule total_bedrooms ≤ total_rooms, and lets total_bedrooms be null or absent', () => {
    const check = compileRowCheck(HOUSING_SPEC);
    const example = HOUSING_SPEC.example;
    expect(check(example)).toBe(true);
    expect(check({ ...example, total_bedrooms: Number(example.total_rooms) + 1 })).toBe(false);
    expect(check({ ...example, total_bedrooms: null })).toBe(true);
    const { total_bedrooms: _omitted, ...withoutBedrooms } = example;
    expect(check(withoutBedrooms)).toBe(true);
    expect(check(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(example).slice(1)}`))).toBe(false);
  });
});

describe("RowsEnvelopeDto's precheck", () => {
  it('accepts exactly the envelopes the pipe accepts (the rows are validated by the model afterwards)', () => {
    const check = precheckOf(RowsEnvelopeDto) as (value: unknown) => boolean;
    const rows = fc.array(rowOf(HOUSING_SPEC), { maxLength: 3 });
    const member = fc.oneof(rows, rowOf(HOUSING_SPEC), odd, fc.array(odd));
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.record({ rows }) },
      { weight: 2, arbitrary: fc.record({ inputs: fc.oneof(rows, rowOf(HOUSING_SPEC)) }) },
      { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('rows', 'inputs', 'x'), member) },
      { weight: 1, arbitrary: odd },
    );
    let accepted = 0;
    fc.assert(
      fc.property(body, (value) => {
        const expected = classValidatorAccepts(RowsEnvelopeDto, value);
        if (expected) accepted++;
        expect(check(value)).toBe(expected);
      }),
      { numRuns: 5_000, seed: 7 },
    );
    expect(accepted).toBeGreaterThan(200);
  });
});
