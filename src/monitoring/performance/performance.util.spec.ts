import { figuresOf, holdoutMetricsOf, holdoutScoresOf, mergeSums } from './performance.util';

const sums = (samples: number, squaredError: number, absoluteError: number, correct = 0, logLoss = 0) => ({
  samples,
  squaredError,
  absoluteError,
  correct,
  logLoss,
});

describe('performance.util', () => {
  it('makes the task’s figures from sums: RMSE, MAE; accuracy, mean log loss', () => {
    expect(figuresOf('regression', sums(4, 1, 2))).toEqual({ samples: 4, rmse: 0.5, mae: 0.5 });
    expect(figuresOf('classification', sums(4, 0, 0, 3, 2))).toEqual({ samples: 4, accuracy: 0.75, logLoss: 0.5 });
    expect(figuresOf('regression', sums(0, 0, 0))).toEqual({ samples: 0 });
  });

  it('adds up the sums of rows with the same key, leaving the inputs alone', () => {
    const rows = [
      { key: 'a', ...sums(1, 1, 1, 1, 1) },
      { key: 'b', ...sums(2, 2, 2) },
      { key: 'a', ...sums(3, 3, 3, 0, 2) },
    ];
    expect(mergeSums(rows, (r) => r.key)).toEqual([
      { key: 'a', ...sums(4, 4, 4, 1, 3) },
      { key: 'b', ...sums(2, 2, 2) },
    ]);
    expect(rows[0].samples).toBe(1);
  });

  it('reports the holdout metrics with a live counterpart and the gate metric, from the run’s metric names', () => {
    expect(holdoutMetricsOf({ task: 'regression', gate: { metric: 'rmse' } })).toEqual(['rmse', 'mae']);
    expect(holdoutMetricsOf({ task: 'regression', gate: { metric: 'r2' } })).toEqual(['rmse', 'mae', 'r2']);
    expect(holdoutMetricsOf({ task: 'classification', gate: { metric: 'macro_f1' } })).toEqual([
      'accuracy',
      'log_loss',
      'macro_f1',
    ]);
    const stored = { accuracy: 0.96, logLoss: 0.12, macroF1: 0.95, confusionMatrix: [[1]] };
    expect(holdoutScoresOf(stored, ['accuracy', 'log_loss', 'macro_f1'])).toEqual([
      { metric: 'accuracy', value: 0.96 },
      { metric: 'log_loss', value: 0.12 },
      { metric: 'macro_f1', value: 0.95 },
    ]);
    expect(holdoutScoresOf({ rmse: 'n/a' }, ['rmse', 'mae'])).toEqual([]);
  });
});
