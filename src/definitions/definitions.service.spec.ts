import { adHocDefinition } from '../../test/support/builtin-models';
import {
  asInstance,
  ClusterBusMock,
  definitionRow,
  DefinitionRepositoryMock,
  DomainEventsMock,
  MockOf,
  newClusterBusMock,
  newDefinitionRepositoryMock,
  newDomainEventsMock,
} from '../../test/support/mock-repositories';
import { ClusterBus } from '../cluster/cluster-bus.service';
import { DomainEvents } from '../common/events/domain-events';
import { AppConfig } from '../config/app-config';
import { DefinitionRepository } from './definition.repository';
import { DefinitionConflictError, InvalidDefinitionError, ModelNotFoundError } from './definition.errors';
import { DefinitionChangedEvent, DefinitionRetiredEvent } from './definition.events';
import { DefinitionsService } from './definitions.service';
import { CatalogEntry, ModelCatalog } from './model-catalog.service';

/** A valid definition document, as a client sends it. */
const toyDocument = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'toy',
  task: 'regression',
  source: { path: 'toy.csv' },
  target: { name: 'y' },
  features: [{ name: 'x', type: 'number' }],
  ...extra,
});

describe(DefinitionsService.name, () => {
  describe('with the catalog mocked', () => {
    let sut: DefinitionsService;
    let catalog: MockOf<ModelCatalog, 'require' | 'entry' | 'put' | 'retire' | 'history' | 'brokenDefinitions'>;
    const entry: CatalogEntry = {
      definition: adHocDefinition({ name: 'toy', features: [], columns: [] }),
      origin: 'api',
      location: 'api',
      revision: 4,
      document: { name: 'toy' },
      since: new Date('2024-02-01T00:00:00Z'),
      atStart: false,
    };

    beforeEach(() => {
      catalog = {
        require: jest.fn(),
        entry: jest.fn().mockReturnValue(entry),
        put: jest.fn().mockResolvedValue(entry),
        retire: jest.fn().mockResolvedValue(undefined),
        history: jest.fn(),
        brokenDefinitions: jest.fn().mockReturnValue([]),
      };
      sut = new DefinitionsService(asInstance<ModelCatalog>(catalog));
    });

    it('get checks the model is in force before reading its entry', () => {
      catalog.require.mockImplementation((name) => {
        throw new ModelNotFoundError(name, ['toy']);
      });
      expect(() => sut.get('nope')).toThrow(expect.objectContaining({ code: 'REGISTRY.MODEL_NOT_FOUND' }));
      expect(catalog.entry).not.toHaveBeenCalled();
    });

    it('put stores the body as the API, with the reason', async () => {
      await expect(sut.put('toy', 'name: toy', 'why')).resolves.toMatchObject({ name: 'toy', revision: 4 });
      expect(catalog.put).toHaveBeenCalledWith('toy', 'name: toy', 'api', 'why');
    });

    it('retire answers with the row the retirement appended, read after it', async () => {
      catalog.history.mockResolvedValue([
        definitionRow({ revision: 1, action: 'put' }),
        definitionRow({ revision: 2, action: 'retire', reason: 'old' }),
      ]);

      await expect(sut.retire('toy', 'old')).resolves.toMatchObject({ revision: 2, action: 'retire', reason: 'old' });

      expect(catalog.retire).toHaveBeenCalledWith('toy', 'api', 'old');
      expect(catalog.retire.mock.invocationCallOrder[0]).toBeLessThan(catalog.history.mock.invocationCallOrder[0]);
    });

    it('retire reads no history when the retirement is refused', async () => {
      catalog.retire.mockRejectedValue(new ModelNotFoundError('nope', ['toy']));
      await expect(sut.retire('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
      expect(catalog.history).not.toHaveBeenCalled();
    });
  });

  describe('over a catalog with its repository, events and bus mocked', () => {
    let sut: DefinitionsService;
    let repository: DefinitionRepositoryMock;
    let events: DomainEventsMock;
    let bus: ClusterBusMock;

    beforeEach(async () => {
      repository = newDefinitionRepositoryMock();
      repository.latestPerModel.mockResolvedValue([]);
      repository.append.mockImplementation((row) =>
        Promise.resolve(definitionRow({ ...row, revision: 7, createdAt: new Date('2024-03-01T00:00:00Z') })),
      );
      events = newDomainEventsMock();
      bus = newClusterBusMock();
      const catalog = new ModelCatalog(
        new AppConfig(),
        asInstance<DefinitionRepository>(repository),
        asInstance<DomainEvents>(events),
        asInstance<ClusterBus>(bus),
      );
      await catalog.onModuleInit(); // the built-in definitions (YAML only; no data is read)
      sut = new DefinitionsService(catalog);
    });

    describe('get', () => {
      it('returns a built-in definition with its document and resolved form', () => {
        const dto = sut.get('iris');
        expect(dto).toMatchObject({ name: 'iris', origin: 'builtin', revision: null });
        expect(dto.location).toMatch(/builtin[\\/]iris\.yaml$/);
        expect(dto.document).toMatchObject({ name: 'iris', task: 'classification' });
        expect(dto.resolved).toMatchObject({ name: 'iris', gate: { metric: 'accuracy' } });
      });

      it('throws REGISTRY.MODEL_NOT_FOUND for an unknown model', () => {
        expect(() => sut.get('nope')).toThrow(ModelNotFoundError);
        expect(() => sut.get('nope')).toThrow(expect.objectContaining({ code: 'REGISTRY.MODEL_NOT_FOUND' }));
      });
    });

    describe('put', () => {
      it('stores a new definition as the next revision, announces it here and to the replicas, and serves it from then on', async () => {
        const document = toyDocument();

        const dto = await sut.put('toy', document, 'first');

        expect(repository.append).toHaveBeenCalledWith({
          name: 'toy',
          action: 'put',
          document,
          actor: 'api',
          reason: 'first',
        });
        expect(events.emit).toHaveBeenCalledTimes(1);
        const [name, event] = events.emit.mock.calls[0];
        expect(name).toBe('definition.changed');
        expect(event).toBeInstanceOf(DefinitionChangedEvent);
        expect(event).toMatchObject({ name: 'toy', previous: undefined, actor: 'api', remote: false });
        expect((event as DefinitionChangedEvent).definition).toMatchObject({ name: 'toy', task: 'regression' });
        expect(bus.publish).toHaveBeenCalledWith({ type: 'definition', model: 'toy' });
        expect(dto).toMatchObject({
          name: 'toy',
          origin: 'api',
          location: 'api',
          revision: 7,
          since: new Date('2024-03-01T00:00:00Z'),
          document,
          resolved: { name: 'toy', columns: [{ op: 'input', field: 'x', name: 'x' }] },
        });
        expect(sut.get('toy')).toMatchObject({ origin: 'api', revision: 7 });
      });

      it('announces the definition it replaces', async () => {
        const previous = sut.get('iris').resolved;
        await sut.put('iris', { ...(sut.get('iris').document as object), description: 'changed' });
        expect(events.emit).toHaveBeenCalledWith(
          'definition.changed',
          expect.objectContaining({
            name: 'iris',
            previous,
            definition: expect.objectContaining({ description: 'changed' }),
          }),
        );
        expect(repository.append).toHaveBeenCalledWith(expect.objectContaining({ name: 'iris', reason: null }));
      });

      it('parses a YAML body and stores the parsed document', async () => {
        await sut.put(
          'toy',
          'name: toy\ntask: regression\nsource: {path: toy.csv}\ntarget: {name: y}\nfeatures: [{name: x, type: number}]\n',
        );
        expect(repository.append).toHaveBeenCalledWith(
          expect.objectContaining({ document: toyDocument({ source: { path: 'toy.csv' } }) }),
        );
      });

      it.each([
        ['breaks the schema', toyDocument({ task: 'clustering' }), 'task'],
        ['names another model than the path', toyDocument({ name: 'other' }), 'name'],
        ['reads data outside DATA_DIR/raw', toyDocument({ source: { path: '../secrets.csv' } }), 'source.path'],
        ['reads an absolute path', toyDocument({ source: { path: '/etc/passwd' } }), 'source.path'],
      ])(
        'refuses a document that %s with DEFINITION.INVALID, storing and announcing nothing',
        async (_why, body, field) => {
          const call = sut.put('toy', body);
          await expect(call).rejects.toBeInstanceOf(InvalidDefinitionError);
          await expect(call).rejects.toMatchObject({
            code: 'DEFINITION.INVALID',
            errors: expect.arrayContaining([expect.objectContaining({ field })]),
          });
          expect(repository.append).not.toHaveBeenCalled();
          expect(events.emit).not.toHaveBeenCalled();
          expect(bus.publish).not.toHaveBeenCalled();
        },
      );

      it('refuses an alias that names another model with DEFINITION.CONFLICT', async () => {
        const call = sut.put('toy', toyDocument({ aliases: ['housing'] }));
        await expect(call).rejects.toBeInstanceOf(DefinitionConflictError);
        await expect(call).rejects.toMatchObject({
          code: 'DEFINITION.CONFLICT',
          message: 'aliases[0]: housing already names the model california-housing',
        });
        expect(repository.append).not.toHaveBeenCalled();
        expect(events.emit).not.toHaveBeenCalled();
      });
    });

    describe('retire', () => {
      it('stores the retirement, announces it, stops serving the model and answers with the stored row', async () => {
        const retired = definitionRow({ name: 'iris', revision: 7, action: 'retire', actor: 'api', reason: 'unused' });
        repository.history.mockResolvedValue([definitionRow({ name: 'iris', revision: 6 }), retired]);

        const dto = await sut.retire('iris', 'unused');

        expect(repository.append).toHaveBeenCalledWith({
          name: 'iris',
          action: 'retire',
          document: null,
          actor: 'api',
          reason: 'unused',
        });
        expect(events.emit).toHaveBeenCalledWith('definition.retired', new DefinitionRetiredEvent('iris', 'api'));
        expect(bus.publish).toHaveBeenCalledWith({ type: 'definition', model: 'iris' });
        expect(repository.history).toHaveBeenCalledWith('iris');
        expect(dto).toEqual({
          name: 'iris',
          revision: 7,
          action: 'retire',
          document: null,
          actor: 'api',
          reason: 'unused',
          createdAt: retired.createdAt,
        });
        expect(() => sut.get('iris')).toThrow(ModelNotFoundError);
      });

      it('throws REGISTRY.MODEL_NOT_FOUND for a model not in force, storing nothing', async () => {
        const call = sut.retire('nope');
        await expect(call).rejects.toBeInstanceOf(ModelNotFoundError);
        await expect(call).rejects.toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
        expect(repository.append).not.toHaveBeenCalled();
        expect(events.emit).not.toHaveBeenCalled();
      });
    });

    describe('history', () => {
      it("lists the model's stored revisions without their row ids", async () => {
        repository.history.mockResolvedValue([
          definitionRow({ id: 10, revision: 1, document: toyDocument() }),
          definitionRow({ id: 11, revision: 2, action: 'retire', reason: 'gone' }),
        ]);
        const history = await sut.history('toy');
        expect(repository.history).toHaveBeenCalledWith('toy');
        expect(history.map((r) => [r.revision, r.action, r.reason])).toEqual([
          [1, 'put', null],
          [2, 'retire', 'gone'],
        ]);
        expect(history[0]).not.toHaveProperty('id');
      });
    });

    describe('broken', () => {
      it('lists a stored definition that no longer parses, with its problems', async () => {
        repository.latestPerModel.mockResolvedValue([
          definitionRow({ name: 'toy', revision: 3, document: toyDocument({ task: 'clustering' }) }),
        ]);
        const catalog = new ModelCatalog(
          new AppConfig(),
          asInstance<DefinitionRepository>(repository),
          asInstance<DomainEvents>(events),
          asInstance<ClusterBus>(bus),
        );
        await catalog.onModuleInit();

        const broken = new DefinitionsService(catalog).broken();

        expect(broken).toEqual([
          {
            origin: 'api',
            location: 'api revision 3',
            name: 'toy',
            problems: expect.arrayContaining([expect.objectContaining({ field: 'task' })]),
          },
        ]);
      });
    });
  });
});
