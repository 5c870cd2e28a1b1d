import { BoostedTreesParts, Link } from './boosted-trees.model';
import { FlatTree } from './flat-tree';
import { thresholdBelowFloat32 } from './float32-split.util';
import { asRecord, JsonRecord, readArray } from './json-reader.util';
import { ModelFormatError } from './model-format.error';
import { normalise } from './model-output.util';
import { UnsupportedModelError } from './unsupported-model.error';

/** Deepest tree an import accepts: deeper ones are refused (XGBoost's default depth is 6; lossguide trees rarely pass 30). */
export const MAX_TREE_DEPTH = 256;
/** Most trees and most nodes in all an import accepts. */
export const MAX_TREES = 100_000;
export const MAX_NODES = 20_000_000;

interface ObjectiveInfo {
  task: 'regression' | 'classification';
  link: Link;
  /** How base_score (in the output space) becomes a margin. */
  base: 'identity' | 'logit' | 'log';
}

/** The objectives served exactly, by name; each is the link its predictions go through in XGBoost. */
const OBJECTIVES: Record<string, ObjectiveInfo> = {
  'reg:squarederror': { task: 'regression', link: 'identity', base: 'identity' },
  'reg:linear': { task: 'regression', link: 'identity', base: 'identity' },
  'reg:squaredlogerror': { task: 'regression', link: 'identity', base: 'identity' },
  'reg:pseudohubererror': { task: 'regression', link: 'identity', base: 'identity' },
  'reg:absoluteerror': { task: 'regression', link: 'identity', base: 'identity' },
  'reg:quantileerror': { task: 'regression', link: 'identity', base: 'identity' },
  'reg:logistic': { task: 'regression', link: 'sigmoid', base: 'logit' },
  'count:poisson': { task: 'regression', link: 'exp', base: 'log' },
  'reg:gamma': { task: 'regression', link: 'exp', base: 'log' },
  'reg:tweedie': { task: 'regression', link: 'exp', base: 'log' },
  'binary:logistic': { task: 'classification', link: 'sigmoid', base: 'logit' },
  'binary:logitraw': { task: 'classification', link: 'sigmoid', base: 'identity' },
  'multi:softprob': { task: 'classification', link: 'softmax', base: 'identity' },
  'multi:softmax': { task: 'classification', link: 'softmax', base: 'identity' },
};

/** Where each XGBoost feature goes in the service's feature matrix, and that matrix's width. */
export interface FeatureMapping {
  /** The name each XGBoost feature was matched to, in the file's order. */
  names: readonly string[];
  index: Int32Array;
  nFeatures: number;
}

/**
 * A model saved by XGBoost's `save_model("model.json")`, checked: its header (features, objective, classes) on
 * construction, its trees by toBoostedTrees. Every problem names its JSON path; a malformed document throws
 * ModelFormatError, a well-formed one using what cannot be served exactly (gblinear, categorical splits, vector
 * leaves, ranking or survival objectives) UnsupportedModelError.
 */
export class XgboostJsonModel {
  readonly nFeatures: number;
  /** The names the model was trained with (`feature_names`), when it has them. */
  readonly featureNames?: string[];
  readonly objective: string;
  readonly task: 'regression' | 'classification';
  /** 1 for regression, 2 for a binary classifier. */
  readonly nClasses: number;
  readonly version: number[];
  private readonly learner: JsonRecord;
  private readonly info: ObjectiveInfo;
  private readonly baseScore: number;

  constructor(document: unknown) {
    const doc = asRecord(document, 'model');
    this.version = readVersion(doc.version);
    this.learner = asRecord(doc.learner, 'model.learner');
    const params = asRecord(this.learner.learner_model_param, 'model.learner.learner_model_param');
    const where = 'model.learner.learner_model_param';
    this.nFeatures = intString(params.num_feature, `${where}.num_feature`, 1, 1_000_000);
    const numClass = intString(params.num_class ?? '0', `${where}.num_class`, 0, 10_000);
    if (params.num_target !== undefined && intString(params.num_target, `${where}.num_target`, 1, 1_000) !== 1) {
      throw new UnsupportedModelError(`${where}.num_target: models with several targets are not supported`);
    }
    const objective = asRecord(this.learner.objective, 'model.learner.objective');
    if (typeof objective.name !== 'string') throw new ModelFormatError('model.learner.objective.name must be a string');
    this.objective = objective.name;
    const info = OBJECTIVES[this.objective];
    if (!info) {
      throw new UnsupportedModelError(
        `model.learner.objective.name: objective ${JSON.stringify(this.objective.slice(0, 40))} is not supported ` +
          `(supported: ${Object.keys(OBJECTIVES).join(', ')})`,
      );
    }
    this.info = info;
    this.task = info.task;
    if (info.link === 'softmax' && numClass < 2) {
      throw new ModelFormatError(`${where}.num_class must be at least 2 for ${this.objective}`);
    }
    if (info.link !== 'softmax' && numClass > 1) {
      throw new ModelFormatError(`${where}.num_class must be 0 for ${this.objective}`);
    }
    this.nClasses = info.link === 'softmax' ? numClass : info.task === 'classification' ? 2 : 1;
    this.baseScore = readBaseScore(params.base_score, `${where}.base_score`);
    this.featureNames = readFeatureNames(this.learner, this.nFeatures);
  }

  /** The trees, converted to the service's representation, with each feature moved to its place in the matrix. */
  toBoostedTrees(mapping: FeatureMapping): BoostedTreesParts {
    const booster = asRecord(this.learner.gradient_booster, 'model.learner.gradient_booster');
    const { model, path, weights } = boosterModel(booster);
    const treesJson = readArray(model, 'trees', path);
    if (treesJson.length > MAX_TREES) throw new ModelFormatError(`${path}.trees: more than ${MAX_TREES} trees`);
    const nGroups = this.info.link === 'softmax' ? this.nClasses : 1;
    const treeInfo = readArray(model, 'tree_info', path);
    if (treeInfo.length !== treesJson.length) {
      throw new ModelFormatError(`${path}.tree_info must have one entry per tree (${treesJson.length})`);
    }
    const declared = asRecord(model.gbtree_model_param ?? {}, `${path}.gbtree_model_param`).num_trees;
    if (
      declared !== undefined &&
      intString(declared, `${path}.gbtree_model_param.num_trees`, 0, MAX_TREES) !== treesJson.length
    ) {
      throw new ModelFormatError(`${path}.gbtree_model_param.num_trees does not match the ${treesJson.length} trees`);
    }
    if (weights && weights.length !== treesJson.length) {
      throw new ModelFormatError(`model.learner.gradient_booster.weight_drop must have one weight per tree`);
    }
    const treeGroup = new Int32Array(treesJson.length);
    const gains = new Float64Array(mapping.nFeatures);
    const budget = { nodes: MAX_NODES };
    const trees = treesJson.map((json, t) => {
      const group = treeInfo[t];
      if (typeof group !== 'number' || !Number.isInteger(group) || group < 0 || group >= nGroups) {
        throw new ModelFormatError(`${path}.tree_info[${t}] must be an integer in [0, ${nGroups - 1}]`);
      }
      treeGroup[t] = group;
      const reader = new TreeReader(json, `${path}.trees[${t}]`, this.nFeatures, mapping, budget);
      return reader.read(weights ? weights[t] : 1, gains);
    });
    return {
      task: this.task,
      nFeatures: mapping.nFeatures,
      nClasses: this.nClasses,
      link: this.info.link,
      baseMargin: new Float64Array(nGroups).fill(baseMargin(this.baseScore, this.info, this.objective)),
      treeGroup,
      trees,
      featureImportances: normalise(gains),
      origin: {
        format: 'xgboost',
        version: this.version,
        objective: asRecord(this.learner.objective, 'model.learner.objective'),
        baseScore: this.baseScore,
        bestIteration: bestIteration(this.learner),
        features: [...mapping.names],
        featureIndex: Array.from(mapping.index),
      },
    };
  }
}

/** The gbtree model of a gbtree or dart booster, and dart's tree weights. */
function boosterModel(booster: JsonRecord): { model: JsonRecord; path: string; weights?: Float64Array } {
  const path = 'model.learner.gradient_booster';
  if (booster.name === 'gbtree') return { model: asRecord(booster.model, `${path}.model`), path: `${path}.model` };
  if (booster.name === 'dart') {
    const gbtree = asRecord(booster.gbtree, `${path}.gbtree`);
    const weights = readArray(booster, 'weight_drop', path).map((w, i) => finite(w, `${path}.weight_drop[${i}]`));
    return {
      model: asRecord(gbtree.model, `${path}.gbtree.model`),
      path: `${path}.gbtree.model`,
      weights: Float64Array.from(weights, Math.fround),
    };
  }
  if (booster.name === 'gblinear') throw new UnsupportedModelError(`${path}.name: gblinear boosters are not supported`);
  throw new ModelFormatError(`${path}.name must be gbtree or dart`);
}

/**
 * Reads one tree breadth-first from its root, giving each node a new place so that a node's children sit side by
 * side after it (the service's layout): a child index out of range, a node reached twice (a cycle or a shared
 * node) or a path deeper than MAX_TREE_DEPTH is refused. Deleted nodes XGBoost keeps in its arrays are never
 * reached and so dropped. Thresholds become the doubles that split as XGBoost's float32 comparison does.
 */
class TreeReader {
  private readonly obj: JsonRecord;
  private readonly n: number;

  constructor(
    json: unknown,
    private readonly path: string,
    private readonly nFeatures: number,
    private readonly mapping: FeatureMapping,
    private readonly budget: { nodes: number },
  ) {
    this.obj = asRecord(json, path);
    const param = asRecord(this.obj.tree_param, `${path}.tree_param`);
    this.n = intString(param.num_nodes, `${path}.tree_param.num_nodes`, 1, MAX_NODES);
    const leafVector = param.size_leaf_vector ?? '0';
    if (leafVector !== '0' && leafVector !== '1') {
      throw new UnsupportedModelError(
        `${path}.tree_param.size_leaf_vector: trees with vector leaves are not supported`,
      );
    }
    budget.nodes -= this.n;
    if (budget.nodes < 0) throw new ModelFormatError(`${path}: the trees have more than ${MAX_NODES} nodes in all`);
  }

  read(weight: number, gains: Float64Array): FlatTree {
    const n = this.n;
    const leftChildren = this.ints('left_children', -1, n - 1);
    const rightChildren = this.ints('right_children', -1, n - 1);
    const splitIndices = this.ints('split_indices', 0, 2 ** 31 - 1);
    const conditions = this.numbers('split_conditions');
    const defaultLeft = this.ints('default_left', 0, 1);
    const splitType = this.obj.split_type === undefined ? undefined : this.ints('split_type', 0, 1);
    const hessians = this.obj.sum_hessian === undefined ? undefined : this.numbers('sum_hessian');
    const losses = this.obj.loss_changes === undefined ? undefined : this.numbers('loss_changes');
    const out = {
      feature: new Int32Array(n),
      threshold: new Float64Array(n),
      left: new Int32Array(n),
      defaultLeft: new Uint8Array(n),
      value: new Float64Array(n),
      cover: new Float64Array(n),
    };
    const source = new Int32Array(n);
    const depth = new Int32Array(n);
    const reached = new Uint8Array(n);
    reached[0] = 1;
    let next = 1;
    for (let at = 0; at < next; at++) {
      const u = source[at];
      out.cover[at] = hessians ? hessians[u] : 0;
      const l = leftChildren[u];
      const r = rightChildren[u];
      if (l === -1 || r === -1) {
        if (l !== r) throw new ModelFormatError(`${this.path}: node ${u} has one child`);
        out.feature[at] = -1;
        out.left[at] = -1;
        out.value[at] = Math.fround(Math.fround(conditions[u]) * weight);
        continue;
      }
      for (const child of [l, r]) {
        if (reached[child])
          throw new ModelFormatError(`${this.path}: node ${child} is reached twice (a cycle or a shared node)`);
        reached[child] = 1;
      }
      if (depth[at] + 1 > MAX_TREE_DEPTH)
        throw new ModelFormatError(`${this.path}: deeper than ${MAX_TREE_DEPTH} levels`);
      if (splitType && splitType[u] !== 0) {
        throw new UnsupportedModelError(`${this.path}.split_type[${u}]: categorical splits are not supported`);
      }
      const f = splitIndices[u];
      if (f >= this.nFeatures) {
        throw new ModelFormatError(`${this.path}.split_indices[${u}] must be below num_feature ${this.nFeatures}`);
      }
      out.feature[at] = this.mapping.index[f];
      out.threshold[at] = thresholdBelowFloat32(Math.fround(conditions[u]));
      if (!Number.isFinite(out.threshold[at])) {
        throw new ModelFormatError(`${this.path}.split_conditions[${u}] is beyond the float32 range`);
      }
      out.defaultLeft[at] = defaultLeft[u];
      out.left[at] = next;
      if (losses) gains[out.feature[at]] += Math.max(0, losses[u]);
      source[next] = l;
      source[next + 1] = r;
      depth[next] = depth[next + 1] = depth[at] + 1;
      next += 2;
    }
    const size = next;
    return {
      nOutputs: 1,
      feature: out.feature.slice(0, size),
      threshold: out.threshold.slice(0, size),
      left: out.left.slice(0, size),
      defaultLeft: out.defaultLeft.slice(0, size),
      value: out.value.slice(0, size),
      ...(hessians ? { cover: out.cover.slice(0, size) } : {}),
    };
  }

  private ints(key: string, min: number, max: number): Int32Array {
    const values = this.array(key);
    const out = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const raw = values[i];
      const v = typeof raw === 'boolean' ? Number(raw) : raw;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw new ModelFormatError(`${this.path}.${key}[${i}] must be an integer in [${min}, ${max}]`);
      }
      out[i] = v;
    }
    return out;
  }

  private numbers(key: string): Float64Array {
    const values = this.array(key);
    return Float64Array.from(values, (v, i) => finite(v, `${this.path}.${key}[${i}]`));
  }

  private array(key: string): unknown[] {
    const values = readArray(this.obj, key, this.path);
    if (values.length !== this.n) {
      throw new ModelFormatError(`${this.path}.${key} must have num_nodes (${this.n}) entries, got ${values.length}`);
    }
    return values;
  }
}

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ModelFormatError(`${where} must be a finite number`);
  return value;
}

/** XGBoost writes its integer parameters as strings ("8"); numbers are accepted too. */
function intString(value: unknown, where: string, min: number, max: number): number {
  const v = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ModelFormatError(`${where} must be an integer in [${min}, ${max}]`);
  }
  return v;
}

/** base_score as XGBoost writes it ("5E-1", or "[5E-1]" from 2.x): a float32. */
function readBaseScore(value: unknown, where: string): number {
  const text = typeof value === 'string' ? value.replace(/^\[(.*)\]$/, '$1') : value;
  const v = typeof text === 'string' && /^[-+0-9.eE]{1,40}$/.test(text) ? Number(text) : text;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFormatError(`${where} must be a finite number`);
  return Math.fround(v);
}

function baseMargin(baseScore: number, info: ObjectiveInfo, objective: string): number {
  if (info.base === 'identity') return baseScore;
  if (info.base === 'logit') {
    if (!(baseScore > 0 && baseScore < 1)) throw new ModelFormatError(`base_score must be in (0, 1) for ${objective}`);
    return Math.log(baseScore / (1 - baseScore));
  }
  if (!(baseScore > 0)) throw new ModelFormatError(`base_score must be positive for ${objective}`);
  return Math.log(baseScore);
}

function readVersion(value: unknown): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 4 || value.some((v) => !Number.isInteger(v) || (v as number) < 0)) {
    throw new ModelFormatError('model.version must be a list of up to 4 non-negative integers');
  }
  return value as number[];
}

/** `feature_names` when present (refused when there are names but not one per feature); categorical types refused. */
function readFeatureNames(learner: JsonRecord, nFeatures: number): string[] | undefined {
  const types = learner.feature_types === undefined ? [] : readArray(learner, 'feature_types', 'model.learner');
  const categorical = types.findIndex((t) => t === 'c');
  if (categorical >= 0) {
    throw new UnsupportedModelError(
      `model.learner.feature_types[${categorical}]: categorical features are not supported`,
    );
  }
  const names = learner.feature_names === undefined ? [] : readArray(learner, 'feature_names', 'model.learner');
  if (names.length === 0) return undefined;
  if (names.length !== nFeatures || names.some((name) => typeof name !== 'string' || name.length > 256)) {
    throw new ModelFormatError(`model.learner.feature_names must be ${nFeatures} strings (num_feature)`);
  }
  return names as string[];
}

function bestIteration(learner: JsonRecord): number | undefined {
  const attributes = learner.attributes;
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  const best = (attributes as JsonRecord).best_iteration;
  return typeof best === 'string' && /^\d{1,9}$/.test(best) ? Number(best) : undefined;
}
