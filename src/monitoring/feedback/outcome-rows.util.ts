import type { FeedbackOutcomeDto } from './dto/feedback.dto';
import type { LogEntry, NewFeedbackRows, NewOutcome, OutcomeRow } from './feedback.repository';
import type { LogJoin } from './log-join.util';
import { Actual, rowOutcome } from './outcome.util';

/**
 * The rows one ground truth is stored as: the feedback of (primary log entry, row), and one outcome for each entry
 * of the join whose output fits the truth (the primary's always does: it was checked).
 */
export function feedbackRows(
  { primary, shadows }: LogJoin,
  row: number,
  actual: Actual,
  receivedAt: Date,
): NewFeedbackRows {
  return {
    feedback: {
      logId: primary.id,
      requestId: primary.requestId,
      rowIndex: row,
      actualValue: typeof actual === 'number' ? actual : null,
      actualLabel: typeof actual === 'string' ? actual : null,
      receivedAt,
    },
    outcomes: [primary, ...shadows].flatMap((entry) => outcomeRows(entry, row, actual, receivedAt)),
  };
}

/** The outcome row of one log entry's prediction of `row` (none when its output does not fit the truth). */
export function outcomeRows(entry: LogEntry, row: number, actual: Actual, receivedAt: Date): NewOutcome[] {
  const outcome = rowOutcome(Array.isArray(entry.outputs) ? entry.outputs[row] : undefined, actual);
  if (!outcome) return [];
  const regression = outcome.task === 'regression' ? outcome : undefined;
  const classification = outcome.task === 'classification' ? outcome : undefined;
  return [
    {
      logId: entry.id,
      modelName: entry.modelName,
      modelVersion: entry.modelVersion,
      policyId: entry.policyId,
      policy: entry.policy,
      shadow: entry.shadow,
      predictedAt: entry.createdAt,
      receivedAt,
      predictedValue: regression?.predicted ?? null,
      actualValue: regression?.actual ?? null,
      squaredError: regression?.squaredError ?? null,
      absoluteError: regression?.absoluteError ?? null,
      predictedLabel: classification?.predicted ?? null,
      actualLabel: classification?.actual ?? null,
      correct: classification?.correct ?? null,
      logLoss: classification?.logLoss ?? null,
    },
  ];
}

/** The answer's view of a stored outcome row. */
export function outcomeDto(row: OutcomeRow): FeedbackOutcomeDto {
  const regression = row.predictedValue !== null;
  return {
    version: row.modelVersion,
    policy: row.policy,
    policyId: row.policyId,
    role: row.shadow ? 'shadow' : 'primary',
    predicted: regression ? Number(row.predictedValue) : String(row.predictedLabel),
    actual: regression ? Number(row.actualValue) : String(row.actualLabel),
    ...(regression
      ? { squaredError: Number(row.squaredError), absoluteError: Number(row.absoluteError) }
      : { correct: Boolean(row.correct), logLoss: Number(row.logLoss) }),
  };
}
