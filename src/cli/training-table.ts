import Table from 'cli-table3';
import type { RunEntity } from '../training/entities/run.entity';

const fixed = (value: unknown, digits: number): string => (typeof value === 'number' ? value.toFixed(digits) : '–');

/** Comparison table of runs: regression (RMSE, MAE, R²) or classification (accuracy, macro-F1, log loss) metrics. */
export function trainingTable(runs: RunEntity[]): string {
  const classification = runs.some((run) => run.metrics && 'accuracy' in run.metrics);
  const metricNames = classification ? ['accuracy', 'macroF1', 'logLoss'] : ['rmse', 'mae', 'r2'];
  const heads = classification ? ['accuracy', 'macro-F1', 'log loss'] : ['RMSE', 'MAE', 'R²'];
  const table = new Table({
    head: ['candidate', ...heads, 'train s', 'predict µs/row', 'status'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [] },
  });
  for (const run of runs) {
    const metrics = run.metrics ?? {};
    table.push([
      run.candidate,
      ...metricNames.map((name) => fixed(metrics[name], 4)),
      fixed(run.trainSeconds, 2),
      fixed(run.predictMicrosPerRow, 2),
      run.status,
    ]);
  }
  return table.toString();
}
