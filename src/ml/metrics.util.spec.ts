import { accuracy, confusionMatrix, logLoss, macroF1, mae, mape, r2, rmse } from './metrics.util';

describe('metrics.util', () => {
  const yTrue = [3, -0.5, 2, 7];
  const yPred = [2.5, 0, 2, 8];

  it('computes regression metrics by hand', () => {
    // errors: 0.5, -0.5, 0, -1 → squares 0.25, 0.25, 0, 1
    expect(rmse(yTrue, yPred)).toBeCloseTo(Math.sqrt(1.5 / 4), 12);
    expect(mae(yTrue, yPred)).toBeCloseTo(0.5, 12);
    // mean 2.875, ssTot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
    expect(r2(yTrue, yPred)).toBeCloseTo(1 - 1.5 / 29.1875, 12);
    expect(mape(yTrue, yPred)).toBeCloseTo((0.5 / 3 + 0.5 / 0.5 + 0 + 1 / 7) / 4, 12);
  });

  it('computes classification metrics by hand', () => {
    const t = [0, 0, 1, 1, 2, 2];
    const p = [0, 1, 1, 1, 2, 0];
    expect(accuracy(t, p)).toBeCloseTo(4 / 6, 12);
    expect(confusionMatrix(t, p)).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    // F1: class0 2·1/(2+2)=0.5, class1 2·2/(2+3)=0.8, class2 2·1/(2+1)=2/3
    expect(macroF1(t, p)).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
  });

  it('computes log loss and clips zero probabilities', () => {
    expect(logLoss([0, 1], [0.8, 0.2, 0.4, 0.6], 2)).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(logLoss([0], [0, 1], 2)).toBeCloseTo(-Math.log(1e-15), 6);
  });

  it('rejects arrays of different lengths', () => {
    expect(() => rmse([1, 2], [1])).toThrow('equal length');
  });
});
