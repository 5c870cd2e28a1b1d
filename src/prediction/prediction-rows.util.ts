import type { Predictions, ServedModel } from '../registry/served-model';

/** A regression answer: the value in the model's unit ($100k for housing), and the definition's `also` fields. */
export interface ValuePrediction {
  value: number;
  unit: string;
  [also: string]: number | string;
}

/** A classification answer: the class and the probability of every class. */
export interface ClassPrediction {
  label: string;
  probabilities: Record<string, number>;
}

export type RowPrediction = ValuePrediction | ClassPrediction;

/** The answer rows of a version's output, and its raw outputs (values, or labels). */
export function answerRows(
  served: ServedModel,
  output: Predictions,
): { rows: RowPrediction[]; raw: (number | string)[] } {
  if (output.task === 'regression') {
    const raw = Array.from(output.values);
    const unit = served.spec.target.unit;
    const rows = raw.map((value) => {
      const row: ValuePrediction = { value, unit };
      for (const [name, factor] of served.also) row[name] = Math.round(value * factor);
      return row;
    });
    return { rows, raw };
  }
  const classes = served.spec.classes ?? [];
  const rows = output.labels.map((label, i) => ({
    label,
    probabilities: Object.fromEntries(classes.map((c, j) => [c, output.probabilities[i][j]])),
  }));
  return { rows, raw: output.labels };
}
