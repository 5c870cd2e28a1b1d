import { FlatTree } from './flat-tree';
import { ModelFormatError } from './model-format.error';
import { nextUp, TreeEnsemble } from './tree-ensemble';

// x0 <= 0.5 ? (x1 <= 2 ? 10 : 20) : 30; NaN in x0 goes right, NaN in x1 goes left.
const tree: FlatTree = {
  nOutputs: 1,
  feature: Int32Array.from([0, 1, -1, -1, -1]),
  threshold: Float64Array.from([0.5, 2, 0, 0, 0]),
  left: Int32Array.from([1, 3, -1, -1, -1]),
  defaultLeft: Uint8Array.from([0, 1, 0, 0, 0]),
  value: Float64Array.from([0, 0, 30, 10, 20]),
};

describe('TreeEnsemble', () => {
  it.each([
    ['the shared kernel', false],
    ['a compiled kernel', true],
  ])('walks flat arrays with <= thresholds and learned NaN directions, in both code paths (%s)', (_, compiled) => {
    const rows = [
      [0.5, 2],
      [0.5, 2.1],
      [0.51, -5],
      [NaN, 0],
      [0, NaN],
      [Infinity, 0],
      [-Infinity, Infinity],
      [0.2, 1],
      [0.2, 3],
    ];
    const expected = [10, 20, 30, 30, 10, 30, 20, 10, 20];
    const ensemble = new TreeEnsemble([tree, tree], Int32Array.from([0, 0]), 1, 2, 1);
    if (compiled) ensemble.compile();
    // Repeat the rows so whole 8-row groups take the fast path when a block has only finite values.
    const finite = [0, 1, 2, 7, 8, 0, 1, 2, 7, 8];
    const X = Float64Array.from(finite.flatMap((i) => rows[i]));
    const out = new Float64Array(finite.length);
    ensemble.accumulate(X, finite.length, out);
    expect(Array.from(out)).toEqual(finite.map((i) => 2 * expected[i]));

    const all = new Float64Array(rows.length);
    ensemble.accumulate(Float64Array.from(rows.flat()), rows.length, all);
    expect(Array.from(all)).toEqual(expected.map((v) => 2 * v));
  });

  it('adds trees into their output columns', () => {
    const ensemble = new TreeEnsemble([tree, tree, tree], Int32Array.from([0, 1, 1]), 1, 2, 2);
    const out = new Float64Array(2);
    ensemble.accumulate(Float64Array.from([0.9, 0]), 1, out);
    expect(Array.from(out)).toEqual([30, 60]);
  });

  it('a compiled kernel adds the same multi-output leaves into the same columns as the shared one', () => {
    const twoOutputs: FlatTree = {
      ...tree,
      nOutputs: 2,
      value: Float64Array.from([0, 0, 0, 0, 30, 31, 10, 11, 20, 21]),
    };
    const rows = Float64Array.from({ length: 2 * 21 }, (_, i) => ((i * 7919) % 13) / 4 - 1);
    const shared = new TreeEnsemble([twoOutputs, twoOutputs], Int32Array.from([0, 2]), 2, 2, 4);
    const compiled = new TreeEnsemble([twoOutputs, twoOutputs], Int32Array.from([0, 2]), 2, 2, 4).compile();
    const [a, b] = [new Float64Array(21 * 4), new Float64Array(21 * 4)];
    shared.accumulate(rows, 21, a);
    compiled.accumulate(rows, 21, b);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(new Set(a).size).toBeGreaterThan(3);
  });

  it.each([
    ['+Infinity', Infinity],
    ['NaN', NaN],
  ])('a %s threshold sends every value left, NaN included, whatever its learned direction', (_, threshold) => {
    // x0 <= threshold ? 1 : 2, NaN to the right: no value is greater than the threshold, so all go left.
    const degenerate: FlatTree = {
      nOutputs: 1,
      feature: Int32Array.from([0, -1, -1]),
      threshold: Float64Array.from([threshold, 0, 0]),
      left: Int32Array.from([1, -1, -1]),
      defaultLeft: Uint8Array.from([0, 0, 0]),
      value: Float64Array.from([0, 1, 2]),
    };
    const rows = [NaN, Infinity, -Infinity, 0, Number.MAX_VALUE, 1, 2, 3, 4];
    for (const compiled of [false, true]) {
      const ensemble = new TreeEnsemble([degenerate], Int32Array.from([0]), 1, 1, 1);
      if (compiled) ensemble.compile();
      const out = new Float64Array(rows.length);
      ensemble.accumulate(Float64Array.from(rows), rows.length, out);
      expect(Array.from(out)).toEqual(rows.map(() => 1));
    }
  });

  it.each([
    ['the same children', [1, 3, 3, -1, -1, -1]],
    ['overlapping children', [1, 3, 4, -1, -1, -1]],
  ])('rejects a tree where two nodes have %s', (_, left) => {
    const shared: FlatTree = {
      nOutputs: 1,
      feature: Int32Array.from([0, 0, 0, -1, -1, -1]),
      threshold: Float64Array.from([0, -1, 1, 0, 0, 0]),
      left: Int32Array.from(left),
      defaultLeft: Uint8Array.from([1, 1, 0, 0, 0, 0]),
      value: new Float64Array(6),
    };
    expect(() => new TreeEnsemble([tree, shared], Int32Array.from([0, 0]), 1, 2, 1)).toThrow(ModelFormatError);
  });

  it('nextUp gives the next double up, across zero and from the extremes', () => {
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-0)).toBe(Number.MIN_VALUE);
    expect(Object.is(nextUp(-Number.MIN_VALUE), -0)).toBe(true);
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(-1)).toBe(-1 + Number.EPSILON / 2);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
    expect(nextUp(-Infinity)).toBe(-Number.MAX_VALUE);
  });
});
