import { inheritedKeyProblems, MAX_BODY_DEPTH } from './inherited-keys.util';

describe('inheritedKeyProblems', () => {
  it('names every key that shadows an Object.prototype member, at any depth', () => {
    const body = JSON.parse('{"rows":[{"a":1,"constructor":null},{"__proto__":{"hasOwnProperty":1}}],"toString":"x"}');
    expect(inheritedKeyProblems(body).map((p) => [p.field, p.rule])).toEqual(
      expect.arrayContaining([
        ['toString', 'whitelistValidation'],
        ['rows.0.constructor', 'whitelistValidation'],
        ['rows.1.__proto__', 'whitelistValidation'],
        ['rows.1.__proto__.hasOwnProperty', 'whitelistValidation'],
      ]),
    );
  });

  it('finds nothing in an ordinary body, and treats array indices as indices', () => {
    expect(inheritedKeyProblems({ rows: [{ length: 1, value: 2 }], name: 'x' })).toEqual([]);
    expect(inheritedKeyProblems([1, [2, { a: null }]])).toEqual([]);
    expect(inheritedKeyProblems('constructor')).toEqual([]);
  });

  it('refuses nesting deeper than the limit without recursing (a 100,000-level body)', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(inheritedKeyProblems(deep)).toEqual([expect.objectContaining({ rule: 'maxDepth' })]);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH; i++) ok = [ok];
    expect(inheritedKeyProblems(ok)).toEqual([]);
  });
});
