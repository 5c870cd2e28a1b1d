/**
 * An XGBoost JSON tree that is one long chain of `depth` splits on feature 0 (a hostile file: deeper than any
 * import accepts), with every array a saved tree has.
 */
export function chainTree(depth: number, nFeatures: number): Record<string, unknown> {
  const n = 2 * depth + 1;
  const split = (i: number) => i % 2 === 0 && i < n - 1;
  return {
    left_children: Array.from({ length: n }, (_, i) => (split(i) ? i + 1 : -1)),
    right_children: Array.from({ length: n }, (_, i) => (split(i) ? i + 2 : -1)),
    split_indices: new Array<number>(n).fill(0),
    split_conditions: new Array<number>(n).fill(0.5),
    default_left: new Array<number>(n).fill(0),
    split_type: new Array<number>(n).fill(0),
    sum_hessian: new Array<number>(n).fill(1),
    loss_changes: new Array<number>(n).fill(0),
    base_weights: new Array<number>(n).fill(0),
    parents: new Array<number>(n).fill(0),
    tree_param: { num_nodes: String(n), num_feature: String(nFeatures), num_deleted: '0', size_leaf_vector: '0' },
  };
}
