import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { adHocDefinition } from '../../test/support/builtin-models';
import {
  asInstance,
  DatasetRepositoryMock,
  datasetEntity,
  datasetSplitEntity,
  MockOf,
  newDatasetRepositoryMock,
} from '../../test/support/mock-repositories';
import { AppConfig } from '../config/app-config';
import { definitionFingerprint } from '../definitions/definition-fingerprint.util';
import { ModelNotFoundError } from '../definitions/definition.errors';
import { ModelCatalog } from '../definitions/model-catalog.service';
import type { ModelDefinition } from '../definitions/model-definition';
import { DataFileError, DatasetNotFoundError, DataSourceUnavailableError } from './data.errors';
import { DataService } from './data.service';
import { DatasetRepository } from './dataset.repository';
import type { FeatureProfile } from './profile.util';
import { readSourceBytes } from './table/table-source';

// The data comes from the test, never from a file or a download.
jest.mock('./table/table-source', () => ({
  ...jest.requireActual<object>('./table/table-source'),
  readSourceBytes: jest.fn(),
}));
const readSource = jest.mocked(readSourceBytes);

const toy = (parts: Partial<ModelDefinition> = {}): ModelDefinition =>
  adHocDefinition({
    name: 'toy',
    source: { kind: 'file', path: 'toy.csv' },
    features: [{ name: 'x', type: 'number', required: true, min: 0 }],
    columns: [{ op: 'input', field: 'x', name: 'x' }],
    maxRejectedFraction: 0.5,
    ...parts,
  });

const flowers = (): ModelDefinition =>
  adHocDefinition({
    name: 'flowers',
    task: 'classification',
    source: { kind: 'file', path: 'flowers.csv' },
    target: { name: 'y', divideBy: 1, unit: '', output: 'y', also: {}, classes: ['a', 'b'] },
    features: [{ name: 'x', type: 'number', required: true }],
    columns: [{ op: 'input', field: 'x', name: 'x' }],
  });

/** 11 data rows; the third (line 4) breaks `x >= 0`. */
const TOY_CSV = Buffer.from('x,y\n1,10\n2,20\n-1,30\n4,40\n5,50\n6,60\n7,70\n8,80\n9,90\n10,100\n11,110\n');
const ACCEPTED_ROWS = [0, 1, 3, 4, 5, 6, 7, 8, 9, 10];
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const profile = (name: string): FeatureProfile => ({
  name,
  kind: 'numeric',
  count: 8,
  missing: 0,
  min: 0,
  max: 1,
  mean: 0.5,
  std: 0.1,
  bins: { edges: [0.5], counts: [4, 4] },
  percentiles: [0, 1],
});

describe(DataService.name, () => {
  let sut: DataService;
  let config: AppConfig;
  let repository: DatasetRepositoryMock;
  let catalog: MockOf<ModelCatalog, 'require'> & Pick<ModelCatalog, 'names'>;
  let definitions: Record<string, ModelDefinition>;

  beforeEach(() => {
    readSource.mockReset();
    readSource.mockResolvedValue({ bytes: TOY_CSV, source: 'toy.csv' });
    config = Object.assign(new AppConfig(), { SPLIT_SEED: 42, TEST_FRACTION: 0.2, PROFILE_BINS: 4 });
    repository = newDatasetRepositoryMock();
    repository.findOrCreateDataset.mockImplementation((values) => Promise.resolve(datasetEntity({ id: 5, ...values })));
    repository.findSplit.mockResolvedValue(null);
    repository.createSplit.mockImplementation((values) => Promise.resolve(datasetSplitEntity({ id: 9, ...values })));
    definitions = { toy: toy(), flowers: flowers() };
    catalog = {
      names: ['toy', 'flowers'],
      require: jest.fn((name: string) => {
        if (!(name in definitions)) throw new ModelNotFoundError(name, Object.keys(definitions));
        return definitions[name];
      }),
    };
    sut = new DataService(config, asInstance<DatasetRepository>(repository), asInstance<ModelCatalog>(catalog));
  });

  describe('names, dataset and forDefinition', () => {
    it('names the models of the catalog', () => {
      expect(sut.names).toEqual(['toy', 'flowers']);
    });

    it('keeps one dataset per definition: the one in force and an equal definition share it', () => {
      const inForce = sut.dataset('toy');
      expect(catalog.require).toHaveBeenCalledWith('toy');
      expect(inForce.definition).toBe(definitions.toy);
      expect(sut.dataset('toy')).toBe(inForce);
      expect(sut.forDefinition(toy())).toBe(inForce);
      expect(sut.forDefinition(toy({ description: 'another' }))).not.toBe(inForce);
    });

    it('keeps the newest three definitions of a model', () => {
      const [first, second, third, fourth] = [1, 2, 3, 4].map((i) => toy({ description: `v${i}` }));
      const kept = [first, second, third, fourth].map((d) => sut.forDefinition(d));
      const otherModel = sut.dataset('flowers');
      expect(sut.forDefinition(fourth)).toBe(kept[3]);
      expect(sut.forDefinition(second)).toBe(kept[1]);
      expect(sut.dataset('flowers')).toBe(otherModel);
      expect(sut.forDefinition(first)).not.toBe(kept[0]); // evicted: a new one is made
    });

    it('throws REGISTRY.MODEL_NOT_FOUND for a model not in force', () => {
      expect(() => sut.dataset('nope')).toThrow(ModelNotFoundError);
      expect(() => sut.dataset('nope')).toThrow(expect.objectContaining({ code: 'REGISTRY.MODEL_NOT_FOUND' }));
    });
  });

  describe('prepare', () => {
    it('reads the source as configured and stores the dataset version with how its rows fared', async () => {
      await sut.prepare('toy');

      expect(readSource).toHaveBeenCalledWith(
        definitions.toy,
        expect.objectContaining({
          rawDir: join('data', 'raw'),
          timeoutMs: config.DOWNLOAD_TIMEOUT_MS,
          maxRejectedFraction: config.DATA_MAX_REJECTED_FRACTION,
        }),
      );
      expect(repository.findOrCreateDataset).toHaveBeenCalledWith({
        name: 'toy',
        version: sha256(TOY_CSV),
        definitionSha256: definitionFingerprint(definitions.toy),
        source: 'toy.csv',
        rowsRead: 11,
        rowsRejected: 1,
        valuesImputed: 0,
        rejectedSample: [expect.objectContaining({ field: 'x', rule: 'min', line: 4 })],
      });
    });

    it('makes and stores a seeded split of the accepted rows with what was fitted on its training part', async () => {
      const prepared = await sut.prepare('toy');

      expect(repository.findSplit).toHaveBeenCalledWith(5, 42, 0.2);
      expect(repository.createSplit).toHaveBeenCalledTimes(1);
      const [split] = repository.createSplit.mock.calls[0];
      expect(split).toMatchObject({ datasetId: 5, seed: 42, testFraction: 0.2, trainRows: 8, testRows: 2 });
      expect([...split.trainIndices, ...split.testIndices].sort((a, b) => a - b)).toEqual(ACCEPTED_ROWS);
      expect(split.profile.map((p) => [p.name, p.count])).toEqual([['x', 8]]);

      expect(prepared.dataset).toMatchObject({ id: 5, name: 'toy' });
      expect(prepared.split).toMatchObject({ id: 9 });
      expect(prepared.model).toBe(sut.dataset('toy'));
      expect(prepared.train.map((r) => r.row)).toEqual(split.trainIndices);
      expect(prepared.test.map((r) => r.row)).toEqual(split.testIndices);
      expect(prepared.pipeline.spec.features.map((f) => f.name)).toEqual(['x']);
    });

    it('makes the same split from the same bytes and seed', async () => {
      await sut.prepare('toy');
      await new DataService(
        config,
        asInstance<DatasetRepository>(repository),
        asInstance<ModelCatalog>(catalog),
      ).prepare('toy');
      const [[a], [b]] = repository.createSplit.mock.calls;
      expect(b.trainIndices).toEqual(a.trainIndices);
      expect(b.testIndices).toEqual(a.testIndices);
    });

    it('reuses a stored split, picking its records by data-row index', async () => {
      repository.findSplit.mockResolvedValue(datasetSplitEntity({ id: 3, trainIndices: [0, 3, 4], testIndices: [10] }));

      const prepared = await sut.prepare('toy');

      expect(repository.createSplit).not.toHaveBeenCalled();
      expect(prepared.split.id).toBe(3);
      expect(prepared.train.map((r) => r.values.x)).toEqual([1, 4, 5]);
      expect(prepared.test.map((r) => r.values)).toEqual([{ x: 11, y: 110 }]);
    });

    it.each([
      ['the options', {}, { seed: 7, testFraction: 0.3 }, [7, 0.3]],
      ['the definition', { split: { seed: 3, testFraction: 0.25 } }, {}, [3, 0.25]],
      ['the configuration', {}, {}, [42, 0.2]],
    ])('takes the seed and test fraction from %s first', async (_where, parts, options, [seed, fraction]) => {
      definitions.toy = toy(parts);
      await sut.prepare('toy', options);
      expect(repository.findSplit).toHaveBeenCalledWith(5, seed, fraction);
      expect(repository.createSplit).toHaveBeenCalledWith(expect.objectContaining({ seed, testFraction: fraction }));
    });

    it('stratifies the split of a classification by class, whatever the seed', async () => {
      const labels = [...Array<string>(10).fill('a'), ...Array<string>(10).fill('b')];
      const rows = labels.map((label, i) => `${i},${label}`);
      readSource.mockResolvedValue({ bytes: Buffer.from(`x,y\n${rows.join('\n')}\n`), source: 'flowers.csv' });

      for (const seed of [1, 2, 3, 4, 5]) {
        const prepared = await sut.prepare('flowers', { seed, testFraction: 0.2 });
        expect(prepared.test.map((r) => r.values.y).sort()).toEqual(['a', 'a', 'b', 'b']);
        expect(prepared.table.classes).toEqual(['a', 'b']);
      }
    });

    it("reads the data with a trained version's definition when given, without the catalog", async () => {
      const trainedWith = toy({ features: [{ name: 'x', type: 'number', required: true }] });

      const prepared = await sut.prepare('toy', {}, trainedWith);

      expect(catalog.require).not.toHaveBeenCalled();
      expect(prepared.model.definition).toBe(trainedWith);
      expect(repository.findOrCreateDataset).toHaveBeenCalledWith(
        expect.objectContaining({ definitionSha256: definitionFingerprint(trainedWith), rowsRejected: 0 }),
      );
    });

    it('passes on DATA.SOURCE_UNAVAILABLE, storing nothing', async () => {
      readSource.mockRejectedValue(new DataSourceUnavailableError('data/raw/toy.csv does not exist.'));
      const call = sut.prepare('toy');
      await expect(call).rejects.toBeInstanceOf(DataSourceUnavailableError);
      await expect(call).rejects.toMatchObject({ code: 'DATA.SOURCE_UNAVAILABLE' });
      expect(repository.findOrCreateDataset).not.toHaveBeenCalled();
    });

    it('refuses a file with too many bad rows with DATA.INVALID_FILE, storing nothing', async () => {
      definitions.toy = toy({ maxRejectedFraction: 0 });
      const call = sut.prepare('toy');
      await expect(call).rejects.toBeInstanceOf(DataFileError);
      await expect(call).rejects.toMatchObject({ code: 'DATA.INVALID_FILE', file: 'toy.csv' });
      expect(repository.findOrCreateDataset).not.toHaveBeenCalled();
    });

    it('throws REGISTRY.MODEL_NOT_FOUND for a model not in force, reading nothing', async () => {
      await expect(sut.prepare('nope')).rejects.toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
      expect(readSource).not.toHaveBeenCalled();
    });
  });

  describe('listSummaries', () => {
    it("summarises the repository's dataset versions of a model, splits without indices or profiles", async () => {
      const split = datasetSplitEntity({ seed: 1, trainIndices: [1], profile: [profile('x')] });
      repository.list.mockResolvedValue([datasetEntity({ name: 'toy', rowsRead: 11, splits: [split] })]);

      const summaries = await sut.listSummaries('toy');

      expect(repository.list).toHaveBeenCalledWith('toy');
      expect(summaries).toEqual([
        expect.objectContaining({
          name: 'toy',
          rowsRead: 11,
          splits: [{ seed: 1, testFraction: 0.2, trainRows: 8, testRows: 2, createdAt: split.createdAt }],
        }),
      ]);
      expect(summaries[0]).not.toHaveProperty('rejectedSample');
    });
  });

  describe('trainingProfile', () => {
    const fingerprint = () => definitionFingerprint(definitions.toy);

    it("returns the profile of the matching split of the version read with the definition's rules", async () => {
      repository.findVersions.mockResolvedValue([
        datasetEntity({ definitionSha256: 'other', splits: [datasetSplitEntity({ profile: [profile('other')] })] }),
        datasetEntity({
          definitionSha256: fingerprint(),
          splits: [
            datasetSplitEntity({ seed: 1, profile: [profile('seed 1')] }),
            datasetSplitEntity({ seed: 42, testFraction: 0.2, trainRows: 8, profile: [profile('x')] }),
          ],
        }),
      ]);

      await expect(sut.trainingProfile('toy', 'v1', definitions.toy, 42, 0.2)).resolves.toEqual({
        profile: [profile('x')],
        trainRows: 8,
      });
      expect(repository.findVersions).toHaveBeenCalledWith('toy', 'v1');
    });

    it('falls back to a version stored before definitions had fingerprints', async () => {
      repository.findVersions.mockResolvedValue([
        datasetEntity({ definitionSha256: 'other', splits: [datasetSplitEntity({ profile: [profile('other')] })] }),
        datasetEntity({ definitionSha256: '', splits: [datasetSplitEntity({ profile: [profile('legacy')] })] }),
      ]);
      await expect(sut.trainingProfile('toy', 'v1', definitions.toy, 42, 0.2)).resolves.toMatchObject({
        profile: [profile('legacy')],
      });
    });

    it.each([
      ['no split has the seed', [datasetEntity({ definitionSha256: '', splits: [datasetSplitEntity({ seed: 1 })] })]],
      [
        'no split has the test fraction',
        [datasetEntity({ definitionSha256: '', splits: [datasetSplitEntity({ seed: 42, testFraction: 0.3 })] })],
      ],
      [
        'no dataset was read with these rules',
        [datasetEntity({ definitionSha256: 'other', splits: [datasetSplitEntity()] })],
      ],
      ['the version is unknown', []],
    ])('is null when %s', async (_why, datasets) => {
      repository.findVersions.mockResolvedValue(datasets);
      await expect(sut.trainingProfile('toy', 'v1', definitions.toy, 42, 0.2)).resolves.toBeNull();
    });
  });

  describe('detail', () => {
    it('returns the version with its rejected rows and its splits with profiles', async () => {
      const rejectedSample = [{ field: 'x', rule: 'min', message: 'x must not be less than 0', line: 4 }];
      const split = datasetSplitEntity({ preprocessing: { x: 1 }, profile: [profile('x')] });
      repository.findByVersion.mockResolvedValue(datasetEntity({ version: 'v1', rejectedSample, splits: [split] }));

      const detail = await sut.detail('v1');

      expect(repository.findByVersion).toHaveBeenCalledWith('v1');
      expect(detail).toMatchObject({ version: 'v1', rejectedSample });
      expect(detail.splits).toEqual([
        expect.objectContaining({ seed: 42, preprocessing: { x: 1 }, profile: [profile('x')] }),
      ]);
    });

    it('throws DATA.DATASET_NOT_FOUND for an unknown version', async () => {
      repository.findByVersion.mockResolvedValue(null);
      const call = sut.detail('f'.repeat(64));
      await expect(call).rejects.toBeInstanceOf(DatasetNotFoundError);
      await expect(call).rejects.toMatchObject({
        code: 'DATA.DATASET_NOT_FOUND',
        message: `No dataset with version ${'f'.repeat(64)}`,
      });
    });
  });
});
