import { formatSplitLabel, parseSplitLabel } from './split-label.util';

describe('split labels', () => {
  it('write and read back a seeded split and a split file', () => {
    expect(formatSplitLabel({ kind: 'seeded', seed: 42, testFraction: 0.2 })).toBe('seed:42/test:0.2');
    expect(parseSplitLabel('seed:42/test:0.2')).toEqual({ kind: 'seeded', seed: 42, testFraction: 0.2 });
    expect(formatSplitLabel({ kind: 'file', file: '/x/split.json' })).toBe('file:/x/split.json');
    expect(parseSplitLabel('file:/x/split.json')).toEqual({ kind: 'file', file: '/x/split.json' });
  });

  it('reads nothing from a label it never writes', () => {
    expect(parseSplitLabel('seed:x/test:0.2')).toBeUndefined();
    expect(parseSplitLabel('')).toBeUndefined();
  });
});
