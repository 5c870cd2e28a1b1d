import { FlatTree, flatTreeFromJSON, FlatTreeJson, flatTreeToJSON } from './flat-tree';
import { InvalidInputError } from './invalid-input.error';
import { asRecord, readArray, readFloat64Array, readInt, readInt32Array, readLiteral } from './json-reader.util';
import { ModelFormatError } from './model-format.error';
import { argmaxRows } from './model-output.util';
import { softmaxRow } from './objectives';
import { rowsOf, TreeEnsemble } from './tree-ensemble';

export const BOOSTED_TREES_KIND = 'boosted-trees';
export const BOOSTED_TREES_FORMAT_VERSION = 1;

/**
 * How the summed margin becomes the answer: as it is, exp (log-link regressions such as Poisson), the logistic
 * sigmoid (a probability: binary classification or reg:logistic), or softmax over one margin per class.
 */
export const LINKS = ['identity', 'exp', 'sigmoid', 'softmax'] as const;
export type Link = (typeof LINKS)[number];

/** Where a model came from, enough to write it back in its own format. */
export interface BoostedTreesOrigin {
  format: 'xgboost';
  /** The version of the library that saved it, as it says. */
  version: number[];
  /** The objective as the file had it (its name and parameters). */
  objective: Record<string, unknown>;
  /** The file's base_score, in the objective's output space (a probability for logistic ones). */
  baseScore: number;
  /** Rounds the file says its early stopping found best (all rounds are served). */
  bestIteration?: number;
  /** The file's features in its own order, by the names they were matched to, and their columns in the matrix. */
  features: string[];
  featureIndex: number[];
}

export interface BoostedTreesJson {
  kind: typeof BOOSTED_TREES_KIND;
  formatVersion: typeof BOOSTED_TREES_FORMAT_VERSION;
  task: 'regression' | 'classification';
  nFeatures: number;
  /** 1 for regression; the number of classes otherwise. */
  nClasses: number;
  link: Link;
  /** Starting margin of each output group (one, or one per class for softmax). */
  baseMargin: number[];
  /** The output group of each tree. */
  treeGroup: number[];
  featureImportances: number[];
  origin: BoostedTreesOrigin;
  trees: FlatTreeJson[];
}

/** The parts of a boosted-tree model, as a reader of another library's format produces them. */
export interface BoostedTreesParts {
  task: 'regression' | 'classification';
  nFeatures: number;
  nClasses: number;
  link: Link;
  baseMargin: Float64Array;
  treeGroup: Int32Array;
  trees: readonly FlatTree[];
  featureImportances: Float64Array;
  origin: BoostedTreesOrigin;
}

/**
 * Boosted trees brought from another library (XGBoost): a margin per output group, the sum of a base margin and the
 * leaves of the group's trees, through the model's link. Served by the same compiled kernel as the service's own
 * trees; `toJSON`/`fromJSON` round-trip to identical predictions.
 */
export class BoostedTreesModel {
  readonly kind = BOOSTED_TREES_KIND;
  private readonly ensemble: TreeEnsemble;
  /** Margins per row: one per class for softmax, one otherwise. */
  readonly nGroups: number;

  constructor(readonly parts: BoostedTreesParts) {
    const { task, nClasses, link, baseMargin, treeGroup, trees, nFeatures } = parts;
    this.nGroups = link === 'softmax' ? nClasses : 1;
    const problem = shapeProblem(task, nClasses, link);
    if (problem) throw new ModelFormatError(`boosted-trees: ${problem}`);
    if (baseMargin.length !== this.nGroups) throw new ModelFormatError(`boosted-trees: needs ${this.nGroups} margins`);
    if (treeGroup.length !== trees.length) throw new ModelFormatError('boosted-trees: one group per tree');
    if (treeGroup.some((g) => g < 0 || g >= this.nGroups)) throw new ModelFormatError('boosted-trees: bad group');
    this.ensemble = new TreeEnsemble(trees, treeGroup, 1, nFeatures, this.nGroups).compile();
  }

  get task(): 'regression' | 'classification' {
    return this.parts.task;
  }

  get nFeatures(): number {
    return this.parts.nFeatures;
  }

  get trees(): readonly FlatTree[] {
    return this.parts.trees;
  }

  get featureImportances(): Float64Array {
    return this.parts.featureImportances;
  }

  /** Margins, nRows × nGroups: the base margin plus the leaves, before the link. */
  predictMargin(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    const G = this.nGroups;
    const out = new Float64Array(nRows * G);
    for (let r = 0; r < nRows; r++) out.set(this.parts.baseMargin, r * G);
    this.ensemble.accumulate(X, nRows, out);
    return out;
  }

  /** Regression: the predicted values. Classification: the most probable class index per row. */
  predict(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    if (this.task === 'classification') return argmaxRows(this.predictProba(X, nRows), this.parts.nClasses);
    const margin = this.predictMargin(X, nRows);
    const link = this.parts.link;
    if (link === 'exp') for (let i = 0; i < nRows; i++) margin[i] = Math.exp(margin[i]);
    if (link === 'sigmoid') for (let i = 0; i < nRows; i++) margin[i] = sigmoid(margin[i]);
    return margin;
  }

  /** Class probabilities, nRows × nClasses (classification only). */
  predictProba(X: Float64Array, nRows = rowsOf(X, this.nFeatures)): Float64Array {
    if (this.task !== 'classification') throw new InvalidInputError('predictProba needs a classification model');
    const margin = this.predictMargin(X, nRows);
    const K = this.parts.nClasses;
    if (this.parts.link === 'softmax') {
      for (let r = 0; r < nRows; r++) softmaxRow(margin, r * K, K, margin, r * K);
      return margin;
    }
    const out = new Float64Array(nRows * 2);
    for (let r = 0; r < nRows; r++) {
      const p = sigmoid(margin[r]);
      out[2 * r] = 1 - p;
      out[2 * r + 1] = p;
    }
    return out;
  }

  toJSON(): BoostedTreesJson {
    const p = this.parts;
    return {
      kind: BOOSTED_TREES_KIND,
      formatVersion: BOOSTED_TREES_FORMAT_VERSION,
      task: p.task,
      nFeatures: p.nFeatures,
      nClasses: p.nClasses,
      link: p.link,
      baseMargin: Array.from(p.baseMargin),
      treeGroup: Array.from(p.treeGroup),
      featureImportances: Array.from(p.featureImportances),
      origin: p.origin,
      trees: p.trees.map(flatTreeToJSON),
    };
  }

  /** Rebuilds a model from `toJSON()` output; throws ModelFormatError on anything malformed. */
  static fromJSON(json: unknown): BoostedTreesModel {
    const what = BOOSTED_TREES_KIND;
    const obj = asRecord(json, what);
    readLiteral(obj, 'kind', what, [BOOSTED_TREES_KIND]);
    readLiteral(obj, 'formatVersion', what, [BOOSTED_TREES_FORMAT_VERSION]);
    const task = readLiteral(obj, 'task', what, ['regression', 'classification'] as const);
    const nFeatures = readInt(obj, 'nFeatures', what, 1);
    const nClasses = readInt(obj, 'nClasses', what, 1);
    const link = readLiteral(obj, 'link', what, LINKS);
    const treesJson = readArray(obj, 'trees', what);
    const nGroups = link === 'softmax' ? nClasses : 1;
    const origin = asRecord(obj.origin, `${what}.origin`);
    readLiteral(origin, 'format', `${what}.origin`, ['xgboost']);
    return new BoostedTreesModel({
      task,
      nFeatures,
      nClasses,
      link,
      baseMargin: readFloat64Array(obj, 'baseMargin', what, nGroups),
      treeGroup: readInt32Array(obj, 'treeGroup', what, treesJson.length, 0, nGroups - 1),
      featureImportances: readFloat64Array(obj, 'featureImportances', what, nFeatures),
      trees: treesJson.map((t, i) => flatTreeFromJSON(t, nFeatures, 1, `${what}.trees[${i}]`)),
      origin: {
        format: 'xgboost',
        version: Array.from(readFloat64Array(origin, 'version', `${what}.origin`)),
        objective: asRecord(origin.objective, `${what}.origin.objective`),
        baseScore: readFloat64Array({ v: [origin.baseScore] }, 'v', `${what}.origin.baseScore`)[0],
        bestIteration: typeof origin.bestIteration === 'number' ? origin.bestIteration : undefined,
        features: readNames(origin.features, `${what}.origin.features`),
        featureIndex: Array.from(
          readInt32Array(
            origin,
            'featureIndex',
            `${what}.origin`,
            readArray(origin, 'features', what).length,
            0,
            nFeatures - 1,
          ),
        ),
      },
    });
  }
}

function readNames(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new ModelFormatError(`${what} must be a list of names`);
  }
  return value as string[];
}

/** What is wrong with a task, class count and link together, if anything. */
function shapeProblem(task: BoostedTreesParts['task'], nClasses: number, link: Link): string | undefined {
  if (task === 'regression') return nClasses === 1 && link !== 'softmax' ? undefined : 'a regression has one output';
  if (link === 'softmax') return nClasses >= 2 ? undefined : 'softmax needs at least 2 classes';
  return link === 'sigmoid' && nClasses === 2 ? undefined : 'a classifier has a softmax, or a sigmoid and 2 classes';
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
