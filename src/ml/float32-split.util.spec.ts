import { float32SplitAbove, nextFloat32, thresholdBelowFloat32 } from './float32-split.util';

/** Doubles on, around and between the float32 c and its neighbours. */
function near(c: number): number[] {
  const below = nextFloat32(c, false);
  const above = nextFloat32(c, true);
  const mids = [(below + c) / 2, (c + above) / 2].filter(Number.isFinite);
  const out: number[] = [];
  for (const v of [c, below, above, ...mids]) {
    out.push(v, v * (1 + 2 ** -52), v * (1 - 2 ** -52), v + Number.MIN_VALUE, v - Number.MIN_VALUE);
  }
  return out;
}

describe('float32 splits', () => {
  const conditions = [
    0,
    1,
    -1,
    0.3,
    -0.14403409,
    1.035347,
    52,
    3.4028234663852886e38,
    -3.4028234663852886e38,
    2 ** -149,
    -(2 ** -149),
    1e-30,
    123456.789,
    -98765.4321,
  ].map(Math.fround);
  for (let i = 0; i < 200; i++) conditions.push(Math.fround((Math.random() - 0.5) * 10 ** (Math.random() * 12 - 6)));

  it('x <= thresholdBelowFloat32(c) is XGBoost rule fround(x) < c for doubles on and around c', () => {
    for (const c of conditions) {
      const t = thresholdBelowFloat32(c);
      for (const x of near(c)) expect([c, x, x <= t]).toEqual([c, x, Math.fround(x) < c]);
    }
  });

  it('float32SplitAbove gives back the condition a threshold came from', () => {
    for (const c of conditions) expect(float32SplitAbove(thresholdBelowFloat32(c))).toBe(c);
  });

  it('float32SplitAbove sends every double at or below the threshold left, and differs only within one float32 step', () => {
    for (const t of [0.5, 2.05, -7.123456789, 1e-8, 3.8462, 1234.5678]) {
      const c = float32SplitAbove(t);
      for (const x of [t, t - 1e-12, t * (1 - 2 ** -40), nextFloat32(Math.fround(t), false)]) {
        if (x <= t) expect(Math.fround(x) < c).toBe(true);
      }
      const step = Math.abs(nextFloat32(c, true) - c);
      expect(Math.fround(t + step * 1.01) < c).toBe(false);
    }
  });
});
