import { adHocDefinition } from '../../../test/support/builtin-models';
import {
  asInstance,
  MockOf,
  modelVersionEntity,
  newDomainEventsMock,
  newModelRegistryRepositoryMock,
} from '../../../test/support/mock-repositories';
import type { DomainEvents } from '../../common/events/domain-events';
import { AppConfig, loadAppConfig } from '../../config/app-config';
import type { ModelCatalog } from '../../definitions/model-catalog.service';
import type { EvaluationDefinition } from '../../definitions/model-definition';
import type { ServiceMetrics } from '../../metrics/service-metrics';
import type { ModelRegistryRepository } from '../../registry/model-registry.repository';
import type { RegistryService } from '../../registry/registry.service';
import type { TrafficPolicyView, TrafficService } from '../../registry/traffic/traffic.service';
import { DecisionEntity } from '../entities/decision.entity';
import { PerformanceDegradedEvent } from './evaluation.events';
import type { DecisionRepository, NewDecision } from './decision.repository';
import { ClusteredSums, EvaluationRepository } from './evaluation.repository';
import { EvaluationService } from './evaluation.service';
import type { PreviousChampionScorer, RollbackEvidence } from './previous-champion.scorer';

/** Sums of independent rows with these losses (each row its own unit). */
function rows(losses: number[]): ClusteredSums {
  const sum = losses.reduce((a, b) => a + b, 0);
  const squares = losses.reduce((a, b) => a + b * b, 0);
  return {
    n: losses.length,
    sum,
    correct: 0,
    units: losses.length,
    unitSquares: squares,
    unitSizes: losses.length,
    unitCross: sum,
  };
}
/** `n` squared errors around `level` (deterministic spread). */
const losses = (n: number, level: number): number[] =>
  Array.from({ length: n }, (_, i) => level * (0.5 + (i % 10) / 9));

const policy = (values: Partial<TrafficPolicyView> = {}): TrafficPolicyView => ({
  model: 'toy',
  policyId: 7,
  mode: 'ab',
  arms: [
    { version: 1, weight: 50, share: 0.5 },
    { version: 2, weight: 50, share: 0.5 },
  ],
  shadow: [],
  stickyHeader: null,
  since: new Date().toISOString(),
  champion: 1,
  ...values,
});

describe(EvaluationService.name, () => {
  let sut: EvaluationService;
  let repository: MockOf<EvaluationRepository, 'exclusively' | 'armSums' | 'pairedSums' | 'windowSums'>;
  let decisions: MockOf<DecisionRepository, 'append' | 'latest' | 'list'>;
  let registry: MockOf<RegistryService, 'promote' | 'rollback'>;
  let traffic: MockOf<TrafficService, 'current' | 'set'>;
  let scorer: MockOf<PreviousChampionScorer, 'score'>;
  let metrics: MockOf<ServiceMetrics, 'decided'>;
  let events: ReturnType<typeof newDomainEventsMock>;
  let versions: ReturnType<typeof newModelRegistryRepositoryMock>;
  let evaluation: EvaluationDefinition;

  const build = (config: AppConfig = loadAppConfig({})) => {
    const catalog = {
      names: ['toy'],
      resolve: (name: string) => name,
      require: () => adHocDefinition({ features: [], columns: [], name: 'toy', evaluation }),
    };
    sut = new EvaluationService(
      config,
      asInstance<ModelCatalog>(catalog),
      asInstance<RegistryService>(registry),
      asInstance<ModelRegistryRepository>(versions),
      asInstance<TrafficService>(traffic),
      asInstance<EvaluationRepository>(repository),
      asInstance<DecisionRepository>(decisions),
      asInstance<PreviousChampionScorer>(scorer),
      asInstance<ServiceMetrics>(metrics),
      asInstance<DomainEvents>(events),
    );
  };

  beforeEach(() => {
    let id = 0;
    repository = {
      exclusively: jest.fn(<T>(work: () => Promise<T>) => work()) as MockOf<
        EvaluationRepository,
        'exclusively'
      >['exclusively'],
      armSums: jest.fn().mockResolvedValue(new Map()),
      pairedSums: jest.fn().mockResolvedValue([]),
      windowSums: jest.fn().mockResolvedValue({ n: 0, sum: 0, correct: 0 }),
    };
    decisions = {
      append: jest.fn((d: NewDecision) =>
        Promise.resolve(Object.assign(new DecisionEntity(), { ...d, id: ++id, createdAt: new Date() })),
      ),
      latest: jest.fn().mockResolvedValue(null),
      list: jest.fn(),
    };
    registry = { promote: jest.fn(), rollback: jest.fn() };
    traffic = {
      current: jest.fn().mockResolvedValue(policy({ mode: 'champion', arms: [], policyId: 0 })),
      set: jest.fn(),
    };
    scorer = { score: jest.fn() };
    metrics = { decided: jest.fn() };
    events = newDomainEventsMock();
    versions = newModelRegistryRepositoryMock();
    versions.findAlias.mockResolvedValue(1);
    versions.findVersion.mockResolvedValue(modelVersionEntity({ version: 1, metrics: { rmse: 0.5 } }));
    evaluation = { autoPromote: true, minSamples: 200 };
    build();
  });

  describe('experiments', () => {
    it('promotes a challenger that is better, forced with the live evidence, and ends the policy', async () => {
      traffic.current.mockResolvedValue(policy());
      repository.armSums.mockResolvedValue(
        new Map([
          [1, rows(losses(400, 1))],
          [2, rows(losses(400, 0.6))],
        ]),
      );
      const run = await sut.evaluate('toy');
      expect(run.ran).toBe(true);
      expect(run.models[0].experiment).toMatchObject({ state: 'challenger_better', action: 'promote', winner: 2 });
      expect(repository.armSums).toHaveBeenCalledWith('toy', 7, 'squaredError');
      const reason = expect.stringContaining('Promoted version 2 of toy') as unknown as string;
      expect(registry.promote).toHaveBeenCalledWith('toy', 2, { force: true, reason, actor: 'evaluation' });
      expect(traffic.set).toHaveBeenCalledWith('toy', { mode: 'champion' }, 'evaluation', reason);
      expect(decisions.append).toHaveBeenCalledWith(
        expect.objectContaining({
          modelName: 'toy',
          kind: 'promote',
          policyId: 7,
          evidence: { experiment: run.models[0].experiment },
        }),
      );
      expect(metrics.decided).toHaveBeenCalledWith('toy', 'promote');
    });

    it('only reports a better challenger when auto_promote is off', async () => {
      evaluation = { autoPromote: false };
      build();
      traffic.current.mockResolvedValue(policy());
      repository.armSums.mockResolvedValue(
        new Map([
          [1, rows(losses(400, 1))],
          [2, rows(losses(400, 0.6))],
        ]),
      );
      const run = await sut.evaluate('toy');
      expect(run.models[0].experiment).toMatchObject({ state: 'challenger_better', action: 'none', winner: null });
      expect(registry.promote).not.toHaveBeenCalled();
      expect(decisions.append).not.toHaveBeenCalled();
    });

    it('keeps collecting below min_samples, and ends an undecided experiment at its deadline', async () => {
      traffic.current.mockResolvedValue(policy());
      repository.armSums.mockResolvedValue(
        new Map([
          [1, rows(losses(100, 1))],
          [2, rows(losses(100, 0.2))],
        ]),
      );
      expect((await sut.evaluate('toy')).models[0].experiment).toMatchObject({ state: 'collecting', action: 'none' });
      expect(traffic.set).not.toHaveBeenCalled();

      traffic.current.mockResolvedValue(policy({ since: new Date(Date.now() - 15 * 86_400_000).toISOString() }));
      repository.armSums.mockResolvedValue(
        new Map([
          [1, rows(losses(400, 1))],
          [2, rows(losses(400, 1))],
        ]),
      );
      const run = await sut.evaluate('toy');
      expect(run.models[0].experiment).toMatchObject({ state: 'deadline', action: 'end_experiment' });
      expect(registry.promote).not.toHaveBeenCalled();
      expect(traffic.set).toHaveBeenCalledWith(
        'toy',
        { mode: 'champion' },
        'evaluation',
        expect.stringContaining('deadline'),
      );
      expect(decisions.append).toHaveBeenCalledWith(expect.objectContaining({ kind: 'end_experiment' }));
    });

    it('decides nothing on a split without the champion among its arms, ending it only at its deadline', async () => {
      traffic.current.mockResolvedValue(policy({ champion: 3 }));
      repository.armSums.mockResolvedValue(
        new Map([
          [1, rows(losses(400, 1))],
          [2, rows(losses(400, 0.2))],
        ]),
      );
      const run = await sut.evaluate('toy');
      expect(run.models[0].experiment).toMatchObject({ state: 'no_champion_arm', action: 'none', comparisons: [] });
      expect(registry.promote).not.toHaveBeenCalled();
      expect(traffic.set).not.toHaveBeenCalled();
      expect(decisions.append).not.toHaveBeenCalled();

      traffic.current.mockResolvedValue(
        policy({ champion: 3, since: new Date(Date.now() - 15 * 86_400_000).toISOString() }),
      );
      const late = await sut.evaluate('toy');
      expect(late.models[0].experiment).toMatchObject({ state: 'no_champion_arm', action: 'end_experiment' });
      expect(registry.promote).not.toHaveBeenCalled();
      expect(traffic.set).toHaveBeenCalledWith(
        'toy',
        { mode: 'champion' },
        'evaluation',
        expect.stringContaining('deadline'),
      );
    });

    it('pairs a shadow version with the champion on the rows both scored', async () => {
      traffic.current.mockResolvedValue(policy({ mode: 'shadow', arms: [], shadow: [2] }));
      const d = losses(300, 0.1).map((x) => -x);
      repository.pairedSums.mockResolvedValue([
        { version: 2, champion: rows(losses(300, 1)), challenger: rows(losses(300, 0.9)), differences: rows(d) },
      ]);
      const report = await sut.experiment('toy');
      expect(repository.pairedSums).toHaveBeenCalledWith('toy', 7, 1, 'squaredError');
      expect(report).toMatchObject({ paired: true, state: 'challenger_better' });
      expect(report.comparisons[0]).toMatchObject({ version: 2, n: 300, fixed: { method: 'paired_t', df: 299 } });
    });
  });

  describe('degradation', () => {
    const degraded = () => repository.windowSums.mockResolvedValue({ n: 300, sum: 300 * 0.81, correct: 0 }); // RMSE 0.9

    it('decides a retraining and announces it with the decision id', async () => {
      degraded();
      const [result] = (await sut.evaluate()).models;
      expect(result.degradation).toMatchObject({
        version: 1,
        live: 0.9,
        holdout: 0.5,
        threshold: 0.625,
        state: 'degraded',
      });
      expect(result.decisions).toEqual([expect.objectContaining({ id: 1, kind: 'retrain' })]);
      expect(events.emit).toHaveBeenCalledWith('performance.degraded', expect.any(PerformanceDegradedEvent));
      expect(events.emit.mock.calls[0][1]).toMatchObject({ model: 'toy', version: 1, decisionId: 1 });
    });

    it('decides nothing during the cooldown of a previous degradation decision', async () => {
      degraded();
      decisions.latest.mockResolvedValue(Object.assign(new DecisionEntity(), { id: 3, kind: 'retrain' }));
      const [result] = (await sut.evaluate()).models;
      expect(result.degradation?.state).toBe('cooldown');
      expect(decisions.latest).toHaveBeenCalledWith('toy', ['retrain', 'rollback', 'degraded'], expect.any(Date));
      expect(decisions.append).not.toHaveBeenCalled();
      expect(events.emit).not.toHaveBeenCalled();
    });

    it('only records the degradation when its action is none', async () => {
      evaluation = { degradation: { action: 'none' } };
      build();
      degraded();
      expect((await sut.evaluate()).models[0].decisions).toEqual([expect.objectContaining({ kind: 'degraded' })]);
      expect(events.emit).not.toHaveBeenCalled();
    });

    it('rolls back when the previous champion did better on the same rows, else retrains', async () => {
      evaluation = { degradation: { action: 'rollback_or_retrain' } };
      build();
      degraded();
      const evidence: RollbackEvidence = {
        previous: 3,
        rows: 300,
        current: 0.9,
        previousValue: 0.5,
        interval: { method: 'paired_t', estimate: -0.5, lower: -0.6, upper: -0.4, df: 299 },
        confidence: 0.95,
        better: true,
      };
      scorer.score.mockResolvedValue(evidence);
      const [rolled] = (await sut.evaluate()).models;
      expect(registry.rollback).toHaveBeenCalledWith(
        'toy',
        'evaluation',
        expect.stringContaining('back from version 1 to 3'),
      );
      expect(rolled.decisions).toEqual([
        expect.objectContaining({
          kind: 'rollback',
          evidence: { degradation: rolled.degradation, rollback: evidence },
        }),
      ]);
      expect(events.emit).not.toHaveBeenCalled();

      scorer.score.mockResolvedValue({ ...evidence, better: false });
      const [retrained] = (await sut.evaluate()).models;
      expect(retrained.decisions).toEqual([expect.objectContaining({ kind: 'retrain' })]);
      expect(registry.rollback).toHaveBeenCalledTimes(1);
    });

    it('waits for min_samples rows, and skips a model without a champion', async () => {
      repository.windowSums.mockResolvedValue({ n: 199, sum: 199 * 4, correct: 0 });
      expect((await sut.evaluate()).models[0].degradation?.state).toBe('collecting');
      versions.findAlias.mockResolvedValue(undefined);
      expect((await sut.evaluate()).models[0].degradation?.state).toBe('no_champion');
      expect(decisions.append).not.toHaveBeenCalled();
    });
  });

  it('reports a model it could not evaluate and goes on', async () => {
    traffic.current.mockRejectedValue(new Error('database gone'));
    expect((await sut.evaluate()).models).toEqual([
      { model: 'toy', experiment: null, degradation: null, decisions: [], error: 'database gone' },
    ]);
  });

  it('does nothing while another process holds the round (PostgreSQL)', async () => {
    repository.exclusively.mockResolvedValue(undefined);
    expect(await sut.evaluate()).toMatchObject({ ran: false, models: [] });
    expect(traffic.current).not.toHaveBeenCalled();
  });

  it('evaluates periodically only in a process that trains', () => {
    const interval = jest.spyOn(global, 'setInterval');
    try {
      build(loadAppConfig({ SERVICE_ROLE: 'api', EVALUATION_INTERVAL_S: '60' }));
      sut.onApplicationBootstrap();
      expect(interval).not.toHaveBeenCalled();
      build(loadAppConfig({ SERVICE_ROLE: 'worker', EVALUATION_INTERVAL_S: '60' }));
      sut.onApplicationBootstrap();
      expect(interval).toHaveBeenCalledWith(expect.any(Function), 60_000);
      sut.onModuleDestroy();
    } finally {
      interval.mockRestore();
    }
  });
});
