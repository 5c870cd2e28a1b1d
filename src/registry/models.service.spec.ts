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
import { DataService } from '../data/data.service';
import { ModelNotFoundError } from '../definitions/definition.errors';
import { CatalogEntry, ModelCatalog } from '../definitions/model-catalog.service';
import type { ModelDefinition } from '../definitions/model-definition';
import { RunRepository } from '../training/run.repository';
import { ActiveModels } from './active-models.service';
import { ModelAliasEntity, type Alias } from './entities/model-alias.entity';
import { HoldoutEvaluator } from './holdout-evaluator.service';
import { ModelRegistryRepository } from './model-registry.repository';
import { ModelsService } from './models.service';
import { ModelVersionNotFoundError, PromotionRefusedError, RunNotRegistrableError } from './registry.errors';
import { RegistryService } from './registry.service';

const definition = (name: string, task: ModelDefinition['task'] = 'regression'): ModelDefinition =>
  adHocDefinition({
    name,
    task,
    features: [{ name: 'x', type: 'number', required: true }],
    columns: [{ op: 'input', field: 'x', name: 'x' }],
    ...(task === 'classification'
      ? { target: { name: 'y', divideBy: 1, unit: '', output: 'y', also: {}, classes: ['a', 'b'] } }
      : {}),
  });

const alias = (modelName: string, name: Alias, version: number): ModelAliasEntity =>
  Object.assign(new ModelAliasEntity(), { modelName, alias: name, version, updatedAt: new Date(0) });

describe(ModelsService.name, () => {
  const known = ['toy', 'flowers'];
  let sut: ModelsService;
  let data: Pick<DataService, 'names'>;
  let catalog: MockOf<ModelCatalog, 'brokenDefinitions' | 'entry' | 'require'>;
  let registry: MockOf<RegistryService, 'version' | 'requireModel' | 'register' | 'promote' | 'rollback'>;
  let repository: ModelRegistryRepositoryMock;
  let active: MockOf<ActiveModels, 'get' | 'load'>;
  let runs: RunRepositoryMock;
  let evaluator: MockOf<HoldoutEvaluator, 'predictions'>;

  beforeEach(() => {
    data = { names: known };
    const definitions: Record<string, ModelDefinition> = {
      toy: definition('toy'),
      flowers: definition('flowers', 'classification'),
    };
    catalog = {
      brokenDefinitions: jest.fn().mockReturnValue([]),
      entry: jest.fn((name: string): CatalogEntry | undefined =>
        name === 'flowers'
          ? {
              definition: definitions.flowers,
              origin: 'api',
              location: 'api',
              document: {},
              since: new Date(0),
              atStart: true,
            }
          : undefined,
      ),
      require: jest.fn((name: string) => definitions[name]),
    };
    registry = {
      version: jest.fn(),
      requireModel: jest.fn((name: string) => {
        if (!known.includes(name)) throw new ModelNotFoundError(name, known);
      }),
      register: jest.fn(),
      promote: jest.fn(),
      rollback: jest.fn(),
    };
    repository = newModelRegistryRepositoryMock();
    repository.listAliases.mockResolvedValue([]);
    repository.listVersions.mockResolvedValue([]);
    active = { get: jest.fn(), load: jest.fn() };
    runs = newRunRepositoryMock();
    evaluator = { predictions: jest.fn() };
    sut = new ModelsService(
      asInstance<DataService>(data),
      asInstance<ModelCatalog>(catalog),
      asInstance<RegistryService>(registry),
      asInstance<ModelRegistryRepository>(repository),
      asInstance<ActiveModels>(active),
      asInstance<RunRepository>(runs),
      asInstance<HoldoutEvaluator>(evaluator),
    );
  });

  describe('list', () => {
    it('summarises every model in force (aliases, served version, version count), then each broken definition', async () => {
      repository.listAliases.mockImplementation((name) =>
        Promise.resolve(name === 'toy' ? [alias('toy', 'champion', 2), alias('toy', 'challenger', 3)] : []),
      );
      repository.listVersions.mockImplementation((name) =>
        Promise.resolve(name === 'toy' ? [3, 2, 1].map((version) => modelVersionEntity({ version })) : []),
      );
      active.get.mockImplementation((name) => (name === 'toy' ? servedModel(definition('toy'), 2) : undefined));
      const problems = [{ field: 'task', rule: 'enum', message: 'task: must be regression or classification' }];
      catalog.brokenDefinitions.mockReturnValue([
        { origin: 'file', location: '/defs/bad.yaml', name: 'bad', problems },
        { origin: 'file', location: '/defs/nameless.yaml', problems },
      ]);

      await expect(sut.list()).resolves.toEqual([
        {
          name: 'toy',
          status: 'ok',
          origin: 'builtin',
          task: 'regression',
          champion: 2,
          challenger: 3,
          servedVersion: 2,
          versionCount: 3,
        },
        {
          name: 'flowers',
          status: 'ok',
          origin: 'api',
          task: 'classification',
          champion: null,
          challenger: null,
          servedVersion: null,
          versionCount: 0,
        },
        {
          name: 'bad',
          status: 'broken',
          origin: 'file',
          task: null,
          champion: null,
          challenger: null,
          servedVersion: null,
          versionCount: 0,
          problems,
        },
        expect.objectContaining({ name: '/defs/nameless.yaml', status: 'broken' }),
      ]);
      expect(repository.listAliases).toHaveBeenCalledWith('toy');
      expect(repository.listVersions).toHaveBeenCalledWith('flowers');
    });
  });

  describe('get', () => {
    it('adds every version, newest first as stored, with the aliases pointing at it', async () => {
      repository.listAliases.mockResolvedValue([alias('toy', 'champion', 2), alias('toy', 'challenger', 2)]);
      repository.listVersions.mockResolvedValue([
        modelVersionEntity({ version: 2 }),
        modelVersionEntity({ version: 1 }),
      ]);

      const detail = await sut.get('toy');

      expect(detail).toMatchObject({ name: 'toy', champion: 2, challenger: 2, versionCount: 2 });
      expect(detail.versions.map((v) => [v.model, v.version, v.aliases])).toEqual([
        ['toy', 2, ['champion', 'challenger']],
        ['toy', 1, []],
      ]);
      expect(detail.versions[0]).not.toHaveProperty('modelName');
      expect(detail.versions[0]).not.toHaveProperty('id');
    });

    it('throws REGISTRY.MODEL_NOT_FOUND for an unknown model without reading the registry', async () => {
      const call = sut.get('nope');
      await expect(call).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
      expect(repository.listAliases).not.toHaveBeenCalled();
      expect(repository.listVersions).not.toHaveBeenCalled();
    });
  });

  describe('version', () => {
    it('shapes the version with only the aliases that point at it', async () => {
      registry.version.mockResolvedValue(modelVersionEntity({ version: 3, candidate: 'gbdt' }));
      repository.listAliases.mockResolvedValue([alias('toy', 'champion', 2), alias('toy', 'challenger', 3)]);

      await expect(sut.version('toy', 3)).resolves.toMatchObject({
        model: 'toy',
        version: 3,
        candidate: 'gbdt',
        aliases: ['challenger'],
      });
      expect(registry.version).toHaveBeenCalledWith('toy', 3);
      expect(repository.listAliases).toHaveBeenCalledWith('toy');
    });

    it('gives the lineage from the run: an import with its file, or training', async () => {
      registry.version.mockResolvedValue(modelVersionEntity({ version: 3, candidate: 'xgboost', runId: 'run-3' }));
      repository.listAliases.mockResolvedValue([]);
      const params = { source: 'import', format: 'xgboost-json', sha256: 'ab'.repeat(32), features: ['a'] };
      runs.findRun.mockResolvedValue(runEntity({ id: 'run-3', candidate: 'xgboost', params }));

      const shaped = await sut.version('toy', 3);

      expect(shaped.lineage).toEqual({ source: 'import', format: 'xgboost-json', sha256: 'ab'.repeat(32) });
      expect(runs.findRun).toHaveBeenCalledWith('run-3');
      runs.findRun.mockResolvedValue(runEntity({ id: 'run-3', params: { nEstimators: 10 } }));
      await expect(sut.version('toy', 3)).resolves.toMatchObject({ lineage: { source: 'training' } });
    });

    it('passes on REGISTRY.VERSION_NOT_FOUND', async () => {
      registry.version.mockRejectedValue(new ModelVersionNotFoundError('toy', 8));
      const call = sut.version('toy', 8);
      await expect(call).rejects.toBeInstanceOf(ModelVersionNotFoundError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.VERSION_NOT_FOUND' });
    });
  });

  describe('history', () => {
    it("returns the model's alias events with the model under `model`", async () => {
      repository.history.mockResolvedValue([
        aliasEventEntity({ id: 1, modelName: 'toy', toVersion: 1, action: 'bootstrap' }),
        aliasEventEntity({ id: 2, modelName: 'toy', fromVersion: 1, toVersion: 2, reason: 'better' }),
      ]);

      const history = await sut.history('toy');

      expect(repository.history).toHaveBeenCalledWith('toy');
      expect(history.map((e) => [e.id, e.model, e.action, e.fromVersion, e.toVersion, e.reason])).toEqual([
        [1, 'toy', 'bootstrap', null, 1, 'promote'],
        [2, 'toy', 'promote', 1, 2, 'better'],
      ]);
      expect(history[0]).not.toHaveProperty('modelName');
    });

    it('throws REGISTRY.MODEL_NOT_FOUND for an unknown model', async () => {
      await expect(sut.history('nope')).rejects.toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
      expect(repository.history).not.toHaveBeenCalled();
    });
  });

  describe('register', () => {
    it('registers through the registry and shapes the new version, which no alias names yet', async () => {
      const runId = '11111111-1111-4111-8111-111111111111';
      registry.register.mockResolvedValue(modelVersionEntity({ version: 5, runId }));
      await expect(sut.register('toy', runId)).resolves.toMatchObject({ model: 'toy', version: 5, runId, aliases: [] });
      expect(registry.register).toHaveBeenCalledWith('toy', runId);
    });

    it('passes on REGISTRY.RUN_NOT_REGISTRABLE', async () => {
      registry.register.mockRejectedValue(new RunNotRegistrableError('Run r is failed'));
      await expect(sut.register('toy', 'r')).rejects.toMatchObject({ code: 'REGISTRY.RUN_NOT_REGISTRABLE' });
    });
  });

  describe('promote and rollback', () => {
    const move = {
      model: 'toy',
      alias: 'champion' as const,
      fromVersion: 1,
      toVersion: 2,
      forced: true,
      event: aliasEventEntity({ id: 9, fromVersion: 1, toVersion: 2, forced: true, actor: 'api' }),
    };

    it('promotes as the API actor with the options of the body', async () => {
      registry.promote.mockResolvedValue(move);

      const result = await sut.promote('toy', 2, { force: true, reason: 'hotfix', alias: 'champion' });

      expect(registry.promote).toHaveBeenCalledWith('toy', 2, {
        force: true,
        reason: 'hotfix',
        alias: 'champion',
        actor: 'api',
      });
      expect(result).toMatchObject({ model: 'toy', fromVersion: 1, toVersion: 2, forced: true });
      expect(result.event).toMatchObject({ id: 9, model: 'toy', actor: 'api' });
      expect(result.event).not.toHaveProperty('modelName');
    });

    it('passes on REGISTRY.PROMOTION_REFUSED', async () => {
      registry.promote.mockRejectedValue(new PromotionRefusedError('does not beat the champion'));
      const call = sut.promote('toy', 2, {});
      await expect(call).rejects.toBeInstanceOf(PromotionRefusedError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.PROMOTION_REFUSED' });
    });

    it('rolls back as the API actor with the reason given', async () => {
      registry.rollback.mockResolvedValue({ ...move, fromVersion: 2, toVersion: 1, forced: false });
      await expect(sut.rollback('toy', 'broken')).resolves.toMatchObject({ fromVersion: 2, toVersion: 1 });
      expect(registry.rollback).toHaveBeenCalledWith('toy', 'api', 'broken');
    });
  });

  describe('holdout', () => {
    const predictions = { task: 'regression' as const, actual: [1, 2], predicted: [1.1, 1.9] };

    beforeEach(() => {
      registry.version.mockResolvedValue(modelVersionEntity({ version: 2, runId: 'run-2' }));
      runs.findRun.mockResolvedValue(runEntity({ id: 'run-2' }));
      evaluator.predictions.mockResolvedValue(predictions);
    });

    it("predicts the run's holdout with the served version when it is the one asked for", async () => {
      const served = servedModel(definition('toy'), 2);
      active.get.mockReturnValue(served);

      await expect(sut.holdout('toy', 2)).resolves.toEqual({ model: 'toy', version: 2, ...predictions });

      expect(runs.findRun).toHaveBeenCalledWith('run-2');
      expect(active.load).not.toHaveBeenCalled();
      expect(evaluator.predictions).toHaveBeenCalledWith(expect.objectContaining({ id: 'run-2' }), served);
    });

    it('loads the version when another one is served', async () => {
      active.get.mockReturnValue(servedModel(definition('toy'), 1));
      const loaded = servedModel(definition('toy'), 2);
      active.load.mockResolvedValue(loaded);

      await sut.holdout('toy', 2);

      expect(active.load).toHaveBeenCalledWith(expect.objectContaining({ version: 2, runId: 'run-2' }));
      expect(evaluator.predictions).toHaveBeenCalledWith(expect.anything(), loaded);
    });

    it('throws REGISTRY.VERSION_NOT_FOUND when the run of the version is gone', async () => {
      runs.findRun.mockResolvedValue(null);
      const call = sut.holdout('toy', 2);
      await expect(call).rejects.toBeInstanceOf(ModelVersionNotFoundError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.VERSION_NOT_FOUND' });
      expect(evaluator.predictions).not.toHaveBeenCalled();
    });
  });
});
