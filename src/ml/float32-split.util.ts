/**
 * XGBoost compares in single precision: a row's value is rounded to a float32 and goes left when it is less than the
 * node's float32 split condition c (`fround(x) < c`). The service's trees compare doubles (`x <= t`). These two
 * functions translate between the rules exactly, so an imported tree sends every double to the side XGBoost sends
 * it, and an exported tree differs from ours only for a value within half a float32 step of a threshold.
 */

const FLOAT32_MAX = 3.4028234663852886e38;
const float = new Float32Array(1);
const floatBits = new Int32Array(float.buffer);
const double = new Float64Array(1);
const doubleBits = new BigInt64Array(double.buffer);

/** The float32 next to the float32 c towards +Infinity (up) or -Infinity (down). */
export function nextFloat32(c: number, up: boolean): number {
  if (c === 0) return up ? 2 ** -149 : -(2 ** -149);
  float[0] = c;
  floatBits[0] += c > 0 === up ? 1 : -1;
  return float[0];
}

/** The double next to the double x towards -Infinity. */
export function previousDouble(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  double[0] = x;
  doubleBits[0] += x > 0 ? -1n : 1n;
  return double[0];
}

/**
 * The largest double t such that every double x with `x <= t` has `fround(x) < c`, for a finite float32 c: the
 * threshold that makes `x <= t` the same test as XGBoost's `fround(x) < c`. The doubles that round below c are those
 * below the midpoint of c and the float32 before it, and the midpoint itself when it rounds down (ties go to the
 * float32 with an even mantissa).
 */
export function thresholdBelowFloat32(c: number): number {
  const previous = nextFloat32(c, false);
  // Below the most negative float32 the midpoint is half a step (2^103) lower: doubles beyond it round to -Infinity.
  const midpoint = previous === -Infinity ? c - 2 ** 103 : (previous + c) / 2;
  return Math.fround(midpoint) === c ? previousDouble(midpoint) : midpoint;
}

/**
 * The float32 split condition c for the double threshold t (`x <= t` goes left) whose XGBoost rule
 * `fround(x) < c` agrees with it on the most values: the smallest c whose rule sends every x <= t left. The two
 * rules then differ only for x in (t, thresholdBelowFloat32(c)], less than one float32 step. A threshold that came
 * from thresholdBelowFloat32(c) gives back c.
 */
export function float32SplitAbove(t: number): number {
  let c = Math.max(Math.fround(t), -FLOAT32_MAX);
  if (c === Infinity) return c;
  while (thresholdBelowFloat32(c) < t) c = nextFloat32(c, true);
  for (let lower = nextFloat32(c, false); lower > -Infinity && thresholdBelowFloat32(lower) >= t;) {
    c = lower;
    lower = nextFloat32(c, false);
  }
  return c + 0; // no -0
}
