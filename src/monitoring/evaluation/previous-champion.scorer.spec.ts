import {
  aliasEventEntity,
  asInstance,
  modelVersionEntity,
  newModelRegistryRepositoryMock,
} from '../../../test/support/mock-repositories';
import type { ActiveModels } from '../../registry/active-models.service';
import type { AliasEventEntity } from '../../registry/entities/alias-event.entity';
import type { ModelRegistryRepository } from '../../registry/model-registry.repository';
import type { EvaluationRepository, ScoredRow } from './evaluation.repository';
import { PreviousChampionScorer, previousChampion } from './previous-champion.scorer';

const move = (id: number, toVersion: number | null, action: AliasEventEntity['action'] = 'promote') =>
  aliasEventEntity({ id, toVersion, action });

describe('previousChampion', () => {
  it('is the champion before the current one, as a rollback reads the alias history', () => {
    expect(previousChampion([move(1, 1, 'bootstrap')])).toBeUndefined();
    expect(previousChampion([move(1, 1), move(2, 2), move(3, 3)])).toBe(2);
    expect(previousChampion([move(1, 1), move(2, 2), move(3, 3), move(4, 2, 'rollback')])).toBe(1);
    expect(previousChampion([move(1, 1), move(2, null, 'retire'), move(3, 2)])).toBeUndefined();
    expect(previousChampion([move(1, 1), aliasEventEntity({ id: 2, alias: 'challenger', toVersion: 5 })])).toBe(
      undefined,
    );
  });
});

describe(PreviousChampionScorer.name, () => {
  /** A logged request of one row `x`, whose current champion's squared error was `loss`, with truth `actual`. */
  const row = (x: number, actual: number, loss: number): ScoredRow => ({
    loss,
    actualValue: actual,
    actualLabel: null,
    logId: 100 + x,
    rowIndex: 1,
  });

  const scorer = (rows: ScoredRow[], predict: (x: number) => number, fail = false) => {
    const registry = newModelRegistryRepositoryMock();
    registry.history.mockResolvedValue([move(1, 1), move(2, 2)]);
    registry.findVersion.mockResolvedValue(modelVersionEntity({ version: 1 }));
    const served = {
      spec: {},
      predict: (inputs: { x: number }[]) => ({
        task: 'regression' as const,
        values: Float64Array.from(inputs.map((i) => predict(i.x))),
      }),
    };
    const active = {
      load: jest.fn(() => (fail ? Promise.reject(new Error('artifact gone')) : Promise.resolve(served))),
    };
    const repository = {
      windowRows: jest.fn().mockResolvedValue(rows),
      loggedInputs: jest.fn((ids: readonly number[]) =>
        Promise.resolve(new Map(ids.map((id) => [id, { fields: ['x'], rows: [[0], [id - 100]] }]))),
      ),
    };
    const sut = new PreviousChampionScorer(
      asInstance<EvaluationRepository>(repository),
      asInstance<ModelRegistryRepository>(registry),
      asInstance<ActiveModels>(active),
    );
    return { sut, repository };
  };

  // The current champion was 1 off on every row; the previous one predicts x, and the truth is x + noise.
  const rows = Array.from({ length: 40 }, (_, i) => row(i, i + (i % 2 === 0 ? 0.1 : -0.1), 1));

  it('scores the logged rows with the previous champion against the same truth: better, paired interval below 0', async () => {
    const { sut, repository } = scorer(rows, (x) => x);
    const since = new Date('2026-01-01T00:00:00Z');
    const evidence = await sut.score('toy', 2, since, 'regression', 0.95);
    expect(repository.windowRows).toHaveBeenCalledWith('toy', 2, since, 'squaredError', 5000);
    expect(evidence).toMatchObject({ previous: 1, rows: 40, current: 1, better: true });
    expect(evidence.previousValue).toBeCloseTo(0.1, 12);
    expect(evidence.interval).toMatchObject({ method: 'paired_t', df: 39 });
    expect(evidence.interval?.upper).toBeLessThan(0);
  });

  it('is not better when it misses by more, and says why when it cannot score', async () => {
    expect(await scorer(rows, (x) => x + 3).sut.score('toy', 2, new Date(), 'regression', 0.95)).toMatchObject({
      better: false,
    });
    const failed = await scorer(rows, (x) => x, true).sut.score('toy', 2, new Date(), 'regression', 0.95);
    expect(failed).toMatchObject({ previous: 1, better: false, note: expect.stringContaining('artifact gone') });
    expect((await scorer([], (x) => x).sut.score('toy', 2, new Date(), 'regression', 0.95)).note).toContain('too few');
  });
});
