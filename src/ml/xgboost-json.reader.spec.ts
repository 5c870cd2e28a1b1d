/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- edits parsed XGBoost documents */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoostedTreesModel } from './boosted-trees.model';
import { chainTree } from '../../test/support/xgboost-documents';
import { ModelFormatError } from './model-format.error';
import { UnsupportedModelError } from './unsupported-model.error';
import { MAX_TREE_DEPTH, XgboostJsonModel } from './xgboost-json.reader';
import { toXgboostJson, xgboostJsonText } from './xgboost-json.writer';

interface Case {
  model: Record<string, unknown>;
  X: (number | null)[][];
  margin: number[] | number[][];
  output: number[] | number[][];
}

/** Models of every supported objective saved by XGBoost, with its predictions (scripts/xgboost-reference.py). */
const reference = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/xgboost/reference.json'), 'utf8')) as {
  xgboost: string;
  cases: Record<string, Case>;
};

const identity = (n: number) => ({
  names: Array.from({ length: n }, (_, i) => 'abcd'[i]),
  index: Int32Array.from({ length: n }, (_, i) => i),
  nFeatures: n,
});

function load(doc: unknown): BoostedTreesModel {
  const file = new XgboostJsonModel(doc);
  return new BoostedTreesModel(file.toBoostedTrees(identity(file.nFeatures)));
}

const matrixOf = (rows: (number | null)[][]) => Float64Array.from(rows.flat(), (v) => (v === null ? NaN : v));
const clone = (doc: unknown) => JSON.parse(JSON.stringify(doc)) as Record<string, any>;

/** The first tree of a document (gbtree or dart). */
function firstTree(doc: Record<string, any>): Record<string, any> {
  const booster = doc.learner.gradient_booster;
  return (booster.name === 'dart' ? booster.gbtree.model : booster.model).trees[0];
}

describe('XGBoost JSON import', () => {
  for (const [name, c] of Object.entries(reference.cases)) {
    it(`${name}: margins and outputs equal XGBoost's on every row, split conditions included`, () => {
      const model = load(c.model);
      const X = matrixOf(c.X);
      const n = c.X.length;
      const margin = model.predictMargin(X, n);
      const expected = c.margin.flat();
      expect(margin.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(margin[i] - expected[i]));
      expect(worst).toBeLessThanOrEqual(1e-5);
      const output = model.task === 'regression' ? model.predict(X, n) : model.predictProba(X, n);
      const want = c.output.flat();
      if (model.task === 'classification' && model.nGroups === 1) {
        // XGBoost gives P(class 1) for binary models (binary:logitraw its margin); the service both probabilities.
        const p1 = name === 'binary_logitraw' ? want.map((m) => 1 / (1 + Math.exp(-m))) : want;
        p1.forEach((p, r) => expect(Math.abs(output[2 * r + 1] - p)).toBeLessThanOrEqual(1e-5));
      } else if (name === 'multi_softmax') {
        // multi:softmax predicts the class: the most probable one.
        const labels = model.predict(X, n);
        want.forEach((label, r) => expect(labels[r]).toBe(label));
      } else {
        want.forEach((v, i) => expect(Math.abs(output[i] - v)).toBeLessThanOrEqual(1e-5));
      }
    });
  }

  it('round-trips through toJSON and fromJSON to identical predictions', () => {
    const c = reference.cases.multi_softprob;
    const model = load(c.model);
    const again = BoostedTreesModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const X = matrixOf(c.X);
    expect(again.predictProba(X, c.X.length)).toEqual(model.predictProba(X, c.X.length));
  });

  it('writes an imported model back with the split conditions, leaves and objective it came with', () => {
    const c = reference.cases.binary_logistic;
    const model = load(c.model);
    const written = JSON.parse(xgboostJsonText(toXgboostJson(model, ['a', 'b', 'c', 'd']))) as Record<string, any>;
    const original = (c.model as Record<string, any>).learner;
    expect(written.learner.objective).toEqual(original.objective);
    expect(Number(written.learner.learner_model_param.base_score)).toBeCloseTo(0.3, 7);
    const tree = written.learner.gradient_booster.model.trees[0];
    const originalTree = original.gradient_booster.model.trees[0];
    const splits = (t: any) => t.split_conditions.map(Math.fround).sort();
    expect(splits(tree)).toEqual(splits(originalTree));
    expect(load(written).predictMargin(matrixOf(c.X), c.X.length)).toEqual(
      model.predictMargin(matrixOf(c.X), c.X.length),
    );
  });

  describe('refuses', () => {
    const base = reference.cases.reg_squarederror.model;
    const refuse = (edit: (doc: Record<string, any>) => void, error: new (m: string) => Error, message: RegExp) => {
      const doc = clone(base);
      edit(doc);
      expect(() => load(doc)).toThrow(error);
      expect(() => load(doc)).toThrow(message);
    };

    it('a document that is not an XGBoost model', () => {
      expect(() => load([])).toThrow(ModelFormatError);
      expect(() => load({ learner: 3 })).toThrow(/model.learner must be an object/);
    });
    it('a tree whose child points back to an ancestor (a cycle)', () =>
      refuse((d) => (firstTree(d).left_children[1] = 0), ModelFormatError, /node 0 is reached twice/));
    it('a child index out of range', () =>
      refuse(
        (d) => (firstTree(d).right_children[0] = 999),
        ModelFormatError,
        /right_children\[0\] must be an integer/,
      ));
    it('a node with one child', () =>
      refuse((d) => (firstTree(d).right_children[0] = -1), ModelFormatError, /node 0 has one child/));
    it('a split on a feature beyond num_feature', () =>
      refuse(
        (d) => (firstTree(d).split_indices[0] = 4),
        ModelFormatError,
        /split_indices\[0\] must be below num_feature/,
      ));
    it('a threshold that is not a finite number (NaN is written as null or a string)', () => {
      refuse(
        (d) => (firstTree(d).split_conditions[0] = null),
        ModelFormatError,
        /split_conditions\[0\] must be a finite number/,
      );
      refuse(
        (d) => (firstTree(d).split_conditions[0] = 'NaN'),
        ModelFormatError,
        /split_conditions\[0\] must be a finite/,
      );
    });
    it('arrays shorter than num_nodes (a truncated tree)', () =>
      refuse((d) => firstTree(d).left_children.pop(), ModelFormatError, /left_children must have num_nodes/));
    it('a tree deeper than MAX_TREE_DEPTH', () =>
      refuse(
        (d) => Object.assign(firstTree(d), chainTree(MAX_TREE_DEPTH + 1, 4)),
        ModelFormatError,
        /deeper than 256 levels/,
      ));
    it('feature names that are not one per feature', () =>
      refuse((d) => d.learner.feature_names.pop(), ModelFormatError, /feature_names must be 4 strings/));
    it('a tree_info that names a class the model does not have', () =>
      refuse((d) => (d.learner.gradient_booster.model.tree_info[0] = 1), ModelFormatError, /tree_info\[0\] must be/));
    it('categorical splits and features, with the reason', () => {
      refuse((d) => (firstTree(d).split_type[0] = 1), UnsupportedModelError, /categorical splits are not supported/);
      refuse((d) => (d.learner.feature_types = ['q', 'c', 'q', 'q']), UnsupportedModelError, /categorical features/);
    });
    it('ranking, survival and unknown objectives, and gblinear', () => {
      refuse(
        (d) => (d.learner.objective.name = 'rank:pairwise'),
        UnsupportedModelError,
        /rank:pairwise.*not supported/,
      );
      refuse((d) => (d.learner.objective.name = 'survival:cox'), UnsupportedModelError, /not supported/);
      refuse((d) => (d.learner.gradient_booster.name = 'gblinear'), UnsupportedModelError, /gblinear/);
    });
    it('models with several targets or vector leaves', () => {
      refuse((d) => (d.learner.learner_model_param.num_target = '2'), UnsupportedModelError, /several targets/);
      refuse((d) => (firstTree(d).tree_param.size_leaf_vector = '3'), UnsupportedModelError, /vector leaves/);
    });
    it('a base_score the objective cannot take', () => {
      const doc = clone(reference.cases.binary_logistic.model);
      doc.learner.learner_model_param.base_score = '1.5E0';
      expect(() => load(doc)).toThrow(/base_score must be in \(0, 1\)/);
    });
  });
});
