/**
 * A model definition after its document was validated and defaults were applied: everything model-specific in the
 * service is derived from one of these (data loading and validation, features, candidates, gate, drift thresholds,
 * retrain schedule, request validation, OpenAPI schemas, protocol metadata). Plain data: no code is evaluated.
 */

export type MlTask = 'regression' | 'classification';

/** How a missing value is filled in; the statistic is fitted on the training part of the split. */
export type ImputeStrategy =
  { strategy: 'median' | 'mean' | 'mode'; key?: string } | { strategy: 'constant'; value: number | string };

/** One input field: what a client sends and what a column of the data file holds. */
export interface InputFieldDefinition {
  name: string;
  type: 'number' | 'integer' | 'category';
  /** False when the value may be missing (empty cell, null or absent): it is then imputed. */
  required: boolean;
  /** Imputation of the raw value (optional fields only; a feature may impute its own value instead). */
  impute?: ImputeStrategy;
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive lower bound (`positive: true` is gt 0). */
  gt?: number;
  /** Exclusive upper bound. */
  lt?: number;
  /** Another numeric input this one may not exceed when both are present (total_bedrooms ≤ total_rooms). */
  notGreaterThan?: string;
  /** Known values of a category, in one-hot order; learned from the training part when absent. */
  values?: string[];
  unit?: string;
  description?: string;
}

/** A model column computed from the inputs (the vocabulary is closed: no expressions are evaluated). */
export type ColumnOperation =
  | { op: 'input'; field: string }
  | { op: 'ratio'; numerator: string; denominator: string }
  | { op: 'product'; fields: string[] }
  | { op: 'sum'; fields: string[] }
  | { op: 'difference'; minuend: string; subtrahend: string }
  | { op: 'log1p'; field: string }
  | { op: 'sqrt'; field: string }
  | { op: 'haversine_km'; lat: string; lon: string; toLat: number; toLon: number }
  | { op: 'rotate'; x: string; y: string; degrees: number }
  | NeighbourOperation
  | { op: 'one_hot'; field: string };

/** What a neighbours column computes over a row's k nearest training rows. */
export const NEIGHBOUR_STATS = ['mean', 'std', 'weighted_mean', 'max_km'] as const;
export type NeighbourStat = (typeof NEIGHBOUR_STATS)[number];

/**
 * A statistic of the k training rows nearest to the row's location (learned from the training part; the training
 * rows themselves get out-of-fold values): the mean, standard deviation or inverse-distance weighted mean of their
 * target (`of` absent) or of a numeric input field (`of`), optionally of its natural log (`log`), or the distance in
 * km to the k-th of them (`max_km`).
 */
export interface NeighbourOperation {
  op: 'neighbours';
  lat: string;
  lon: string;
  k: number;
  stat: NeighbourStat;
  /** A numeric input field; absent: the model's target (regression only). */
  of?: string;
  /** Of the value's natural log (values must be positive). */
  log?: boolean;
}

/** One model column (or, for one_hot, the prefix of one column per category value: `<name>=<value>`). */
export type ColumnDefinition = ColumnOperation & {
  name: string;
  description?: string;
  /** Imputation of the column's own value when one of its inputs is missing (numeric columns only). */
  impute?: ImputeStrategy;
};

export interface TargetDefinition {
  /** Column of the data file. */
  name: string;
  /** Regression: the model learns the value divided by this (median_house_value / 100000). */
  divideBy: number;
  /** Regression: the unit of the model's output (after divideBy). */
  unit: string;
  /** Name of the model's output (MedHouseVal); defaults to the column name. */
  output: string;
  description?: string;
  /** Regression: bounds a data row's target must respect. */
  min?: number;
  max?: number;
  gt?: number;
  lt?: number;
  /** Regression: extra fields of each answer, value × factor rounded to an integer (`dollars: 100000`). */
  also: Record<string, number>;
  /** Classification: class labels in model output order; learned (sorted) from the data when absent. */
  classes?: string[];
}

export type SourceDefinition =
  | { kind: 'file'; path: string; url?: string }
  | { kind: 'url'; url: string; path: string }
  | { kind: 'package'; package: string };

export type GateMetric = 'rmse' | 'mae' | 'r2' | 'accuracy' | 'macro_f1' | 'log_loss';

/** What a degraded champion's live error leads to: a retraining, a rollback when the previous champion did better. */
export type DegradationAction = 'retrain' | 'rollback_or_retrain' | 'none';

/** The online evaluation of a model: its experiments' decision rule and its live degradation check. */
export interface EvaluationSettings {
  /** Promote an experiment's challenger once it is better with `confidence` and each arm has `minSamples` rows. */
  autoPromote: boolean;
  /** Of the always-valid confidence sequence of the difference of mean losses (two-sided). */
  confidence: number;
  minSamples: number;
  /** An experiment that has not decided after this many days ends (the champion answers again). */
  maxDays: number;
  degradation: {
    /** Relative: degraded when live error > holdout error × (1 + margin) (RMSE, or log loss for classification). */
    margin: number;
    minSamples: number;
    /** The live window, and the cooldown between two degradation decisions. */
    windowHours: number;
    action: DegradationAction;
  };
}

export type EvaluationDefinition = Partial<Omit<EvaluationSettings, 'degradation'>> & {
  degradation?: Partial<EvaluationSettings['degradation']>;
};

export interface ModelDefinition {
  /** URL-safe: [a-z0-9][a-z0-9-]{0,62}. */
  name: string;
  task: MlTask;
  description?: string;
  /** Short names for the `/predict/<alias>` and `/predict/<alias>/batch` routes. */
  aliases: string[];
  source: SourceDefinition;
  /** CSV cell delimiter. */
  delimiter: string;
  target: TargetDefinition;
  /** The input fields a client sends, in this order. */
  features: InputFieldDefinition[];
  /** The model's columns, in order (default: every numeric input as is, every category one-hot). */
  columns: ColumnDefinition[];
  /** Candidates to fit and their parameters (default: those of the task, with their default parameters). */
  candidates: { name: string; params: Record<string, unknown> }[];
  gate: { metric: GateMetric; margin?: number };
  split: { testFraction?: number; seed?: number };
  /** Share of bad data rows above which the file is refused (default DATA_MAX_REJECTED_FRACTION). */
  maxRejectedFraction?: number;
  drift: { psiWarn?: number; psiDrift?: number; ksPValue?: number; ksMinStatistic?: number; minRows?: number };
  retrain: { schedule?: string; onDrift?: boolean };
  /** Decisions on live performance (absent: the defaults of `evaluationSettings`); only the keys written. */
  evaluation?: EvaluationDefinition;
  /** An input row for the API documentation and warm-up; a row of training medians and modes when absent. */
  example?: Record<string, number | string>;
}
