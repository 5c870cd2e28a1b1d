import type { FeatureSpec } from '../data/feature-spec';
import { columnFields } from '../data/pipeline/definition-columns';
import type { ModelDefinition } from '../definitions/model-definition';
import type { FeatureContributions } from '../training/models/explanation';

/** One output's explanation: base + Σ contributions = base + Σ features = the output (in `space`). */
export interface OutputExplanation {
  base: number;
  /** Per input field of the request: the contributions of the features derived from it. */
  contributions: Record<string, number>;
  /** Per feature of the model, as the trees see them. */
  features: Record<string, number>;
}

/**
 * A row's explanation. A regression: one output, in `space` `output` (the prediction) or `margin` (before the link,
 * for imported log or logistic regressions). A classifier: one per class, in `space` `margin` (a boosted
 * classifier's class scores, whose softmax or sigmoid is the probability) or `output` (a forest's averaged class
 * frequencies, which are its probabilities).
 */
export type RowExplanation =
  | ({ space: 'output' | 'margin' } & OutputExplanation)
  | { space: 'output' | 'margin'; classes: Record<string, OutputExplanation> };

/**
 * Turns a model's feature contributions into answers: each feature's contribution goes to the input fields it is
 * computed from — a one-hot indicator to its category field, a ratio or a distance in equal shares to each field it
 * reads — so that the contributions per input field still add up to the output.
 */
export class ExplanationShaper {
  /** For each feature: the input fields it comes from, each with its share. */
  private readonly shares: { field: string; share: number }[][];
  private readonly featureNames: string[];

  constructor(
    definition: ModelDefinition,
    private readonly spec: FeatureSpec,
  ) {
    this.featureNames = spec.features.map((f) => f.name);
    this.shares = [];
    for (const column of definition.columns) {
      const fields = [...new Set(columnFields(column))];
      const share = fields.map((field) => ({ field, share: 1 / fields.length }));
      const width =
        column.op === 'one_hot' ? this.featureNames.filter((n) => n.startsWith(`${column.name}=`)).length : 1;
      for (let i = 0; i < width; i++) this.shares.push(share);
    }
    if (this.shares.length !== this.featureNames.length) {
      throw new Error(
        `${definition.name}: ${this.shares.length} feature sources for ${this.featureNames.length} features`,
      );
    }
  }

  /** The explanation of row r of the contributions. */
  shape(raw: FeatureContributions, r: number): RowExplanation {
    const nF = this.featureNames.length;
    const K = raw.nOutputs;
    const output = (o: number): OutputExplanation => {
      const features: Record<string, number> = {};
      const contributions: Record<string, number> = {};
      for (const input of this.spec.inputs) contributions[input.name] = 0;
      for (let f = 0; f < nF; f++) {
        const value = raw.phi[(r * nF + f) * K + o];
        features[this.featureNames[f]] = value;
        for (const { field, share } of this.shares[f]) contributions[field] += value * share;
      }
      return { base: raw.base[o], contributions, features };
    };
    const classes = this.spec.classes;
    if (!classes) return { space: raw.space, ...output(0) };
    // A binary classifier with one margin (an imported binary:logistic model) explains its positive class.
    if (K === 1) return { space: raw.space, classes: { [classes[classes.length - 1]]: output(0) } };
    return { space: raw.space, classes: Object.fromEntries(classes.map((label, o) => [label, output(o)])) };
  }
}
