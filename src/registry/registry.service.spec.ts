import { adHocDefinition } from '../../test/support/builtin-models';
import {
  aliasEventEntity,
  asInstance,
  MockOf,
  ModelRegistryRepositoryMock,
  modelVersionEntity,
  newModelRegistryRepositoryMock,
  newRunRepositoryMock,
  RunRepositoryMock,
  runEntity,
  servedModel,
} from '../../test/support/mock-repositories';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { ModelDataset } from '../data/model-dataset';
import { ModelNotFoundError } from '../definitions/definition.errors';
import { DefinitionRetiredEvent } from '../definitions/definition.events';
import type { ModelDefinition } from '../definitions/model-definition';
import { RunRepository } from '../training/run.repository';
import { ActiveModels } from './active-models.service';
import { Comparison, HoldoutEvaluator } from './holdout-evaluator.service';
import { ModelRegistryRepository } from './model-registry.repository';
import {
  AliasMovedError,
  ArtifactLoadError,
  ModelVersionNotFoundError,
  PromotionRefusedError,
  RunNotRegistrableError,
} from './registry.errors';
import { RegistryService } from './registry.service';

const toy = (parts: Partial<ModelDefinition> = {}): ModelDefinition =>
  adHocDefinition({
    name: 'toy',
    features: [
      { name: 'x', type: 'number', required: true },
      { name: 'z', type: 'number', required: true },
    ],
    columns: [
      { op: 'input', field: 'x', name: 'x' },
      { op: 'input', field: 'z', name: 'z' },
    ],
    ...parts,
  });

const comparison = (values: Partial<Comparison> = {}): Comparison => ({
  metric: 'rmse',
  higherIsBetter: false,
  candidate: 0.4,
  champion: 0.5,
  rows: 20,
  ...values,
});

describe(RegistryService.name, () => {
  let sut: RegistryService;
  let config: AppConfig;
  let data: MockOf<DataService, 'dataset'> & Pick<DataService, 'names'>;
  let repository: ModelRegistryRepositoryMock;
  let runs: RunRepositoryMock;
  let active: MockOf<ActiveModels, 'load' | 'get' | 'activate'>;
  let evaluator: MockOf<HoldoutEvaluator, 'compare'>;

  beforeEach(() => {
    config = Object.assign(new AppConfig(), { PROMOTION_MARGIN: 0 });
    data = { names: ['toy', 'other'], dataset: jest.fn() };
    repository = newModelRegistryRepositoryMock();
    runs = newRunRepositoryMock();
    active = { load: jest.fn(), get: jest.fn(), activate: jest.fn().mockReturnValue(true) };
    evaluator = { compare: jest.fn() };
    sut = new RegistryService(
      config,
      asInstance<DataService>(data),
      asInstance<ModelRegistryRepository>(repository),
      asInstance<RunRepository>(runs),
      asInstance<ActiveModels>(active),
      asInstance<HoldoutEvaluator>(evaluator),
    );
  });

  /** Versions 1…n of `toy` exist; loading version v gives a served model with the definition `definitions[v]`. */
  const givenVersions = (definitions: Record<number, ModelDefinition>): void => {
    repository.findVersion.mockImplementation((name, version) =>
      Promise.resolve(
        name === 'toy' && version in definitions ? modelVersionEntity({ version, runId: `run-${version}` }) : null,
      ),
    );
    active.load.mockImplementation((version) =>
      Promise.resolve(servedModel(definitions[version.version], version.version)),
    );
  };

  describe('modelNames and requireModel', () => {
    it('names the models of the data service', () => {
      expect(sut.modelNames).toEqual(['toy', 'other']);
    });

    it('accepts a known model', () => {
      expect(() => sut.requireModel('other')).not.toThrow();
    });

    it('refuses an unknown model with REGISTRY.MODEL_NOT_FOUND, listing the known ones', () => {
      const call = () => sut.requireModel('nope');
      expect(call).toThrow(ModelNotFoundError);
      expect(call).toThrow(expect.objectContaining({ code: 'REGISTRY.MODEL_NOT_FOUND' }));
      expect(call).toThrow('known: toy, other');
    });
  });

  describe('version', () => {
    it('reads the version of the model from the repository', async () => {
      const stored = modelVersionEntity({ version: 3 });
      repository.findVersion.mockResolvedValue(stored);
      await expect(sut.version('toy', 3)).resolves.toBe(stored);
      expect(repository.findVersion).toHaveBeenCalledWith('toy', 3);
    });

    it('throws REGISTRY.VERSION_NOT_FOUND for a missing version', async () => {
      repository.findVersion.mockResolvedValue(null);
      const call = sut.version('toy', 9);
      await expect(call).rejects.toBeInstanceOf(ModelVersionNotFoundError);
      await expect(call).rejects.toMatchObject({
        code: 'REGISTRY.VERSION_NOT_FOUND',
        message: 'Model toy has no version 9',
      });
    });

    it('does not query the repository for an unknown model', async () => {
      const call = sut.version('nope', 1);
      await expect(call).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
      expect(repository.findVersion).not.toHaveBeenCalled();
    });
  });

  describe('register', () => {
    const runId = '11111111-1111-4111-8111-111111111111';

    it('stores the succeeded run as a version with its lineage, metrics, artifact and the inputs of the definition in force', async () => {
      const definition = toy();
      data.dataset.mockReturnValue(new ModelDataset(definition, { rawDir: '', timeoutMs: 1, maxRejectedFraction: 0 }));
      const run = runEntity({
        id: runId,
        candidate: 'gbdt',
        datasetVersion: 'd'.repeat(64),
        metrics: { rmse: 0.42 },
        artifactPath: 'models/toy/x.json',
        artifactSha256: 'e'.repeat(64),
      });
      runs.findRun.mockResolvedValue(run);
      repository.findVersionByRun.mockResolvedValue(null);
      const created = modelVersionEntity({ version: 4, runId });
      repository.createVersion.mockResolvedValue(created);

      await expect(sut.register('toy', runId)).resolves.toBe(created);

      expect(runs.findRun).toHaveBeenCalledWith(runId);
      expect(repository.findVersionByRun).toHaveBeenCalledWith(runId);
      expect(data.dataset).toHaveBeenCalledWith('toy');
      expect(repository.createVersion).toHaveBeenCalledWith({
        modelName: 'toy',
        runId,
        candidate: 'gbdt',
        datasetVersion: 'd'.repeat(64),
        metrics: { rmse: 0.42 },
        artifactPath: 'models/toy/x.json',
        artifactSha256: 'e'.repeat(64),
        inputSignature: definition.features,
      });
    });

    it('records the inputs of the definition the run was trained with, when given', async () => {
      const trainedWith = toy({ features: [{ name: 'only', type: 'integer', required: true }] });
      runs.findRun.mockResolvedValue(runEntity({ id: runId }));
      repository.findVersionByRun.mockResolvedValue(null);
      repository.createVersion.mockResolvedValue(modelVersionEntity());

      await sut.register('toy', runId, trainedWith);

      expect(data.dataset).not.toHaveBeenCalled();
      expect(repository.createVersion).toHaveBeenCalledWith(
        expect.objectContaining({ inputSignature: [{ name: 'only', type: 'integer', required: true }] }),
      );
    });

    it.each([
      ['does not exist', null, 'Model toy has no run'],
      ['belongs to another model', runEntity({ id: runId, modelName: 'other' }), 'Model toy has no run'],
      ['failed', runEntity({ id: runId, status: 'failed', metrics: null }), 'is failed: only succeeded runs'],
      ['is still running', runEntity({ id: runId, status: 'running' }), 'is running: only succeeded runs'],
      ['has no artifact', runEntity({ id: runId, artifactPath: null }), 'is succeeded: only succeeded runs'],
      ['has no artifact hash', runEntity({ id: runId, artifactSha256: null }), 'only succeeded runs'],
      ['has no metrics', runEntity({ id: runId, metrics: null }), 'only succeeded runs'],
    ])('refuses a run that %s with REGISTRY.RUN_NOT_REGISTRABLE', async (_why, run, message) => {
      runs.findRun.mockResolvedValue(run);
      repository.findVersionByRun.mockResolvedValue(null);
      const call = sut.register('toy', runId);
      await expect(call).rejects.toBeInstanceOf(RunNotRegistrableError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.RUN_NOT_REGISTRABLE' });
      await expect(call).rejects.toThrow(message);
      expect(repository.createVersion).not.toHaveBeenCalled();
    });

    it('refuses a run registered already, naming its version', async () => {
      runs.findRun.mockResolvedValue(runEntity({ id: runId }));
      repository.findVersionByRun.mockResolvedValue(modelVersionEntity({ version: 2, runId }));
      const call = sut.register('toy', runId);
      await expect(call).rejects.toBeInstanceOf(RunNotRegistrableError);
      await expect(call).rejects.toMatchObject({
        code: 'REGISTRY.RUN_NOT_REGISTRABLE',
        message: `Run ${runId} is already version 2 of toy`,
      });
      expect(repository.createVersion).not.toHaveBeenCalled();
    });

    it('refuses an unknown model before reading the run', async () => {
      await expect(sut.register('nope', runId)).rejects.toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
      expect(runs.findRun).not.toHaveBeenCalled();
    });
  });

  describe('promote', () => {
    beforeEach(() => {
      repository.moveAlias.mockImplementation((move) => Promise.resolve(aliasEventEntity({ id: 77, ...move })));
      runs.findRun.mockImplementation((id) => Promise.resolve(runEntity({ id })));
    });

    it('makes a first champion without a gate, recorded as a bootstrap when the system does it, and serves it', async () => {
      givenVersions({ 1: toy() });
      repository.findAlias.mockResolvedValue(undefined);

      const result = await sut.promote('toy', 1, { actor: 'system' });

      expect(repository.findAlias).toHaveBeenCalledWith('toy', 'champion');
      expect(evaluator.compare).not.toHaveBeenCalled();
      expect(repository.moveAlias).toHaveBeenCalledWith({
        modelName: 'toy',
        alias: 'champion',
        fromVersion: null,
        toVersion: 1,
        action: 'bootstrap',
        reason: 'promote',
        actor: 'system',
        forced: false,
      });
      const loaded = await active.load.mock.results[0].value;
      expect(active.activate).toHaveBeenCalledWith(loaded, 77);
      expect(result).toMatchObject({ model: 'toy', alias: 'champion', fromVersion: null, toVersion: 1, forced: false });
      expect(result.comparison).toBeUndefined();
      expect(result.event.id).toBe(77);
    });

    it('records a first champion set through the API as a promotion', async () => {
      givenVersions({ 1: toy() });
      repository.findAlias.mockResolvedValue(undefined);
      await sut.promote('toy', 1, { actor: 'api', reason: 'first' });
      expect(repository.moveAlias).toHaveBeenCalledWith(
        expect.objectContaining({ action: 'promote', reason: 'first' }),
      );
    });

    it('compares the candidate with the champion on its holdout and promotes a winner, with both scores in the reason', async () => {
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      evaluator.compare.mockResolvedValue(comparison({ candidate: 0.4, champion: 0.5, rows: 20 }));

      const result = await sut.promote('toy', 2, { actor: 'api', reason: 'better' });

      expect(runs.findRun).toHaveBeenCalledWith('run-2');
      const [candidate, champion] = await Promise.all(active.load.mock.results.map((r) => r.value as Promise<unknown>));
      expect(active.load.mock.calls.map(([v]) => v.version)).toEqual([2, 1]);
      expect(evaluator.compare).toHaveBeenCalledWith(expect.objectContaining({ id: 'run-2' }), candidate, champion);
      expect(repository.moveAlias).toHaveBeenCalledWith({
        modelName: 'toy',
        alias: 'champion',
        fromVersion: 1,
        toVersion: 2,
        action: 'promote',
        reason: 'better; rmse 0.4000 vs 0.5000 on 20 rows',
        actor: 'api',
        forced: false,
      });
      expect(active.activate).toHaveBeenCalledWith(candidate, 77);
      expect(result).toMatchObject({ fromVersion: 1, toVersion: 2, comparison: comparison({ rows: 20 }) });
    });

    it('reuses the served champion instead of loading it again', async () => {
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      const served = servedModel(toy(), 1);
      active.get.mockReturnValue(served);
      evaluator.compare.mockResolvedValue(comparison());

      await sut.promote('toy', 2, { actor: 'api' });

      expect(active.get).toHaveBeenCalledWith('toy');
      expect(active.load).toHaveBeenCalledTimes(1);
      expect(evaluator.compare).toHaveBeenCalledWith(expect.anything(), expect.anything(), served);
    });

    it('loads the champion the database names when this process serves another version', async () => {
      givenVersions({ 1: toy(), 2: toy(), 3: toy() });
      repository.findAlias.mockResolvedValue(3);
      active.get.mockReturnValue(servedModel(toy(), 1));
      evaluator.compare.mockResolvedValue(comparison());

      await sut.promote('toy', 2, { actor: 'api' });

      expect(active.load.mock.calls.map(([v]) => v.version)).toEqual([2, 3]);
    });

    it.each([
      ['an equal score (ties lose)', comparison({ candidate: 0.5, champion: 0.5 }), 0],
      ['a worse score', comparison({ candidate: 0.6, champion: 0.5 }), 0],
      ['a better score within the margin', comparison({ candidate: 0.45, champion: 0.5 }), 0.1],
      ['a lower accuracy', comparison({ metric: 'accuracy', higherIsBetter: true, candidate: 0.8, champion: 0.9 }), 0],
      ['NaN against a finite champion', comparison({ candidate: NaN, champion: 0.5 }), 0],
      ['NaN against a NaN champion', comparison({ candidate: NaN, champion: NaN }), 0],
    ])('refuses a candidate with %s (REGISTRY.PROMOTION_REFUSED), moving nothing', async (_why, scores, margin) => {
      config.PROMOTION_MARGIN = margin;
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      evaluator.compare.mockResolvedValue(scores);

      const call = sut.promote('toy', 2, { actor: 'api' });

      await expect(call).rejects.toBeInstanceOf(PromotionRefusedError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.PROMOTION_REFUSED' });
      await expect(call).rejects.toThrow(`by the margin ${margin} on the same 20 holdout rows`);
      expect(repository.moveAlias).not.toHaveBeenCalled();
      expect(active.activate).not.toHaveBeenCalled();
    });

    it('names both scores and the champion in the refusal', async () => {
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      evaluator.compare.mockResolvedValue(comparison({ candidate: 0.61234, champion: 0.5 }));
      await expect(sut.promote('toy', 2, { actor: 'api' })).rejects.toThrow(
        'Version 2 (rmse 0.6123) does not beat champion version 1 (rmse 0.5000)',
      );
    });

    it("uses the definition's gate margin over PROMOTION_MARGIN", async () => {
      config.PROMOTION_MARGIN = 0.5;
      givenVersions({ 1: toy(), 2: toy({ gate: { metric: 'rmse', margin: 0.01 } }) });
      repository.findAlias.mockResolvedValue(1);
      evaluator.compare.mockResolvedValue(comparison({ candidate: 0.45, champion: 0.5 }));

      await expect(sut.promote('toy', 2, { actor: 'api' })).resolves.toMatchObject({ toVersion: 2 });
      expect(repository.moveAlias).toHaveBeenCalled();
    });

    it.each([
      [
        'a higher accuracy beyond the margin',
        comparison({ metric: 'accuracy', higherIsBetter: true, candidate: 0.9, champion: 0.8 }),
        0.05,
      ],
      ['any finite score against a NaN champion', comparison({ candidate: 123, champion: NaN }), 0],
    ])('promotes a candidate with %s', async (_why, scores, margin) => {
      config.PROMOTION_MARGIN = margin;
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      evaluator.compare.mockResolvedValue(scores);
      await expect(sut.promote('toy', 2, { actor: 'api' })).resolves.toMatchObject({ fromVersion: 1, toVersion: 2 });
    });

    it("refuses to promote over a champion when the version's run is gone (nothing to judge it on), unless forced", async () => {
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      runs.findRun.mockResolvedValue(null);

      const refused = sut.promote('toy', 2, { actor: 'api' });
      await expect(refused).rejects.toBeInstanceOf(PromotionRefusedError);
      await expect(refused).rejects.toMatchObject({
        code: 'REGISTRY.PROMOTION_REFUSED',
        message: expect.stringContaining('its run run-2 is gone'),
      });
      expect(evaluator.compare).not.toHaveBeenCalled();
      expect(repository.moveAlias).not.toHaveBeenCalled();

      await sut.promote('toy', 2, { actor: 'api', force: true });
      expect(repository.moveAlias).toHaveBeenCalledWith(expect.objectContaining({ toVersion: 2, forced: true }));
    });

    it('promotes a forced loser without comparing, recorded as forced', async () => {
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      repository.moveAlias.mockImplementation((move) => Promise.resolve(aliasEventEntity({ id: 78, ...move })));

      const result = await sut.promote('toy', 2, { actor: 'api', force: true, reason: 'hotfix' });

      expect(evaluator.compare).not.toHaveBeenCalled();
      expect(repository.moveAlias).toHaveBeenCalledWith(
        expect.objectContaining({ fromVersion: 1, toVersion: 2, reason: 'hotfix; forced', forced: true }),
      );
      expect(result.forced).toBe(true);
      expect(active.activate).toHaveBeenCalledWith(expect.objectContaining({ version: 2 }), 78);
    });

    it.each([
      [
        'another task',
        toy({
          task: 'classification',
          target: { name: 'y', divideBy: 1, unit: '', output: 'y', also: {}, classes: ['a', 'b'] },
        }),
        'the champion is a classification model',
      ],
      [
        'another target',
        toy({ target: { name: 'w', divideBy: 1, unit: '', output: 'w', also: {} } }),
        'the champion predicts w',
      ],
      [
        'a scaled target',
        toy({ target: { name: 'y', divideBy: 1000, unit: '', output: 'y', also: {} } }),
        'the champion predicts y / 1000',
      ],
      [
        'an input the candidate lacks',
        toy({
          features: [
            { name: 'x', type: 'number', required: true },
            { name: 'w', type: 'number', required: true },
          ],
          columns: [
            { op: 'input', field: 'x', name: 'x' },
            { op: 'input', field: 'w', name: 'w' },
          ],
        }),
        'the champion needs input(s) the new definition lacks: w',
      ],
    ])(
      'skips the gate against a champion with %s and says so in the audit trail',
      async (_why, championDefinition, note) => {
        givenVersions({ 1: championDefinition, 2: toy() });
        repository.findAlias.mockResolvedValue(1);

        await sut.promote('toy', 2, { actor: 'api' });

        expect(evaluator.compare).not.toHaveBeenCalled();
        expect(repository.moveAlias).toHaveBeenCalledWith(
          expect.objectContaining({ fromVersion: 1, toVersion: 2, reason: `gate skipped: ${note}`, forced: false }),
        );
        expect(active.activate).toHaveBeenCalled();
      },
    );

    it('moves the challenger without a gate and without serving it', async () => {
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);

      const result = await sut.promote('toy', 2, { alias: 'challenger', actor: 'api' });

      expect(repository.findAlias).toHaveBeenCalledWith('toy', 'challenger');
      expect(active.load).toHaveBeenCalledWith(expect.objectContaining({ version: 2 })); // loaded and warmed, still
      expect(evaluator.compare).not.toHaveBeenCalled();
      expect(repository.moveAlias).toHaveBeenCalledWith(
        expect.objectContaining({ alias: 'challenger', fromVersion: 1, toVersion: 2, action: 'promote' }),
      );
      expect(active.activate).not.toHaveBeenCalled();
      expect(result.alias).toBe('challenger');
    });

    it('refuses to move an alias to the version it names already', async () => {
      givenVersions({ 2: toy() });
      repository.findAlias.mockResolvedValue(2);
      const call = sut.promote('toy', 2, { actor: 'api' });
      await expect(call).rejects.toBeInstanceOf(PromotionRefusedError);
      await expect(call).rejects.toMatchObject({
        code: 'REGISTRY.PROMOTION_REFUSED',
        message: 'Version 2 of toy is already the champion',
      });
      expect(active.load).not.toHaveBeenCalled();
      expect(repository.moveAlias).not.toHaveBeenCalled();
    });

    it('throws REGISTRY.VERSION_NOT_FOUND for a missing version, reading no alias', async () => {
      givenVersions({});
      await expect(sut.promote('toy', 5, { actor: 'api' })).rejects.toMatchObject({
        code: 'REGISTRY.VERSION_NOT_FOUND',
      });
      expect(repository.findAlias).not.toHaveBeenCalled();
    });

    it('moves nothing when the version cannot be loaded', async () => {
      givenVersions({ 2: toy() });
      repository.findAlias.mockResolvedValue(undefined);
      active.load.mockRejectedValue(new ArtifactLoadError('Model toy version 2 cannot be loaded: sha256 mismatch'));
      const call = sut.promote('toy', 2, { actor: 'api' });
      await expect(call).rejects.toBeInstanceOf(ArtifactLoadError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.ARTIFACT_REFUSED' });
      expect(repository.moveAlias).not.toHaveBeenCalled();
    });

    it('writes the move against the champion it read (compare-and-set) and serves nothing when it moved meanwhile', async () => {
      givenVersions({ 1: toy(), 2: toy() });
      repository.findAlias.mockResolvedValue(1);
      evaluator.compare.mockResolvedValue(comparison());
      repository.moveAlias.mockImplementation((move) => Promise.reject(new AliasMovedError(move, 3)));

      const call = sut.promote('toy', 2, { actor: 'api' });

      await expect(call).rejects.toBeInstanceOf(AliasMovedError);
      await expect(call).rejects.toMatchObject({
        code: 'REGISTRY.ALIAS_MOVED',
        message: expect.stringContaining('expected 1, found 3'),
      });
      expect(repository.moveAlias).toHaveBeenCalledWith(expect.objectContaining({ fromVersion: 1, toVersion: 2 }));
      expect(active.activate).not.toHaveBeenCalled();
    });
  });

  describe('rollback', () => {
    const champion = (
      action: 'promote' | 'bootstrap' | 'rollback' | 'retire',
      from: number | null,
      to: number | null,
    ) => aliasEventEntity({ alias: 'champion', action, fromVersion: from, toVersion: to });

    beforeEach(() => {
      givenVersions({ 1: toy(), 2: toy(), 3: toy() });
      repository.moveAlias.mockImplementation((move) => Promise.resolve(aliasEventEntity({ id: 90, ...move })));
    });

    it('moves the champion back to the one before it, ignoring challenger moves, and serves it', async () => {
      repository.history.mockResolvedValue([
        champion('bootstrap', null, 1),
        aliasEventEntity({ alias: 'challenger', fromVersion: null, toVersion: 3 }),
        champion('promote', 1, 2),
      ]);

      const result = await sut.rollback('toy', 'api', 'bad answers');

      expect(repository.history).toHaveBeenCalledWith('toy');
      expect(active.load).toHaveBeenCalledWith(expect.objectContaining({ modelName: 'toy', version: 1 }));
      expect(repository.moveAlias).toHaveBeenCalledWith({
        modelName: 'toy',
        alias: 'champion',
        fromVersion: 2,
        toVersion: 1,
        action: 'rollback',
        reason: 'bad answers',
        actor: 'api',
        forced: false,
      });
      expect(active.activate).toHaveBeenCalledWith(expect.objectContaining({ version: 1 }), 90);
      expect(result).toMatchObject({ model: 'toy', alias: 'champion', fromVersion: 2, toVersion: 1, forced: false });
    });

    it('steps back one champion per rollback', async () => {
      repository.history.mockResolvedValue([
        champion('bootstrap', null, 1),
        champion('promote', 1, 2),
        champion('promote', 2, 3),
        champion('rollback', 3, 2),
      ]);
      await sut.rollback('toy', 'api');
      expect(repository.moveAlias).toHaveBeenCalledWith(
        expect.objectContaining({ fromVersion: 2, toVersion: 1, reason: 'rollback' }),
      );
    });

    it.each([
      ['a single champion', [champion('bootstrap', null, 1)]],
      ['no history', []],
      [
        'a rollback already back at the first',
        [champion('bootstrap', null, 1), champion('promote', 1, 2), champion('rollback', 2, 1)],
      ],
      [
        'a retirement in between',
        [champion('bootstrap', null, 1), champion('retire', 1, null), champion('bootstrap', null, 2)],
      ],
    ])('refuses with REGISTRY.PROMOTION_REFUSED after %s', async (_why, history) => {
      repository.history.mockResolvedValue(history);
      const call = sut.rollback('toy', 'api');
      await expect(call).rejects.toBeInstanceOf(PromotionRefusedError);
      await expect(call).rejects.toMatchObject({
        code: 'REGISTRY.PROMOTION_REFUSED',
        message: 'Model toy has no previous champion to roll back to',
      });
      expect(repository.moveAlias).not.toHaveBeenCalled();
    });

    it('refuses an unknown model before reading its history', async () => {
      const call = sut.rollback('nope', 'api');
      await expect(call).rejects.toBeInstanceOf(ModelNotFoundError);
      expect(repository.history).not.toHaveBeenCalled();
    });

    it('serves nothing when the move lost a race (REGISTRY.ALIAS_MOVED)', async () => {
      repository.history.mockResolvedValue([champion('bootstrap', null, 1), champion('promote', 1, 2)]);
      repository.moveAlias.mockImplementation((move) => Promise.reject(new AliasMovedError(move, 3)));
      await expect(sut.rollback('toy', 'api')).rejects.toMatchObject({ code: 'REGISTRY.ALIAS_MOVED' });
      expect(active.activate).not.toHaveBeenCalled();
    });
  });

  describe('onRetired', () => {
    it('clears every alias the model has, audited as retire', async () => {
      repository.findAlias.mockImplementation((_name, alias) => Promise.resolve(alias === 'champion' ? 4 : undefined));
      repository.moveAlias.mockResolvedValue(aliasEventEntity());

      await sut.onRetired(new DefinitionRetiredEvent('gone', 'api'));

      expect(repository.findAlias.mock.calls).toEqual([
        ['gone', 'champion'],
        ['gone', 'challenger'],
      ]);
      expect(repository.moveAlias).toHaveBeenCalledTimes(1);
      expect(repository.moveAlias).toHaveBeenCalledWith({
        modelName: 'gone',
        alias: 'champion',
        fromVersion: 4,
        toVersion: null,
        action: 'retire',
        reason: 'the model was retired',
        actor: 'api',
        forced: false,
      });
    });

    it('leaves the aliases to the replica that retired the model', async () => {
      await sut.onRetired(new DefinitionRetiredEvent('gone', 'api', true));
      expect(repository.findAlias).not.toHaveBeenCalled();
      expect(repository.moveAlias).not.toHaveBeenCalled();
    });
  });
});
