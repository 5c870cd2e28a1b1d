import { actualProblem, LOG_LOSS_EPSILON, MAX_ABS_VALUE, outputTask, rowOutcome, sameActual } from './outcome.util';

const iris = { label: 'setosa', probabilities: { setosa: 0.9, versicolor: 0.1, virginica: 0 } };

describe('outcome.util', () => {
  it('tells the task from the logged output', () => {
    expect(outputTask(2.5)).toBe('regression');
    expect(outputTask(iris)).toBe('classification');
    for (const damaged of [undefined, null, 'x', Number.NaN, [], { label: 1 }, { label: 'a' }]) {
      expect(outputTask(damaged)).toBeUndefined();
    }
  });

  it('computes the regression error as predicted − actual, squared and absolute', () => {
    expect(rowOutcome(2.5, 3)).toEqual({
      task: 'regression',
      predicted: 2.5,
      actual: 3,
      squaredError: 0.25,
      absoluteError: 0.5,
    });
    expect(rowOutcome(1, 1)).toMatchObject({ squaredError: 0, absoluteError: 0 });
  });

  it('scores a label: correct when equal to the prediction, log loss −ln(max(p, 1e-15))', () => {
    const right = rowOutcome(iris, 'setosa');
    expect(right).toMatchObject({ task: 'classification', predicted: 'setosa', actual: 'setosa', correct: true });
    expect(right && right.task === 'classification' && right.logLoss).toBeCloseTo(-Math.log(0.9), 15);
    expect(rowOutcome(iris, 'versicolor')).toMatchObject({ correct: false, logLoss: -Math.log(0.1) });
    // p = 0 is clipped: the loss is finite.
    expect(rowOutcome(iris, 'virginica')).toMatchObject({ correct: false, logLoss: -Math.log(LOG_LOSS_EPSILON) });
    // p = 1 (or rounded above) gives 0, never −0.
    const certain = rowOutcome({ label: 'a', probabilities: { a: 1.0000000000000002 } }, 'a');
    expect(Object.is(certain && certain.task === 'classification' && certain.logLoss, 0)).toBe(true);
  });

  it('gives no outcome when the truth is not of the output’s task', () => {
    expect(rowOutcome(2.5, 'setosa')).toBeUndefined();
    expect(rowOutcome(2.5, Number.POSITIVE_INFINITY)).toBeUndefined();
    // Values beyond ±1e12 are not compared: no squared error overflows (1e154² is Infinity) or swamps the sums.
    expect(rowOutcome(2.5, 1e154)).toBeUndefined();
    expect(rowOutcome(1e200, 1)).toBeUndefined();
    expect(outputTask(-2e12)).toBeUndefined();
    expect(rowOutcome(-MAX_ABS_VALUE, MAX_ABS_VALUE)).toMatchObject({ squaredError: 4e24 });
    expect(rowOutcome(iris, 1)).toBeUndefined();
    expect(rowOutcome('damaged', 1)).toBeUndefined();
  });

  it('names the field and rule of an actual that does not fit, listing the classes but not the value', () => {
    expect(actualProblem(2.5, 3)).toBeUndefined();
    expect(actualProblem(iris, 'virginica')).toBeUndefined();
    for (const huge of [1e12 + 1e-3 * 2 ** 20, -1e13, 1e154, Number.MAX_VALUE]) {
      const problem = actualProblem(2.5, huge);
      expect(problem).toEqual({ field: 'actual', rule: 'range', message: expect.stringContaining('1e12') });
      expect(problem?.message).not.toContain(String(huge));
    }
    expect(actualProblem(2.5, Number.NaN)).toMatchObject({ rule: 'isFiniteNumber' });
    expect(actualProblem(2.5, 'zz-secret')).toEqual({
      field: 'actual',
      rule: 'isFiniteNumber',
      message: expect.stringContaining('finite number'),
    });
    const problem = actualProblem(iris, 'zz-secret', 'items.3.actual');
    expect(problem).toEqual({
      field: 'items.3.actual',
      rule: 'isClassLabel',
      message: expect.stringContaining('(setosa, versicolor, virginica)'),
    });
    expect(problem?.message).not.toContain('zz-secret');
    expect(actualProblem(iris, 2)).toMatchObject({ rule: 'isClassLabel' });
    const many = { label: 'c0', probabilities: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`c${i}`, 0])) };
    expect(actualProblem(many, 'x')?.message).toContain('c19, …)');
  });

  it('compares a stored truth with one sent again', () => {
    expect(sameActual({ actualValue: 2.31, actualLabel: null }, 2.31)).toBe(true);
    expect(sameActual({ actualValue: 2.31, actualLabel: null }, 2.32)).toBe(false);
    expect(sameActual({ actualValue: null, actualLabel: 'setosa' }, 'setosa')).toBe(true);
    expect(sameActual({ actualValue: null, actualLabel: 'setosa' }, 'virginica')).toBe(false);
  });
});
