import fc from 'fast-check';
import { HOUSING_SPEC } from '../../test/support/builtin-models';
import {
  encodeInputs,
  expandInputs,
  inputsText,
  LoggedInputs,
  PACK_FROM_ROWS,
  packInputs,
} from './prediction-log.codec';

/** The compact form built the obvious way. */
function toLoggedInputs(fields: readonly string[], rows: readonly object[]): LoggedInputs {
  return {
    fields: [...fields],
    rows: rows.map((row) => fields.map((f) => (row as Record<string, unknown>)[f] ?? null)),
  };
}

const fields = HOUSING_SPEC.inputs.map((f) => f.name);

describe('prediction-log codec', () => {
  it('writes exactly the JSON of the compact form, for any validated rows', () => {
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(null, undefined, -0, 0, 1e21, 5e-324),
      fc.string(),
    );
    const row = fc.dictionary(fc.constantFrom(...fields), value);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 5 }), (rows) => {
        const text = encodeInputs(fields, rows);
        expect(text).toBe(JSON.stringify(toLoggedInputs(fields, rows)));
        expect(expandInputs(JSON.parse(text) as LoggedInputs)).toHaveLength(rows.length);
      }),
      { numRuns: 2000, seed: 1 },
    );
  });

  it('writes the same text from packed rows, after the hop to the writer thread (a structured clone)', () => {
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(null, undefined, -0, 0, 1e21, 5e-324, NaN, Infinity, -Infinity),
      fc.string(),
    );
    const row = fc.dictionary(fc.constantFrom(...fields), value);
    fc.assert(
      fc.property(fc.array(row, { minLength: PACK_FROM_ROWS, maxLength: 3 * PACK_FROM_ROWS }), (rows) => {
        const packed = packInputs(fields, rows);
        expect(typeof packed).not.toBe('string');
        expect(inputsText(structuredClone(packed))).toBe(encodeInputs(fields, rows));
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it('keeps fewer rows than PACK_FROM_ROWS as their text', () => {
    const rows = Array.from({ length: PACK_FROM_ROWS - 1 }, () => HOUSING_SPEC.example);
    expect(packInputs(fields, rows)).toBe(encodeInputs(fields, rows));
    expect(inputsText(encodeInputs(fields, rows))).toBe(encodeInputs(fields, rows));
  });

  it('expands back to one object per row', () => {
    const rows = [HOUSING_SPEC.example, { ...HOUSING_SPEC.example, total_bedrooms: null }];
    expect(expandInputs(JSON.parse(encodeInputs(fields, rows)))).toEqual(rows);
  });
});
