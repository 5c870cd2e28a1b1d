import { FeaturePipeline, FeatureSpec, Preprocessing, transformAll } from '../data/feature-spec';
import type { ModelDefinition } from '../definitions/model-definition';
import { Estimator, predictProba } from '../training/models/estimator';
import { explainRows, explanationCostMs, notExplainable } from '../training/models/explanation';
import { ExplanationShaper, RowExplanation } from './explanation-shaper';
import { ExplanationTooLargeError, NotExplainableError } from './registry.errors';

/** What one batch of inputs gives: values (regression) or labels with class probabilities (classification). */
export type Predictions =
  | { task: 'regression'; values: Float64Array }
  | { task: 'classification'; labels: string[]; probabilities: number[][] };

/**
 * A registered version loaded for serving: its estimator, and the feature pipeline with the preprocessing fitted
 * when it was trained. Immutable: a swap replaces the whole object, so a request that holds one finishes on it.
 */
export class ServedModel {
  /** Names of the input fields, in the feature spec's order. */
  readonly inputFields: readonly string[];
  /** The version's inputs, features, target and classes: its definition with its fitted values. */
  readonly spec: FeatureSpec;
  /** Extra answer fields of a regression: name and factor (the definition's `target.also`, housing's dollars). */
  readonly also: readonly (readonly [string, number])[];

  constructor(
    readonly name: string,
    readonly version: number,
    readonly runId: string,
    readonly candidate: string,
    /** The definition the version was trained with. */
    readonly definition: ModelDefinition,
    private readonly pipeline: FeaturePipeline<unknown>,
    private readonly preprocessing: Preprocessing,
    readonly estimator: Estimator,
    readonly loadedAt: Date,
  ) {
    this.spec = pipeline.spec;
    this.also = Object.entries(definition.target.also);
    this.inputFields = this.spec.inputs.map((f) => f.name);
  }

  private shaper?: ExplanationShaper;

  /**
   * Exact contributions of each input row's features and input fields to its output (TreeSHAP, or a linear model's
   * terms); 422 for a version that cannot be explained, 413 for more rows than `budgetMs` of estimated work buys.
   */
  explain(inputs: readonly unknown[], budgetMs = Infinity): RowExplanation[] {
    this.assertExplainable(inputs.length, budgetMs);
    const raw = explainRows(this.estimator, this.features(inputs), inputs.length);
    this.shaper ??= new ExplanationShaper(this.definition, this.spec);
    const shaper = this.shaper;
    return inputs.map((_, r) => shaper.shape(raw, r));
  }

  /** Throws what explain() would refuse `rows` rows with: 422 when not explainable, 413 when over the budget. */
  assertExplainable(rows: number, budgetMs: number): void {
    const reason = notExplainable(this.estimator);
    if (reason) throw new NotExplainableError(`Version ${this.version} of ${this.name} cannot be explained: ${reason}`);
    const costMs = explanationCostMs(this.estimator);
    if (rows > 1 && rows * costMs > budgetMs) {
      const fit = Math.max(1, Math.floor(budgetMs / costMs));
      throw new ExplanationTooLargeError(
        `Explaining ${rows} rows with version ${this.version} of ${this.name} would take about ` +
          `${Math.round(rows * costMs)} ms (${costMs.toFixed(2)} ms a row); at most ${fit} rows per request ` +
          '(EXPLAIN_BUDGET_MS)',
      );
    }
  }

  /** The model features of the inputs (row-major), as the version builds them. */
  features(inputs: readonly unknown[]): Float64Array {
    return transformAll(this.pipeline, inputs, this.preprocessing);
  }

  predict(inputs: readonly unknown[]): Predictions {
    const X = transformAll(this.pipeline, inputs, this.preprocessing);
    const nRows = inputs.length;
    if (this.spec.task === 'regression') return { task: 'regression', values: this.estimator.predict(X, nRows) };
    const classes = this.spec.classes ?? [];
    const proba = predictProba(this.estimator, X, nRows);
    const probabilities: number[][] = [];
    const labels: string[] = [];
    for (let i = 0; i < nRows; i++) {
      const row = Array.from(proba.subarray(i * classes.length, (i + 1) * classes.length));
      probabilities.push(row);
      labels.push(classes[row.indexOf(Math.max(...row))]);
    }
    return { task: 'classification', labels, probabilities };
  }
}
