import { Logger } from '@nestjs/common';
import { adHocDefinition } from '../../../test/support/builtin-models';
import { asInstance, modelVersionEntity } from '../../../test/support/mock-repositories';
import { RequestValidationError } from '../../common/errors/request-validation.error';
import type { AppConfig } from '../../config/app-config';
import { ModelNotFoundError } from '../../definitions/definition.errors';
import type { ModelCatalog } from '../../definitions/model-catalog.service';
import type { ModelDefinition } from '../../definitions/model-definition';
import type { ServiceMetrics } from '../../metrics/service-metrics';
import type { ModelRegistryRepository } from '../../registry/model-registry.repository';
import { FeedbackAcceptedEvent } from '../feedback/feedback.events';
import type { BucketSums, GroupSums, OutcomeFilter, PerformanceRepository } from './performance.repository';
import { PerformanceService } from './performance.service';

const definitions: Record<string, ModelDefinition> = {
  housing: adHocDefinition({ name: 'housing', features: [], columns: [], gate: { metric: 'rmse' } }),
  flowers: adHocDefinition({
    name: 'flowers',
    task: 'classification',
    features: [],
    columns: [],
    gate: { metric: 'accuracy' },
  }),
};

const group = (values: Partial<GroupSums>): GroupSums => ({
  version: 1,
  policy: 'champion',
  policyId: 0,
  shadow: false,
  samples: 4,
  squaredError: 1,
  absoluteError: 2,
  correct: 0,
  logLoss: 0,
  ...values,
});

describe(PerformanceService.name, () => {
  let groups: jest.Mock<Promise<GroupSums[]>, [OutcomeFilter]>;
  let series: jest.Mock<Promise<BucketSums[]>, [OutcomeFilter, number]>;
  let metrics: { livePerformance: jest.Mock; holdoutScores: jest.Mock };
  let catalog: { names: string[]; resolve: jest.Mock; require: jest.Mock };
  let config: Partial<AppConfig>;
  let sut: PerformanceService;

  beforeEach(() => {
    groups = jest.fn().mockResolvedValue([]);
    series = jest.fn().mockResolvedValue([]);
    metrics = { livePerformance: jest.fn(), holdoutScores: jest.fn() };
    catalog = {
      names: ['housing', 'flowers'],
      resolve: jest.fn((name: string) => {
        const resolved = name === 'h' ? 'housing' : name;
        if (!definitions[resolved]) throw new ModelNotFoundError(name, Object.keys(definitions));
        return resolved;
      }),
      require: jest.fn((name: string) => definitions[name]),
    };
    config = { LIVE_PERFORMANCE_WINDOW_S: 86400, EVALUATION_INTERVAL_S: 60 };
    const registry: Pick<ModelRegistryRepository, 'findVersion'> = {
      findVersion: (model, version) =>
        Promise.resolve(
          version === 9
            ? null
            : modelVersionEntity({ modelName: model, version, metrics: { rmse: 0.5, mae: 0.4, r2: 0.8 } }),
        ),
    };
    sut = new PerformanceService(
      asInstance<AppConfig>(config),
      asInstance<ModelCatalog>(catalog),
      asInstance<ModelRegistryRepository>(registry),
      asInstance<PerformanceRepository>({ groups, series }),
      asInstance<ServiceMetrics>(metrics),
    );
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('reports figures per group, a series by step, and the holdout scores of the versions present', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    groups.mockResolvedValue([
      group({ version: 2, shadow: true, policy: 'shadow', policyId: 5 }),
      group({ version: 9 }),
    ]);
    series.mockResolvedValue([
      { bucket: 5, version: 2, shadow: true, samples: 1, squaredError: 4, absoluteError: 2, correct: 0, logLoss: 0 },
      { bucket: 0, version: 9, shadow: false, samples: 2, squaredError: 2, absoluteError: 2, correct: 0, logLoss: 0 },
    ]);
    const report = await sut.report('h', 3600, { stepSeconds: 700, policyId: 5, now });
    const from = new Date(now.getTime() - 3_600_000);
    expect(groups).toHaveBeenCalledWith({ model: 'housing', from, to: now, policyId: 5 });
    expect(series).toHaveBeenCalledWith({ model: 'housing', from, to: now, policyId: 5 }, 700_000);
    expect(report).toEqual({
      model: 'housing',
      task: 'regression',
      window: { from: from.toISOString(), to: now.toISOString(), seconds: 3600, stepSeconds: 700 },
      holdout: [
        { version: 2, metric: 'rmse', value: 0.5 },
        { version: 2, metric: 'mae', value: 0.4 },
      ],
      groups: [
        { version: 2, policy: 'shadow', policyId: 5, role: 'shadow', samples: 4, rmse: 0.5, mae: 0.5 },
        { version: 9, policy: 'champion', policyId: 0, role: 'primary', samples: 4, rmse: 0.5, mae: 0.5 },
      ],
      series: [
        {
          from: from.toISOString(),
          to: new Date(from.getTime() + 700_000).toISOString(),
          version: 9,
          role: 'primary',
          samples: 2,
          rmse: 1,
          mae: 1,
        },
        // The last step ends with the window.
        {
          from: new Date(from.getTime() + 3_500_000).toISOString(),
          to: now.toISOString(),
          version: 2,
          role: 'shadow',
          samples: 1,
          rmse: 2,
          mae: 2,
        },
      ],
    });
  });

  it('defaults to LIVE_PERFORMANCE_WINDOW_S in 24 steps, and refuses steps that make over 1000 points', async () => {
    expect((await sut.report('housing')).window).toMatchObject({ seconds: 86400, stepSeconds: 3600 });
    const tooFine = sut.report('housing', 86400, { stepSeconds: 60 });
    await expect(tooFine).rejects.toBeInstanceOf(RequestValidationError);
    await expect(tooFine).rejects.toMatchObject({ errors: [{ field: 'stepSeconds', rule: 'min' }] });
    await expect(sut.report('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('refreshes the gauges of every model: one series per version, policy mode and role, and holdout scores', async () => {
    groups.mockImplementation(({ model }) =>
      Promise.resolve(
        model === 'housing'
          ? [
              group({ policy: 'canary', policyId: 3 }),
              group({ policy: 'canary', policyId: 4, squaredError: 3 }),
              group({ shadow: true, version: 2 }),
            ]
          : [group({ correct: 3, logLoss: 2 })],
      ),
    );
    await sut.refreshGauges();
    expect(groups).toHaveBeenCalledWith(expect.objectContaining({ model: 'housing', policyId: undefined }));
    const { from, to } = groups.mock.calls[0][0];
    expect(to.getTime() - from.getTime()).toBe(86_400_000);
    expect(metrics.livePerformance).toHaveBeenCalledWith('housing', [
      { version: 1, policy: 'canary', role: 'primary', figures: { samples: 8, rmse: Math.sqrt(4 / 8), mae: 0.5 } },
      { version: 2, policy: 'champion', role: 'shadow', figures: { samples: 4, rmse: 0.5, mae: 0.5 } },
    ]);
    expect(metrics.livePerformance).toHaveBeenCalledWith('flowers', [
      { version: 1, policy: 'champion', role: 'primary', figures: { samples: 4, accuracy: 0.75, logLoss: 0.5 } },
    ]);
    expect(metrics.holdoutScores).toHaveBeenCalledWith('housing', [
      { version: 1, metric: 'rmse', value: 0.5 },
      { version: 1, metric: 'mae', value: 0.4 },
      { version: 2, metric: 'rmse', value: 0.5 },
      { version: 2, metric: 'mae', value: 0.4 },
    ]);
    // The flowers run recorded no classification metric: no holdout score.
    expect(metrics.holdoutScores).toHaveBeenCalledWith('flowers', []);
  });

  it('logs a model whose refresh fails as a warning and refreshes the others; a retired model’s series go', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    groups.mockImplementation(({ model }) =>
      model === 'housing' ? Promise.reject(new Error('database is locked')) : Promise.resolve([]),
    );
    await expect(sut.refreshGauges()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('housing not refreshed: database is locked'));
    expect(metrics.livePerformance).toHaveBeenCalledWith('flowers', []);

    catalog.names = ['housing'];
    metrics.livePerformance.mockClear();
    await sut.refreshGauges();
    expect(metrics.livePerformance).toHaveBeenCalledWith('flowers', []);
    expect(metrics.holdoutScores).toHaveBeenCalledWith('flowers', []);
    warn.mockRestore();
  });

  it('refreshes every EVALUATION_INTERVAL_S once the application has started, not at all with 0', async () => {
    jest.useFakeTimers();
    const refresh = jest.spyOn(sut, 'refreshGauges').mockResolvedValue();
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(59_000);
    expect(refresh).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(61_000);
    expect(refresh).toHaveBeenCalledTimes(2);
    await sut.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(refresh).toHaveBeenCalledTimes(2);

    config.EVALUATION_INTERVAL_S = 0;
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(600_000);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('refreshes the models of accepted feedback once, a second after a burst', async () => {
    jest.useFakeTimers();
    const refresh = jest.spyOn(sut, 'refreshGauges').mockResolvedValue();
    sut.onFeedback(new FeedbackAcceptedEvent('housing', 3));
    await jest.advanceTimersByTimeAsync(500);
    sut.onFeedback(new FeedbackAcceptedEvent('flowers', 1));
    sut.onFeedback(new FeedbackAcceptedEvent('housing', 1));
    expect(refresh).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(600);
    expect(refresh.mock.calls).toEqual([[['housing', 'flowers']]]);
  });
});
