/**
 * The best split of one node, as the split finder reports it (after LightGBM's `SplitInfo`). A row goes left when
 * its bin of `feature` is at most `bin`, right when it is larger, and to the `defaultLeft` side when the value is
 * missing. The left and right statistics count the node's missing rows on the side they went to, so
 * `leftCount + rightCount` is the node's row count and the left and right sums add up to the node's sums.
 *
 * One object is reused for every node (the finder overwrites it); copy out what must outlive the next search.
 */
export class SplitInfo {
  /**
   * Σ over outputs of GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ), where G, H are the node's gradient and hessian sums and
   * GL, HL, GR, HR those of the children. A split is only reported when its gain exceeds 1e-12 × the parent's
   * score Σ G²/(H+λ) (smaller "improvements" are floating-point noise); otherwise `feature` stays -1.
   */
  gain = 0;
  /** Feature the node splits on; -1 when no split beats the parent. */
  feature = -1;
  /**
   * Largest bin that goes left. For "missing values versus everything else" it is the feature's last value bin,
   * so every present value goes left and only the missing rows go right.
   */
  bin = -1;
  /**
   * Side that missing values take: the side the node's missing rows went to, or, when the node had no missing
   * values, the child with more rows (ties go left).
   */
  defaultLeft = false;
  /** Rows that go left (missing rows included when `defaultLeft`). */
  leftCount = 0;
  /** Rows that go right. */
  rightCount = 0;
  /** Hessian sum of the left rows. */
  leftSumHessians = 0;
  /** Hessian sum of the right rows. */
  rightSumHessians = 0;
  /** Gradient sums of the left rows, one per output. */
  readonly leftSumGradients: Float64Array;
  /** Gradient sums of the right rows, one per output. */
  readonly rightSumGradients: Float64Array;

  constructor(readonly nOutputs: number) {
    this.leftSumGradients = new Float64Array(nOutputs);
    this.rightSumGradients = new Float64Array(nOutputs);
  }

  /** Whether a split was found (one that beats the parent). */
  get found(): boolean {
    return this.feature >= 0;
  }
}
