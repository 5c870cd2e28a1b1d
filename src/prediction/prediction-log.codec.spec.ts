import fc from 'fast-check';
import { HOUSING_SPEC } from '../../test/support/builtin-models';
import { encodeInputs, expandInputs, LoggedInputs } from './prediction-log.codec';

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

  it('expands back to one object per row', () => {
    const rows = [HOUSING_SPEC.example, { ...HOUSING_SPEC.example, total_bedrooms: null }];
    expect(expandInputs(JSON.parse(encodeInputs(fields, rows)))).toEqual(rows);
  });
});
